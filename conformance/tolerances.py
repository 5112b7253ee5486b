"""Tolerances per dtype: the one place where "close enough" is decided.

Comparisons use ``|actual - expected| <= atol + rtol * |expected|``. float64 is tight on purpose:
on the small drawn sizes a float64 layer agrees with the float64 reference to about 1e-10, so a
layer that silently computes in float32 (error about 1e-7) fails.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Tolerance:
    rtol: float
    atol: float

    def scaled(self, factor: float) -> Tolerance:
        return Tolerance(self.rtol * factor, self.atol * factor)


TOLERANCES: dict[str, Tolerance] = {
    "float64": Tolerance(rtol=1e-7, atol=1e-9),
    "float32": Tolerance(rtol=1e-4, atol=1e-5),
    # TF32 keeps 10 mantissa bits in matrix products (cuDNN's default for float32 RNNs in torch 2.13).
    "tf32": Tolerance(rtol=5e-3, atol=5e-3),
    "float16": Tolerance(rtol=1e-2, atol=1e-2),
    "bfloat16": Tolerance(rtol=5e-2, atol=5e-2),
}

# Clauses that promise identical results (C13 determinism, C17 round trips): no slack at all.
EXACT = Tolerance(rtol=0.0, atol=0.0)

# Gradients accumulate over every step and layer, so they get a wider band than values.
GRADIENT_FACTOR = 10.0


def tolerance_for(dtype, *, tf32: bool = False, gradient: bool = False) -> Tolerance:
    """The tolerance for results computed in ``dtype`` (a torch dtype or its name)."""
    name = str(dtype).removeprefix("torch.")
    if tf32 and name == "float32":
        name = "tf32"
    try:
        tolerance = TOLERANCES[name]
    except KeyError:
        raise KeyError(f"no tolerance for dtype {name!r}; known: {', '.join(TOLERANCES)}") from None
    return tolerance.scaled(GRADIENT_FACTOR) if gradient else tolerance
