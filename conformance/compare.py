"""Tensor comparison that says where the largest error is, in the RNN's own terms.

A bare "tensors differ" costs the user an hour; "step 3, batch element 1, feature 2 of the
backward half" points at the bug.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from conformance.failures import ConformanceFailure
from conformance.tolerances import Tolerance

Locator = Callable[[tuple[int, ...]], str]


@dataclass(frozen=True)
class OutputLayout:
    """Where time, batch and the two halves sit in an output tensor."""

    batch_first: bool = False
    batched: bool = True
    output_size: int = 1

    def locate(self, index: tuple[int, ...]) -> str:
        if not self.batched:
            step, feature = index
            batch = None
        elif self.batch_first:
            batch, step, feature = index
        else:
            step, batch, feature = index
        half = "forward" if feature < self.output_size else "backward"
        where = f"step {step}, "
        if batch is not None:
            where += f"batch element {batch}, "
        return where + f"feature {feature % self.output_size} of the {half} half"


def locate_state(index: tuple[int, ...]) -> str:
    """Rows of h_n/c_n are layer-major, direction-minor: row 2l+d."""
    row, *rest = index
    direction = "backward" if row % 2 else "forward"
    where = f"layer {row // 2}, {direction} direction (row {row})"
    if len(rest) == 2:
        where += f", batch element {rest[0]}"
    return where + f", feature {rest[-1]}" if rest else where


def locate_flat(index: tuple[int, ...]) -> str:
    return f"index {tuple(index)}"


def _within(actual: torch.Tensor, expected: torch.Tensor, tolerance: Tolerance) -> bool:
    """The cheap test that nearly every comparison ends with; the diagnosis runs only on failure."""
    if actual.dtype != expected.dtype or actual.device != expected.device:
        return False
    return bool(
        torch.isclose(actual.detach(), expected.detach(), tolerance.rtol, tolerance.atol, equal_nan=True).all()
    )


def max_error(actual: torch.Tensor, expected: torch.Tensor, tolerance: Tolerance):
    """(largest |error|, its index, whether anything is outside the tolerance)."""
    actual64 = actual.detach().to("cpu", torch.float64)
    expected64 = expected.detach().to("cpu", torch.float64)
    difference = (actual64 - expected64).abs()
    allowed = tolerance.atol + tolerance.rtol * expected64.abs()
    nan_mismatch = actual64.isnan() != expected64.isnan()
    excess = torch.where(nan_mismatch, torch.full_like(difference, float("inf")), difference - allowed)
    excess = torch.nan_to_num(excess, nan=-1.0)
    if excess.numel() == 0:
        return 0.0, (), False
    flat = int(excess.argmax())
    index = tuple(int(i) for i in torch.unravel_index(torch.tensor(flat), excess.shape))
    largest = float(torch.nan_to_num(difference, nan=float("inf")).max())
    return largest, index, bool(excess.max() > 0)


def close(actual: torch.Tensor, expected: torch.Tensor, tolerance: Tolerance) -> bool:
    if tuple(actual.shape) != tuple(expected.shape):
        return False
    return _within(actual, expected, tolerance) or not max_error(actual, expected, tolerance)[2]


def assert_close(
    actual: torch.Tensor,
    expected: torch.Tensor,
    *,
    clause_id: str,
    what: str,
    tolerance: Tolerance,
    locate: Locator = locate_flat,
    hints: Sequence[tuple[torch.Tensor, str]] = (),
    hint: str | None = None,
) -> None:
    """Fail with the clause, the largest error and its place when ``actual`` is not ``expected``.

    ``hints`` are (alternative, text) pairs: when ``actual`` matches an alternative (what a
    known mistake would produce), that text explains the failure.
    """
    __tracebackhide__ = True
    if tuple(actual.shape) != tuple(expected.shape):
        raise ConformanceFailure(
            clause_id,
            f"{what} has shape {tuple(actual.shape)}, expected {tuple(expected.shape)}",
            hint=hint,
        )
    if _within(actual, expected, tolerance):
        return
    largest, index, failed = max_error(actual, expected, tolerance)
    if not failed:
        return
    value = actual.detach()[index].item() if index else float("nan")
    wanted = expected.detach()[index].item() if index else float("nan")
    for alternative, text in hints:
        if close(actual, alternative, tolerance):
            hint = text
            break
    raise ConformanceFailure(
        clause_id,
        f"{what} differs by up to {largest:.3g} (rtol={tolerance.rtol:g}, atol={tolerance.atol:g}); "
        f"largest at {locate(index)}: got {value:.6g}, expected {wanted:.6g}",
        hint=hint,
    )
