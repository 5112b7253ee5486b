"""C14: the same weights and input give the same results on every device and in every kernel mode.

Every result (output, final states, and the gradients w.r.t. the input, h0/c0 and every
parameter) is compared with the CPU float64 run of the same layer, holding the same rounded
weights and input. On CPU this still compares float32 with float64. On CUDA a float32 RNN runs
either through cuDNN (in TF32 by default since torch 2.9: ``torch.backends.cudnn.rnn.fp32_precision``)
or through torch's native kernels (cuDNN disabled; their matrix products follow
``torch.backends.cuda.matmul``): both are run, each with the tolerance of the precision it ran
in, and a failure names the mode.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch
from hypothesis import event

from conformance import device_support
from conformance.checks import check
from conformance.checks.results import (
    Run,
    assert_all_close,
    cast_state,
    copy_parameters,
    forward_run,
    loss_weights,
)
from conformance.compare import close
from conformance.spec import LayerSpec
from conformance.tolerances import Tolerance, tolerance_for
from conformance.trial import Trial

COMPARED_DTYPES = ("float32", "float64")


# --- which dtypes a device runs ---------------------------------------------------------------


@functools.cache
def dtype_skip_reason(device: str, dtype_name: str) -> str | None:
    """None when ``device`` runs ``dtype_name``, else why not.

    For float16/bfloat16 the yardstick is torch's own RNN modules: where they raise (a kernel
    that is not implemented for that dtype on that device), no layer can be asked to run, so
    the dtype is skipped; where they run, a user's layer that raises on a declared dtype fails.
    """
    dtype = getattr(torch, dtype_name)
    try:
        torch.zeros(1, dtype=dtype, device=device)
    except Exception as error:  # each backend refuses in its own words
        return f"{device} has no {dtype_name} tensors ({type(error).__name__}: {error})"
    if dtype_name in COMPARED_DTYPES:
        return None
    try:
        for module_class in (torch.nn.RNN, torch.nn.GRU, torch.nn.LSTM):
            module = module_class(2, 2, bidirectional=True).to(device=device, dtype=dtype)
            x = torch.ones(2, 1, 2, device=device, dtype=dtype, requires_grad=True)
            module(x)[0].sum().backward()
    except Exception as error:
        return (
            f"torch's own RNN modules do not run in {dtype_name} on {device} "
            f"({type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''})"
        )
    return None


# --- the kernel modes of a device -------------------------------------------------------------


@contextmanager
def cudnn_enabled(enabled: bool) -> Iterator[None]:
    """Turn cuDNN on or off for the block, leaving every other backend flag alone.

    Not ``torch.backends.cudnn.flags(enabled=...)``: that call also resets ``allow_tf32``,
    ``fp32_precision``, ``benchmark`` and ``deterministic`` to its own defaults for the block,
    which would silently change the precision under test.
    """
    previous = torch.backends.cudnn.enabled
    torch.backends.cudnn.enabled = enabled
    try:
        yield
    finally:
        torch.backends.cudnn.enabled = previous


def native_tf32_enabled() -> bool:
    """Whether torch's native CUDA RNN kernels may run their float32 matmuls in TF32."""
    precision = getattr(torch.backends.cuda.matmul, "fp32_precision", None)
    if precision in ("tf32", "ieee"):
        return precision == "tf32"
    try:
        if torch.backends.cuda.matmul.allow_tf32:
            return True
    except RuntimeError:  # torch refuses to mix its legacy and new precision APIs
        pass
    return torch.get_float32_matmul_precision() != "highest"


@dataclass(frozen=True)
class KernelMode:
    """How a run is computed: ``cudnn`` None on devices without the cuDNN switch."""

    name: str
    cudnn: bool | None = None
    tf32: bool = False

    def describe(self) -> str:
        if self.cudnn is None:
            return self.name
        return f"{self.name}, float32 matmuls in {'tf32' if self.tf32 else 'ieee'}"

    def tolerance(self, dtype, *, gradient: bool = False) -> Tolerance:
        return tolerance_for(dtype, tf32=self.tf32, gradient=gradient)

    @contextmanager
    def active(self) -> Iterator[None]:
        if self.cudnn is None:
            yield
            return
        with cudnn_enabled(self.cudnn):
            yield


def kernel_modes(device: str, dtype: torch.dtype) -> list[KernelMode]:
    """The modes C14 runs on ``device`` in ``dtype``: cuDNN and native kernels on CUDA."""
    kind = torch.device(device).type
    if kind != "cuda":
        return [KernelMode(f"{kind} kernels")]
    float32 = dtype == torch.float32
    modes = []
    native_tf32 = float32 and native_tf32_enabled()
    if torch.backends.cudnn.is_available():
        with cudnn_enabled(True):
            cudnn_tf32 = float32 and device_support.tf32_enabled(device)
        # A custom layer computes with matmuls even while cuDNN is on: either setting counts.
        modes.append(KernelMode("cuDNN", cudnn=True, tf32=cudnn_tf32 or native_tf32))
    modes.append(KernelMode("native kernels", cudnn=False, tf32=native_tf32))
    return modes


def float32_may_use_tf32(device: str) -> bool:
    """Whether a float32 run on ``device`` in the default mode may be computed in TF32."""
    return any(mode.tf32 for mode in kernel_modes(device, torch.float32)[:1])


# --- the check --------------------------------------------------------------------------------


def compared_dtypes(spec: LayerSpec) -> list[str]:
    return [name for name in COMPARED_DTYPES if name in spec.features.dtypes]


def baseline_dtype(spec: LayerSpec) -> torch.dtype:
    """The dtype of the CPU run every device is compared with: the finest the spec declares.

    A float32-only layer has no float64 twin to build (it would fail every example for a dtype
    it never claimed), so it is compared with its own CPU float32 run.
    """
    return getattr(torch, "float64" if "float64" in spec.features.dtypes else "float32")


# How far beyond the gradients' own sensitivity to rounding a lower precision may stray.
CONDITIONING_SAFETY = 4.0
# A value computed in a lower precision carries the rounding of every operation that made it, not
# one: the perturbation that stands for it is this many units in the last place.
ROUNDINGS_PER_VALUE = 16


class Conditioning:
    """How much wider than the tolerance a correct but ill-conditioned layer's results may differ.

    A correct layer in float32 differs from its float64 twin by about what the float64 results
    themselves move when every weight and input is perturbed at float32's rounding level (a layer
    norm over 2 features: gradients 3e-4 relative apart). That movement, measured on the twin with
    a fixed perturbation of ROUNDINGS_PER_VALUE ulps, in units of the tolerance, times a safety
    factor; 1 when it is within it. A well-conditioned layer moves far less than the tolerance, so
    a real loss of precision (a gradient rounded to bfloat16) is still caught. Measured lazily:
    only a comparison that fails pays for the extra run.
    """

    def __init__(self, trial: Trial, twin, x, state, weights, dtype) -> None:
        self._arguments = (trial, twin, x, state, dtype)
        self._weights = weights
        self._run: Run | None = None

    def factor(self, wanted: dict, tolerance: Tolerance, *, gradient: bool) -> float:
        moved = self._shaken().gradients(self._weights) if gradient else self._shaken().detached()
        worst = 0.0
        for name, expected in wanted.items():
            if name in moved and moved[name].shape == expected.shape and expected.numel():
                allowed = tolerance.atol + tolerance.rtol * expected.abs()
                worst = max(worst, float(((moved[name] - expected).abs() / allowed).max()))
        return max(1.0, CONDITIONING_SAFETY * worst)

    def _shaken(self) -> Run:
        if self._run is not None:
            return self._run
        trial, twin, x, state, dtype = self._arguments
        generator = torch.Generator().manual_seed(trial.example.seed + 7)
        eps = torch.finfo(dtype).eps * ROUNDINGS_PER_VALUE

        def jitter(tensor):
            noise = torch.rand(tensor.shape, generator=generator, dtype=torch.float64) * 2 - 1
            return tensor * (1 + eps * noise.to(tensor))

        finest = next(twin.parameters()).dtype
        shaken = trial.layer(dtype=finest, device="cpu").train()
        copy_parameters(shaken, twin)
        with torch.no_grad():
            for parameter in shaken.parameters():
                parameter.copy_(jitter(parameter))
        self._run = forward_run(
            lambda x_, s_: trial.run(shaken, x_, s_),
            jitter(x.to("cpu", finest)),
            None if state is None else cast_state(state, dtype=finest, device="cpu"),
            dict(shaken.named_parameters()),
        )
        return self._run


def widened(conditioning, actual, wanted, tolerance, *, gradient: bool, what: str):
    """(tolerance, words for the message): the tolerance, widened by the measured conditioning
    when ``actual`` is not within it."""
    if conditioning is None or all_close(actual, wanted, tolerance):
        return tolerance, ""
    factor = conditioning.factor(wanted, tolerance, gradient=gradient)
    if factor <= 1:
        return tolerance, ""
    return tolerance.scaled(factor), (
        f"({what} tolerance widened {factor:.3g}x: the float64 {what}s themselves move that much "
        "when the weights and input are perturbed at this precision's rounding) "
    )


def all_close(actual, expected, tolerance) -> bool:
    return all(
        name in actual and close(actual[name], value, tolerance) for name, value in expected.items()
    )


def _requires_float32_or_64(spec: LayerSpec, device: str) -> str | None:
    if compared_dtypes(spec):
        return None
    return (
        f"{spec.name} declares neither float32 nor float64 in its dtypes; C14 compares those "
        "with the CPU float64 result"
    )


@check("C14", requires=_requires_float32_or_64, examples_factor=0.5)
def same_results_on_every_device(trial: Trial) -> None:
    example = trial.draw_example()
    device = str(trial.device)
    x = trial.input(dtype=torch.float64, device="cpu")
    state = (
        trial.initial_state(dtype=torch.float64, device="cpu")
        if example.with_initial_state
        else None
    )
    weights = None
    for dtype_name in compared_dtypes(trial.spec):
        reason = dtype_skip_reason(device, dtype_name)
        if reason:
            event(f"C14: {dtype_name} skipped: {reason}")
            continue
        dtype = getattr(torch, dtype_name)
        for mode in kernel_modes(device, dtype):
            weights = _compare_with_cpu_float64(trial, x, state, dtype, mode, weights)


def _compare_with_cpu_float64(trial: Trial, x, state, dtype, mode: KernelMode, weights):
    """One (dtype, mode): run on the device, run the CPU float64 twin, compare everything."""
    __tracebackhide__ = True
    device = trial.device
    # The device run sees its dtype's rounding of the input; the twin gets exactly that input.
    x_device = x.to(device=device, dtype=dtype)
    state_device = cast_state(state, dtype=dtype, device=device)
    with mode.active():
        # train mode: cuDNN has no RNN backward in eval mode (the drawn dropout is 0)
        layer = trial.layer(dtype=dtype).train()
        run = forward_run(
            lambda x_, s_: trial.run(layer, x_, s_),
            x_device,
            state_device,
            dict(layer.named_parameters()),
        )
    finest = baseline_dtype(trial.spec)
    twin = trial.layer(dtype=finest, device="cpu").train()
    copy_parameters(twin, layer)
    baseline = forward_run(
        lambda x_, s_: trial.run(twin, x_, s_),
        x_device.to("cpu", finest),
        cast_state(state_device, dtype=finest, device="cpu"),
        dict(twin.named_parameters()),
    )
    if weights is None:
        weights = loss_weights(baseline.detached(), trial.tensor)
    dtype_name = str(dtype).removeprefix("torch.")
    prefix = f"{dtype_name} on {device} ({mode.describe()}) vs CPU {str(finest).removeprefix('torch.')}: "
    layout = trial.output_layout()
    conditioning = (
        Conditioning(trial, twin, x_device, state_device, weights, dtype)
        if dtype != finest
        else None
    )
    values, wanted_values = run.detached(), baseline.detached()
    tolerance, note = widened(
        conditioning, values, wanted_values, mode.tolerance(dtype), gradient=False, what="value"
    )
    assert_all_close(
        values,
        wanted_values,
        clause_id=trial.clause_id,
        tolerance=tolerance,
        layout=layout,
        prefix=prefix + note,
    )
    with mode.active():
        gradients = run.gradients(weights)
    wanted = baseline.gradients(weights)
    tolerance, note = widened(
        conditioning,
        gradients,
        wanted,
        mode.tolerance(dtype, gradient=True),
        gradient=True,
        what="gradient",
    )
    prefix += note
    assert_all_close(
        gradients,
        wanted,
        clause_id=trial.clause_id,
        tolerance=tolerance,
        layout=layout,
        gradient=True,
        prefix=prefix,
        hint=f"outputs and states agree in {dtype_name}, only this gradient does not: the "
        f"backward pass loses precision in {dtype_name} (a gradient rounded to a lower "
        "precision, or a hand-written backward computing in one)",
    )
    return weights
