"""C11, C14, C15: torch's modules and the correct custom layers pass; each broken fixture fails
its clause with the place and the hint; the CUDA path's choices (kernel modes, TF32 tolerance,
skip reasons) are checked without a GPU."""

from __future__ import annotations

import importlib

import pytest
import torch
from hypothesis import settings
from torch import nn

from conformance.checks import all_checks
from conformance.checks import devices as device_checks
from conformance.checks.devices import (
    KernelMode,
    cudnn_enabled,
    dtype_skip_reason,
    float32_may_use_tf32,
    kernel_modes,
)
from conformance.engine import Case, CheckSkipped, run_case
from conformance.failures import ConformanceFailure
from conformance.profiles import profile
from conformance.spec import Features, LayerSpec
from conformance.tolerances import tolerance_for
from fixtures.layers.custom_specs import DICT_BILSTM, EQUATIONS_BIGRU

CLAUSES = ["C11", "C14", "C15"]

TORCH_LAYERS = [
    LayerSpec.from_class(nn.RNN),
    LayerSpec.from_class(nn.RNN, kind="rnn_relu"),
    LayerSpec.from_class(nn.GRU),
    LayerSpec.from_class(nn.LSTM),  # draws proj_size too
]
CUSTOM_LAYERS = [EQUATIONS_BIGRU, DICT_BILSTM]
FEW_EXAMPLES = settings(profile("ci"), max_examples=5)


@pytest.mark.parametrize("clause_id", CLAUSES)
@pytest.mark.parametrize("spec", CUSTOM_LAYERS, ids=lambda spec: spec.name)
def test_correct_custom_layers_pass(spec: LayerSpec, clause_id: str) -> None:
    run_case(Case(spec, clause_id, "cpu"), FEW_EXAMPLES)


# (fixture module, clause, fragments the message must contain)
BROKEN = [
    (
        "breaks_c11_gru_bias_outside_reset",
        "C11",
        [
            "C11-reference",
            "reference vs layer: output differs",
            "of the forward half",
            "b_hn must be inside the reset gate's product",
        ],
    ),
    (
        "breaks_c11_gru_reset_update_swapped",
        "C11",
        [
            "C11-reference",
            "output differs",
            "gate blocks in the order (z, r, n); torch's order is (r, z, n)",
        ],
    ),
    (
        "breaks_c11_lstm_input_forget_swapped",
        "C11",
        [
            "C11-reference",
            "output differs",
            "gate blocks in the order (f, i, g, o); torch's order is (i, f, g, o)",
        ],
    ),
    # other clauses' fixtures that C11 recognises
    (
        "breaks_c4_backward_not_reversed",
        "C11",
        [
            "C11-reference",
            "backward half",
            "the backward direction runs forward in time",
        ],
    ),
    (
        "breaks_c4_backward_output_not_flipped",
        "C11",
        [
            "C11-reference",
            "backward half",
            "the backward half is the reference's backward half reversed",
        ],
    ),
    (
        "breaks_c6_backward_uses_forward_hh_weight",
        "C11",
        ["C11-reference", "backward half", "uses the forward direction's weight_hh_l0 instead of"],
    ),
    (
        "breaks_c10_h0_direction_major",
        "C11",
        ["C11-reference", "output differs", "reads h0 direction-major"],
    ),
    (
        "breaks_c12_custom_tanh_backward",
        "C11",
        ["C11-reference", "the gradient w.r.t. the input differs", "a hand-written backward"],
    ),
    (
        "breaks_c14_float32_gradient_in_bfloat16",
        "C14",
        [
            "C14-device-consistency",
            "float32 on cpu (cpu kernels) vs CPU float64: the gradient w.r.t.",
            "the backward pass loses precision in float32",
        ],
    ),
    (
        "breaks_c15_computes_in_float32",
        "C15",
        [
            "C15-dtype",
            "exactly representable in float32",
            "the layer computes in float32 and casts back",
        ],
    ),
    (
        "breaks_c15_returns_default_dtype",
        "C15",
        [
            "C15-dtype",
            "output is torch.float32 for a torch.float64 input",
            "torch.get_default_dtype()",
        ],
    ),
]


@pytest.mark.parametrize(
    "module, clause_id, fragments", BROKEN, ids=[f"{m}-{c}" for m, c, _ in BROKEN]
)
def test_broken_fixture_fails_its_clause(module: str, clause_id: str, fragments: list[str]) -> None:
    spec = importlib.import_module(f"fixtures.layers.{module}").SPEC
    with pytest.raises(ConformanceFailure) as failure:
        run_case(Case(spec, clause_id, "cpu"), profile("ci"))
    assert failure.value.clause_id == clause_id
    message = str(failure.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in:\n{message}"


@pytest.mark.parametrize(
    "module, clause_id",
    [
        ("breaks_c11_gru_bias_outside_reset", "C14"),
        ("breaks_c11_gru_bias_outside_reset", "C15"),
        ("breaks_c14_float32_gradient_in_bfloat16", "C11"),
        ("breaks_c14_float32_gradient_in_bfloat16", "C15"),
        ("breaks_c15_returns_default_dtype", "C14"),
    ],
)
def test_fixture_breaks_only_its_own_clause_here(module: str, clause_id: str) -> None:
    """A wrong equation is C11's, not C15's; a float32 gradient is C14's, not C15's."""
    spec = importlib.import_module(f"fixtures.layers.{module}").SPEC
    run_case(Case(spec, clause_id, "cpu"), FEW_EXAMPLES)


def test_float32_inside_gets_a_precision_hint_from_c11() -> None:
    from fixtures.layers.breaks_c15_computes_in_float32 import SPEC

    with pytest.raises(ConformanceFailure, match="only to float32 precision"):
        run_case(Case(SPEC, "C11", "cpu"), profile("ci"))


# --- skip reasons ---------------------------------------------------------------------------------


def test_c11_skips_a_layer_without_kind() -> None:
    spec = LayerSpec(name="NoKind", factory=lambda config: nn.GRU(**config.torch_kwargs()))
    with pytest.raises(CheckSkipped, match=r"declare kind=\.\.\. .* to compare with the reference"):
        run_case(Case(spec, "C11", "cpu"), FEW_EXAMPLES)


def test_c14_skips_a_layer_without_float32_or_float64() -> None:
    spec = LayerSpec.from_class(nn.GRU, features=Features(dtypes=("bfloat16",)))
    assert "declares neither float32 nor float64" in all_checks()["C14"].skip_reason(spec, "cpu")


def test_absent_cuda_is_skipped_with_a_reason(monkeypatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(CheckSkipped, match="CUDA is not available"):
        run_case(Case(TORCH_LAYERS[2], "C14", "cuda"), FEW_EXAMPLES)


def test_cpu_runs_every_float_dtype() -> None:
    for name in ("float32", "float64", "float16", "bfloat16"):
        assert dtype_skip_reason("cpu", name) is None


def test_a_dtype_torch_cannot_run_is_skipped_with_torch_s_error(monkeypatch) -> None:
    class NoHalfGRU(nn.GRU):
        def forward(self, *args, **kwargs):
            raise RuntimeError("\"addmm\" not implemented for 'Half'\nmore details")

    monkeypatch.setattr(torch.nn, "GRU", NoHalfGRU)
    dtype_skip_reason.cache_clear()
    try:
        reason = dtype_skip_reason("cpu", "float16")
    finally:
        dtype_skip_reason.cache_clear()
    assert reason.startswith("torch's own RNN modules do not run in float16 on cpu")
    assert "not implemented for 'Half'" in reason and "more details" not in reason


def test_a_custom_layer_raising_on_a_declared_dtype_fails_c15() -> None:
    class NoHalf(nn.GRU):
        def forward(self, input, hx=None):
            if input.dtype == torch.float16:
                raise NotImplementedError("no float16 here")
            return super().forward(input, hx)

    spec = LayerSpec.from_class(NoHalf, origin="tests:NoHalf")
    with pytest.raises(ConformanceFailure, match="NotImplementedError: no float16 here"):
        run_case(Case(spec, "C15", "cpu"), FEW_EXAMPLES)


# --- the CUDA path's choices, without a GPU ----------------------------------------------------------


def test_cpu_has_one_mode_at_ieee_tolerance() -> None:
    (mode,) = kernel_modes("cpu", torch.float32)
    assert mode == KernelMode("cpu kernels")
    assert mode.describe() == "cpu kernels"
    assert mode.tolerance(torch.float32) == tolerance_for("float32")
    assert not float32_may_use_tf32("cpu")


@pytest.mark.parametrize(
    "cudnn_tf32, native_tf32", [(True, False), (False, False), (True, True), (False, True)]
)
def test_cuda_float32_runs_cudnn_and_native_kernels_each_at_its_precision(
    monkeypatch, cudnn_tf32: bool, native_tf32: bool
) -> None:
    seen_enabled = []

    def fake_tf32_enabled(device: str) -> bool:
        seen_enabled.append(torch.backends.cudnn.enabled)
        return cudnn_tf32

    monkeypatch.setattr(torch.backends.cudnn, "is_available", lambda: True)
    monkeypatch.setattr(device_checks.device_support, "tf32_enabled", fake_tf32_enabled)
    monkeypatch.setattr(device_checks, "native_tf32_enabled", lambda: native_tf32)
    cudnn, native = kernel_modes("cuda", torch.float32)
    assert seen_enabled == [True]  # the cuDNN mode's TF32 is read with cuDNN on
    # a custom layer's matmuls follow torch.backends.cuda.matmul even while cuDNN is on
    tf32 = cudnn_tf32 or native_tf32
    assert (cudnn.cudnn, cudnn.tf32, native.cudnn, native.tf32) == (True, tf32, False, native_tf32)
    assert cudnn.describe() == f"cuDNN, float32 matmuls in {'tf32' if tf32 else 'ieee'}"
    assert (
        native.describe()
        == f"native kernels, float32 matmuls in {'tf32' if native_tf32 else 'ieee'}"
    )
    assert cudnn.tolerance(torch.float32) == tolerance_for("float32", tf32=tf32)
    assert native.tolerance(torch.float32, gradient=True) == tolerance_for(
        "float32", tf32=native_tf32, gradient=True
    )
    assert float32_may_use_tf32("cuda") is tf32


def test_cuda_float64_is_never_tf32(monkeypatch) -> None:
    monkeypatch.setattr(torch.backends.cudnn, "is_available", lambda: True)
    monkeypatch.setattr(device_checks.device_support, "tf32_enabled", lambda device: True)
    monkeypatch.setattr(device_checks, "native_tf32_enabled", lambda: True)
    modes = kernel_modes("cuda:0", torch.float64)
    assert [mode.name for mode in modes] == ["cuDNN", "native kernels"]
    assert not any(mode.tf32 for mode in modes)
    assert all(mode.tolerance(torch.float64) == tolerance_for("float64") for mode in modes)


def test_cuda_without_cudnn_runs_native_kernels_only(monkeypatch) -> None:
    monkeypatch.setattr(torch.backends.cudnn, "is_available", lambda: False)
    assert [mode.name for mode in kernel_modes("cuda", torch.float32)] == ["native kernels"]


def test_the_cudnn_switch_leaves_the_precision_flags_alone() -> None:
    before = (torch.backends.cudnn.enabled, torch.backends.cudnn.allow_tf32)
    with cudnn_enabled(not before[0]):
        assert torch.backends.cudnn.enabled is (not before[0])
        assert torch.backends.cudnn.allow_tf32 == before[1]
    assert (torch.backends.cudnn.enabled, torch.backends.cudnn.allow_tf32) == before
