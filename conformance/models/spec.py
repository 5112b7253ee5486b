"""How a user describes a whole sequence model to the model checks (M1-M3).

The model-level sibling of ``LayerSpec``: where a layer has torch's call convention, a model has
the user's own pipeline, so the spec carries it as ``run``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from conformance.clauses import MODEL_CLAUSES
from conformance.models.batching import RESULTS, Run, padded_batch
from conformance.models.items import Items

DTYPES = ("float64", "float32")


@dataclass(frozen=True)
class ModelSpec:
    """Everything the model checks need to know about one model.

    ``factory()`` builds the model; it is called after ``torch.manual_seed(seed)`` with a drawn
    seed, so the weights replay. ``items`` draws one sequence (``token_ids(...)`` or
    ``feature_vectors(...)``). ``run(model, sequences)`` batches a list of sequences the way the
    user's pipeline does (padding, lengths, masks) and returns one result per sequence: a tensor
    with the batch first, or a list. ``result`` names what is compared: ``summary`` or ``logits``
    (one vector per sequence) or ``per_step`` (one row per real step). The model is checked in
    eval mode, in ``dtype``. ``expected_failures`` maps a clause id (``M1``) to the reason the
    model is known to break it (a strict xfail). ``origin`` (``module:attr``) lets the repro
    snippet import the spec.
    """

    name: str
    factory: Callable[[], Any]
    items: Items
    run: Run = field(default_factory=padded_batch)
    result: str = "summary"
    min_length: int = 1
    max_length: int = 6
    max_batch: int = 4
    dtype: str = "float64"
    expected_failures: Mapping[str, str] = field(default_factory=dict)
    origin: str | None = None

    def __post_init__(self) -> None:
        if not self.name or not str(self.name).replace("_", "").replace("-", "").isalnum():
            raise ValueError(
                f"model name {self.name!r} must be letters, digits, '-' or '_': it becomes a test id"
            )
        if self.result not in RESULTS:
            raise ValueError(f"ModelSpec(result={self.result!r}): use one of {RESULTS}")
        if self.dtype not in DTYPES:
            raise ValueError(f"ModelSpec(dtype={self.dtype!r}): use one of {DTYPES}")
        if not 1 <= self.min_length <= self.max_length:
            raise ValueError(
                f"ModelSpec lengths: need 1 <= min_length ({self.min_length}) <= max_length "
                f"({self.max_length})"
            )
        if self.max_batch < 2:
            raise ValueError("ModelSpec(max_batch=...): at least 2, or there is no batch to check")
        unknown = sorted(set(self.expected_failures) - set(MODEL_CLAUSES))
        if unknown:
            raise ValueError(
                f"expected_failures of {self.name} names {', '.join(unknown)}; model clauses are "
                f"{', '.join(MODEL_CLAUSES)}"
            )
