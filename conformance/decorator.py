"""The test-file front end, in the style of scikit-learn's ``parametrize_with_checks``::

    from torch import nn
    from conformance import parametrize_with_checks

    @parametrize_with_checks([nn.GRU, my_spec])
    def test_conformance(check):
        check()

One item per (layer, clause, device) with a stable id (``MyBiGRU-C4-reversal-equivariance-cpu``);
a clause the spec declares in ``expected_failures`` is a strict xfail with the declared reason,
as is the one built-in expected failure (``known_failures``: torch's own modules, C18, CUDA).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pytest

from conformance import device_support
from conformance.engine import Case, cases
from conformance.known_failures import expected_failure
from conformance.loader import as_spec, load_layer
from conformance.running import CaseCheck
from conformance.spec import LayerSpec

CUDA_GROUP = "birnn-cuda"  # `pytest -n 2 --dist loadgroup` keeps the CUDA items on one worker


def parametrize_with_checks(
    layers: Sequence[Any],
    *,
    devices: Sequence[str] | None = None,
    clauses: Iterable[str] | None = None,
    profile: str | None = None,
) -> pytest.MarkDecorator:
    """A ``pytest.mark.parametrize`` over every case of ``layers`` for an argument ``check``.

    ``layers`` holds classes with torch's constructor signature, ``LayerSpec`` objects or
    ``"module:attr"`` strings, and ``ModelSpec`` objects (whole models: clauses M1-M3).
    ``devices`` defaults to cpu and cuda: every device is collected on every machine and skipped
    at run time, with a reason, where it is absent. ``profile`` defaults
    to the session's ``--birnn-profile`` (else ``ci`` under CI, ``dev`` elsewhere).
    """
    if profile is not None:
        from conformance.profiles import profile as check_profile_name

        check_profile_name(profile)
    from conformance.models.engine import is_model_spec, model_params

    models = [layer for layer in layers if is_model_spec(layer)]  # ModelSpec: the clauses M1-M3
    specs = specs_of([layer for layer in layers if not is_model_spec(layer)])
    chosen = cases(specs, list(devices or device_support.DEFAULT_DEVICES), clauses)
    return pytest.mark.parametrize(
        "check",
        [pytest.param(CaseCheck(case, profile), id=case.id, marks=marks(case)) for case in chosen]
        + model_params(models, devices, clauses, profile),
    )


def specs_of(layers: Sequence[Any]) -> list[LayerSpec]:
    """Specs for the given layers, with distinct names (names become test ids)."""
    specs = [load_layer(layer) if isinstance(layer, str) else as_spec(layer) for layer in layers]
    seen: dict[str, LayerSpec] = {}
    for spec in specs:
        if spec.name in seen:
            raise ValueError(
                f"two layers are named {spec.name!r} ({seen[spec.name].origin} and {spec.origin}); "
                "test ids must be unique: give one a name, e.g. LayerSpec.from_class(cls, name=...)"
            )
        seen[spec.name] = spec
    return specs


def marks(case: Case) -> list[pytest.MarkDecorator]:
    """Strict xfail for an expected failure (declared or built-in); one xdist group for CUDA."""
    found = []
    reason = expected_failure(case)
    if reason is not None:
        found.append(pytest.mark.xfail(strict=True, reason=reason))
    if case.device.startswith("cuda"):
        found.append(pytest.mark.xdist_group(CUDA_GROUP))
    return found
