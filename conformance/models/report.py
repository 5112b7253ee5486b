"""``check_model``: the model checks without pytest, returning the same ``Report`` as
``check_layer`` (a matrix per model, then each failure's message)::

    from conformance import check_model
    report = check_model(MY_MODEL_SPEC, profile="dev")
    print(report)
    report.ok
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from conformance.report import Report, Result
from conformance.time_limits import DEFAULT_SECONDS


def check_model(
    model: Any,
    *,
    devices: Sequence[str] | None = None,
    clauses: Iterable[str] | None = None,
    profile: str = "dev",
    timeout: float | None = DEFAULT_SECONDS,
) -> Report:
    """Run the model clauses (M1-M3) on ``model``: a ``ModelSpec`` or ``"module:attr"`` naming one.

    ``devices`` defaults to cpu and cuda (an absent device gives skipped results that say why),
    ``clauses`` to all model clauses, ``profile`` is ``dev``, ``ci``, ``thorough`` or
    ``hypothesis:NAME`` (a hypothesis profile you registered); ``timeout``
    limits each call of the factory and of ``run`` (seconds; 0 or None: no limit).
    """
    from conformance import device_support
    from conformance.models.engine import model_cases
    from conformance.models.loader import load_model
    from conformance.running import settings_for

    settings_for(profile)  # fail early on a typo, before any case runs
    spec = load_model(model)
    report = Report()
    for case in model_cases([spec], list(devices or device_support.DEFAULT_DEVICES), clauses):
        status, message, seconds = model_outcome(case, profile, timeout)
        report.append(Result(spec.name, case.clause_id, case.device, status, message, seconds))
    return report


def model_outcome(case, profile: str | None, timeout: float | None) -> tuple[str, str, float]:
    """(status, message, seconds) of one model case, classified as a layer case is."""
    from conformance.models.engine import run_model_case
    from conformance.running import outcome

    result = outcome(case, profile, timeout, run=run_model_case)
    return result.status, result.message, result.seconds
