"""The (model, clause, device) cases of the model checks and how one runs: the layer engine's
twin, with the same profiles, time limits, failure messages and expected failures.

Every front end (``--birnn-model``, ``parametrize_with_checks``, ``check_model``) enumerates
``model_cases`` and calls ``run_model_case`` through a ``ModelCaseCheck``.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.errors import HypothesisException
from hypothesis.reporting import with_reporter

from conformance import device_support
from conformance.clauses import MODEL_CLAUSES, clause
from conformance.engine import (
    Case,
    CaseProgress,
    CheckSkipped,
    RecordingCheck,
    _budget_spent,
    _without_seed_advice,
)
from conformance.failures import ConformanceFailure
from conformance.models.properties import PROPERTIES, requires
from conformance.models.spec import ModelSpec
from conformance.running import CaseCheck, one_intra_op_thread, session_timeout, settings_for
from conformance.time_limits import (
    DEFAULT_SECONDS,
    CaseBudgetWarning,
    LayerTimeout,
    SearchStopped,
    case_limits,
    describe_budget,
    shielded,
)


@dataclass(frozen=True)
class ModelCase(Case):
    """A layer case's id and expected failure (``TextClassifier-M1-padding-invariance-cpu``),
    for a model."""

    spec: ModelSpec  # type: ignore[assignment]


def select_model_clauses(selection: Iterable[str] | None) -> list[str]:
    """Model clause ids in order; a selection of layer clauses only (``C4``) selects none."""
    if not selection:
        return list(MODEL_CLAUSES)
    chosen = {
        clause(part.strip().split("-")[0]).id
        for item in selection
        for part in str(item).split(",")
        if part.strip()
    }
    return [clause_id for clause_id in MODEL_CLAUSES if clause_id in chosen]


def model_cases(
    specs: Sequence[ModelSpec], devices: Sequence[str], clauses: Iterable[str] | None = None
) -> list[ModelCase]:
    """Every (model, clause, device), collected on every machine; absent devices skip at run time."""
    chosen = select_model_clauses(clauses)
    return [
        ModelCase(spec, clause_id, device)
        for spec in specs
        for clause_id in chosen
        for device in devices
    ]


@dataclass(frozen=True)
class _Property:
    """What ``RecordingCheck`` wraps: a check with a ``run(trial)``."""

    run: object


def run_model_case(
    case: ModelCase, settings: hypothesis_settings, *, timeout: float | None = DEFAULT_SECONDS
) -> str | None:
    """Run one case: raise ConformanceFailure, CheckSkipped or the error, or return on success
    (with a note when the time budget cut the search short); see ``engine.run_case``."""
    __tracebackhide__ = True
    reason = device_support.skip_reason(case.device) or requires(case.clause_id, case.spec)
    if reason:
        raise CheckSkipped(reason)
    examples = settings.max_examples
    progress = CaseProgress()
    check = RecordingCheck(_Property(PROPERTIES[case.clause_id]), progress)

    @hypothesis_settings(settings)
    @given(data=st.data())
    def model_clause_holds(data) -> None:
        from conformance.models.repro import snippet
        from conformance.models.trial import ModelTrial

        trial = ModelTrial(case.spec, case.clause_id, case.device, data.draw)
        try:
            check.run(trial)
        except ConformanceFailure as failure:
            _attach_context(failure, case, trial, snippet(trial))
            raise
        except HypothesisException:
            raise

    model_clause_holds.__qualname__ = model_clause_holds.__name__ = (
        f"check_{case.id.replace('-', '_')}"
    )
    try:
        with case_limits(timeout, examples, f"the case {case.id}"), shielded():
            with with_reporter(_without_seed_advice()):
                model_clause_holds()
    except SearchStopped as stopped:
        from conformance.models.repro import snippet

        _attach_context(stopped.failure, case, stopped.trial, snippet(stopped.trial))
        raise stopped.failure from None
    except LayerTimeout as stopped:
        return _budget_spent(case, progress, describe_budget(timeout, examples), stopped.where)
    return None


def _attach_context(failure: ConformanceFailure, case: ModelCase, trial, repro: str | None) -> None:
    spec = case.spec
    failure.add_context(
        f"  model {spec.name} in eval mode on {case.device}, {spec.dtype}{_tf32_note(case, spec)}: "
        f"seed={trial.seed}, "
        f"{spec.items.describe()}, lengths {spec.min_length}..{spec.max_length}"
    )
    if repro:
        failure.add_context(
            "  reproduce without the plugin:\n"
            + "\n".join("    " + line for line in repro.splitlines())
        )


def _tf32_note(case: ModelCase, spec: ModelSpec) -> str:
    tf32 = spec.dtype == "float32" and device_support.tf32_enabled(case.device)
    return " (RNNs in TF32, compared with TF32's tolerance)" if tf32 else ""


class ModelCaseCheck(CaseCheck):
    """The callable behind one model item: a ``CaseCheck`` (so the plugin's item handling applies)
    that runs its case through ``run_model_case``."""

    def __call__(self) -> None:
        __tracebackhide__ = True
        timeout = session_timeout() if self.timeout is None else self.timeout
        try:
            with one_intra_op_thread():
                note = run_model_case(self.case, settings_for(self.profile), timeout=timeout)
        except CheckSkipped as skipped:
            import pytest

            pytest.skip(str(skipped))
        if note:
            warnings.warn(note, CaseBudgetWarning, stacklevel=2)


def is_model_spec(value: object) -> bool:
    return isinstance(value, ModelSpec)


def model_params(
    models: Sequence[ModelSpec],
    devices: Sequence[str] | None,
    clauses: Iterable[str] | None,
    profile: str | None,
) -> list:
    """``parametrize_with_checks``'s params for model specs: one per (model, clause, device)."""
    import pytest

    from conformance.decorator import marks

    devices = list(devices or device_support.DEFAULT_DEVICES)
    return [
        pytest.param(ModelCaseCheck(case, profile), id=case.id, marks=marks(case))
        for case in model_cases(models, devices, clauses)
    ]
