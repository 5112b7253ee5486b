"""The third-party specs of bench/third_party build their layers and speak torch's convention.

The full measurement (every clause on every layer) is bench/third_party_eval.py; this only keeps
the adapters from rotting: one small call per spec, through the same `run_layer` the checks use.
"""

from __future__ import annotations

import pytest
import torch

from conformance.adapters import build_layer, run_layer
from conformance.spec import LayerConfig

specs = pytest.importorskip("bench.third_party.specs")


@pytest.mark.parametrize("spec", specs.SPECS, ids=lambda spec: spec.name)
def test_adapter_builds_and_returns_torch_shapes(spec):
    config = LayerConfig(input_size=3, hidden_size=4, num_layers=1)
    layer = build_layer(spec, config, seed=0, device="cpu", dtype="float32")
    steps, batch = 5, 2
    batch_first = spec.features.layout == "batch_first"
    x = torch.randn((batch, steps, 3) if batch_first else (steps, batch, 3))

    output, state = run_layer(spec, layer, x)

    expected_output = (batch, steps, 8) if batch_first else (steps, batch, 8)
    assert tuple(output.shape) == expected_output
    states = state if isinstance(state, tuple) else (state,)
    assert [tuple(s.shape) for s in states] == [(2, batch, 4)] * len(states)
    assert len(states) == (2 if spec.has_cell_state else 1)


def test_at_least_eight_layers_each_importable_from_its_origin():
    """The origin is what a failure's repro snippet imports: it must name the same layer."""
    assert len(specs.SPECS) >= 8
    for spec in specs.SPECS:
        module, _, attribute = spec.origin.partition(":")
        assert module == specs.__name__
        assert getattr(specs, attribute).name == spec.name
