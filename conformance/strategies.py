"""Hypothesis strategies: small composable draws of layer configurations and examples.

Sizes start at 1 so that the edge cases T = 1, B = 1, H = 1 and I != H come up early and
shrink well; everything is bounded so that one example stays in the milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st

from conformance.spec import LayerConfig, LayerSpec

MAX_SIZE = 5
MAX_STEPS = 6
MAX_BATCH = 4


@dataclass(frozen=True)
class Example:
    """One drawn case: the layer's configuration, the input's shape, and the seed of both."""

    config: LayerConfig
    seq_len: int
    batch: int
    seed: int
    with_initial_state: bool = False


@st.composite
def layer_configs(
    draw,
    spec: LayerSpec,
    *,
    max_layers: int | None = None,
    batch_first: bool | None = None,
    allow_dropout: bool = False,
) -> LayerConfig:
    features = spec.features
    top = min(features.max_layers, max_layers or features.max_layers)
    # A spec's minimum sizes (a layer norm over one feature is constant) bound the draws from below.
    hidden = draw(
        st.integers(features.min_hidden_size, max(MAX_SIZE, features.min_hidden_size)),
        label="hidden_size",
    )
    proj = 0
    if features.proj_size and hidden > 1:
        proj = draw(st.one_of(st.just(0), st.integers(1, hidden - 1)), label="proj_size")
    if not features.batch_first_flag:
        batch_first = features.layout == "batch_first"  # the layer has one layout; no choice
    elif batch_first is None:
        batch_first = draw(st.booleans(), label="batch_first")
    smallest_input = features.min_input_size
    return LayerConfig(
        input_size=draw(
            st.integers(smallest_input, max(MAX_SIZE, smallest_input)), label="input_size"
        ),
        hidden_size=hidden,
        num_layers=draw(st.integers(1, top), label="num_layers"),
        proj_size=proj,
        batch_first=batch_first,
        bias=draw(st.booleans(), label="bias") if features.bias_optional else True,
        dropout=draw(st.sampled_from([0.0, 0.5]), label="dropout")
        if allow_dropout and features.dropout
        else 0.0,
    )


def seeds() -> st.SearchStrategy[int]:
    """Hypothesis does not seed torch: every example draws its own seed so that it replays."""
    return st.integers(0, 2**31 - 1)


@st.composite
def examples(
    draw,
    spec: LayerSpec,
    *,
    max_layers: int | None = None,
    batch_first: bool | None = None,
    min_steps: int = 1,
    min_batch: int = 1,
    initial_state: bool | None = None,
    allow_dropout: bool = False,
) -> Example:
    config = draw(
        layer_configs(
            spec, max_layers=max_layers, batch_first=batch_first, allow_dropout=allow_dropout
        ),
        label="config",
    )
    if initial_state is None:
        initial_state = draw(st.booleans(), label="h0") if spec.features.initial_state else False
    return Example(
        config=config,
        seq_len=draw(st.integers(min_steps, MAX_STEPS), label="T"),
        batch=draw(st.integers(min_batch, MAX_BATCH), label="B"),
        seed=draw(seeds(), label="seed"),
        with_initial_state=initial_state,
    )


def lengths(seq_len: int, batch: int) -> st.SearchStrategy[list[int]]:
    """Per-sequence lengths for packed input, each between 1 and T."""
    return st.lists(st.integers(1, seq_len), min_size=batch, max_size=batch)
