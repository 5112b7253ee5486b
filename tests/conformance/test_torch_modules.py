"""Torch's own modules pass every clause: the first rows of the project's test matrix.

``nn.RNN`` (tanh and relu), ``nn.GRU`` and ``nn.LSTM`` (``proj_size`` is drawn for it) under the
plugin's CI profile, with no declared expected failures, through the public decorator. CUDA is
collected too, so that the ids are the same on every machine; without a GPU those items skip with a
reason. On CUDA, C18 is the one built-in strict expected failure: cuDNN rejects a non-contiguous h0.
"""

from __future__ import annotations

import pytest
from torch import nn

from conformance import CLAUSES, LayerSpec, check_layer, parametrize_with_checks, running
from conformance.checks import all_checks
from conformance.decorator import marks
from conformance.engine import Case, cases
from conformance.failures import ConformanceFailure
from fixtures.layers import breaks_c18_assumes_contiguous, breaks_c18_hx_not_contiguous

TORCH_LAYERS = [nn.RNN, LayerSpec.from_class(nn.RNN, kind="rnn_relu"), nn.GRU, nn.LSTM]
DEVICES = ["cpu", "cuda"]


@parametrize_with_checks(TORCH_LAYERS, devices=DEVICES, profile="ci")
def test_torch_module_conforms(check) -> None:
    check()


def test_every_clause_is_collected_for_every_module_and_device() -> None:
    assert list(all_checks()) == list(CLAUSES)  # C1..C18, each with its check
    specs = [
        layer if isinstance(layer, LayerSpec) else LayerSpec.from_class(layer)
        for layer in TORCH_LAYERS
    ]
    collected = {case.id for case in cases(specs, DEVICES)}
    assert len(collected) == 4 * 18 * 2
    assert "LSTM-C4-reversal-equivariance-cpu" in collected
    assert "RNN-relu-C11-reference-cuda" in collected


def test_no_expected_failures_and_lstm_draws_proj_size() -> None:
    specs = [
        layer if isinstance(layer, LayerSpec) else LayerSpec.from_class(layer)
        for layer in TORCH_LAYERS
    ]
    assert [spec.kind for spec in specs] == ["rnn_tanh", "rnn_relu", "gru", "lstm"]
    assert all(not spec.expected_failures for spec in specs)
    assert specs[3].features.proj_size


# -- C18 on CUDA: torch's modules expect to fail it; a custom layer is told to call .contiguous() --


def xfail_reason(case: Case) -> str | None:
    found = [mark for mark in marks(case) if mark.name == "xfail"]
    assert all(mark.kwargs["strict"] for mark in found)
    return found[0].kwargs["reason"] if found else None


@pytest.mark.parametrize(
    "layer", TORCH_LAYERS, ids=lambda layer: getattr(layer, "name", None) or layer.__name__
)
def test_torch_modules_expect_c18_to_fail_on_cuda_only(layer) -> None:
    spec = layer if isinstance(layer, LayerSpec) else LayerSpec.from_class(layer)
    for device in ("cuda", "cuda:1"):
        assert "rnn: hx is not contiguous" in xfail_reason(Case(spec, "C18", device))
    assert xfail_reason(Case(spec, "C18", "cpu")) is None
    assert xfail_reason(Case(spec, "C4", "cuda")) is None


def test_a_subclass_or_a_custom_call_is_the_users_layer_and_gets_no_builtin_xfail() -> None:
    assert xfail_reason(Case(breaks_c18_hx_not_contiguous.SPEC, "C18", "cuda")) is None
    called = LayerSpec.from_class(
        nn.GRU, name="CalledGRU", call=lambda layer, x, state: layer(x, state)
    )
    assert xfail_reason(Case(called, "C18", "cuda")) is None


@pytest.mark.parametrize(("raised", "status"), [(True, "xfailed"), (False, "xpassed")])
def test_the_builtin_xfail_is_strict_outside_pytest_too(
    monkeypatch: pytest.MonkeyPatch, raised: bool, status: str
) -> None:
    """What check_layer reports on a GPU machine (simulated): xfail with the reason; XPASS once
    torch's kernels accept any layout, so that the exception is noticed and can be dropped."""

    def cudnn_like_run(case, settings, *, timeout):
        if raised:
            raise ConformanceFailure("C18", "LSTM raised RuntimeError: rnn: hx is not contiguous")

    monkeypatch.setattr(running, "run_case", cudnn_like_run)
    result = running.outcome(Case(LayerSpec.from_class(nn.LSTM), "C18", "cuda"))
    assert result.status == status
    assert "cuDNN kernels reject a non-contiguous h0" in result.message


def test_a_layer_that_hands_a_non_contiguous_h0_to_torchs_kernels_is_told_to_call_contiguous() -> (
    None
):
    (result,) = check_layer(
        breaks_c18_hx_not_contiguous.SPEC, clauses=["C18"], devices=["cpu"], profile="ci"
    )
    assert result.status == "failed"
    assert "CudnnLikeGRU raised RuntimeError: rnn: hx is not contiguous" in result.message
    assert "call .contiguous() on the state" in result.message
    assert "breaks on GPU only" in result.message
    # a layer that misreads memory without raising keeps its own hint
    (other,) = check_layer(
        breaks_c18_assumes_contiguous.SPEC, clauses=["C18"], devices=["cpu"], profile="ci"
    )
    assert other.status == "failed" and "breaks on GPU only" not in other.message
