"""Torch's own modules pass every clause: the first rows of the project's test matrix.

``nn.RNN`` (tanh and relu), ``nn.GRU`` and ``nn.LSTM`` (``proj_size`` is drawn for it) under the
plugin's CI profile, with no expected failures, through the public decorator. CUDA is collected
too, so that the ids are the same on every machine; without a GPU those items skip with a reason.
"""

from __future__ import annotations

from torch import nn

from conformance import CLAUSES, LayerSpec, parametrize_with_checks
from conformance.checks import all_checks
from conformance.engine import cases

TORCH_LAYERS = [nn.RNN, LayerSpec.from_class(nn.RNN, kind="rnn_relu"), nn.GRU, nn.LSTM]
DEVICES = ["cpu", "cuda"]


@parametrize_with_checks(TORCH_LAYERS, devices=DEVICES, profile="ci")
def test_torch_module_conforms(check) -> None:
    check()


def test_every_clause_is_collected_for_every_module_and_device() -> None:
    assert list(all_checks()) == list(CLAUSES)  # C1..C18, each with its check
    specs = [layer if isinstance(layer, LayerSpec) else LayerSpec.from_class(layer) for layer in TORCH_LAYERS]
    collected = {case.id for case in cases(specs, DEVICES)}
    assert len(collected) == 4 * 18 * 2
    assert "LSTM-C4-reversal-equivariance-cpu" in collected
    assert "RNN-relu-C11-reference-cuda" in collected


def test_no_expected_failures_and_lstm_draws_proj_size() -> None:
    specs = [layer if isinstance(layer, LayerSpec) else LayerSpec.from_class(layer) for layer in TORCH_LAYERS]
    assert [spec.kind for spec in specs] == ["rnn_tanh", "rnn_relu", "gru", "lstm"]
    assert all(not spec.expected_failures for spec in specs)
    assert specs[3].features.proj_size
