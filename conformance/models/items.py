"""What one sequence is made of: token ids in a vocabulary, or feature vectors.

Token ids are drawn by hypothesis one by one, so a failing example shrinks to short sequences of
small ids. Feature vectors come from a drawn seed, as the layer checks' inputs do: values in
[-2, 2] that replay exactly from the seed printed with a failure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from hypothesis import strategies as st

FEATURE_LOW, FEATURE_HIGH = -2.0, 2.0


@dataclass(frozen=True)
class TokenIds:
    """Token ids in ``range(vocab_size)``; ``padding_idx`` (the id the batches are padded with)
    is never drawn as a real token, so that padding and data cannot be confused."""

    vocab_size: int
    padding_idx: int | None = 0

    def __post_init__(self) -> None:
        real = self.vocab_size - (self.padding_idx is not None)
        if real < 1:
            raise ValueError(
                f"TokenIds(vocab_size={self.vocab_size}) leaves no id to draw besides padding"
            )

    @property
    def padding_value(self) -> int:
        return 0 if self.padding_idx is None else self.padding_idx

    def draw(self, draw: Any, length: int, label: str, dtype: torch.dtype) -> torch.Tensor:
        """A (length,) long tensor of real token ids."""
        real = [i for i in range(self.vocab_size) if i != self.padding_idx]
        ids = draw(st.lists(st.sampled_from(real), min_size=length, max_size=length), label=label)
        return torch.tensor(ids, dtype=torch.long)

    def describe(self) -> str:
        return f"token ids in range({self.vocab_size}), padding id {self.padding_value}"


@dataclass(frozen=True)
class FeatureVectors:
    """Vectors of ``size`` features in [-2, 2], from a drawn seed; batches are padded with 0."""

    size: int
    padding_value: float = 0.0

    def __post_init__(self) -> None:
        if self.size < 1:
            raise ValueError(f"FeatureVectors(size={self.size}): at least one feature")

    def draw(self, draw: Any, length: int, label: str, dtype: torch.dtype) -> torch.Tensor:
        """A (length, size) tensor in ``dtype``."""
        seed = draw(st.integers(0, 2**16), label=f"{label} seed")
        return feature_tensor(seed, length, self.size, dtype)

    def describe(self) -> str:
        return f"vectors of {self.size} features in [{FEATURE_LOW:g}, {FEATURE_HIGH:g}]"


def feature_tensor(seed: int, length: int, size: int, dtype: torch.dtype) -> torch.Tensor:
    """The feature vectors of one sequence: what the repro snippet rebuilds from the seed."""
    generator = torch.Generator().manual_seed(seed)
    values = torch.rand((length, size), generator=generator, dtype=torch.float64)
    return (values * (FEATURE_HIGH - FEATURE_LOW) + FEATURE_LOW).to(dtype)


Items = TokenIds | FeatureVectors


def token_ids(vocab_size: int, *, padding_idx: int | None = 0) -> TokenIds:
    """Sequences of token ids (an ``nn.Embedding`` model's input)."""
    return TokenIds(vocab_size, padding_idx)


def feature_vectors(size: int, *, padding_value: float = 0.0) -> FeatureVectors:
    """Sequences of feature vectors (frames, MFCCs, sensor readings)."""
    return FeatureVectors(size, padding_value)
