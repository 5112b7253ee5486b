"""One engine under every front end: the (layer, clause, device) cases and how one runs.

The pytest plugin, the decorator and ``check_layer`` all enumerate ``cases`` and call
``run_case``; none of them knows how a check works.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.errors import HypothesisException
from hypothesis.reporting import current_reporter, with_reporter

from conformance import device_support
from conformance.checks import all_checks
from conformance.clauses import clause
from conformance.failures import ConformanceFailure
from conformance.profiles import PROFILES
from conformance.spec import LayerSpec
from conformance.time_limits import (
    DEFAULT_SECONDS,
    LayerTimeout,
    SearchStopped,
    case_limits,
    describe_budget,
    exposed,
    shielded,
)


class CheckSkipped(Exception):
    """The clause does not apply here (a feature the layer lacks, a device that is absent)."""


@dataclass(frozen=True)
class Case:
    spec: LayerSpec
    clause_id: str
    device: str

    @property
    def id(self) -> str:
        """Stable across machines and workers: declared names only, never repr(module)."""
        return f"{self.spec.name}-{clause(self.clause_id).label}-{self.device.replace(':', '')}"

    @property
    def expected_failure(self) -> str | None:
        return self.spec.expected_failures.get(self.clause_id)


def select_clauses(selection: Iterable[str] | None) -> list[str]:
    """Clause ids in order; ``selection`` accepts ids (``C4``) and labels (``C4-reversal-...``)."""
    known = list(all_checks())
    if not selection:
        return known
    chosen = set()
    for item in selection:
        for part in str(item).split(","):
            part = part.strip()
            if part:
                chosen.add(clause(part.split("-")[0]).id)
    return [clause_id for clause_id in known if clause_id in chosen]


def cases(
    specs: Sequence[LayerSpec], devices: Sequence[str], clauses: Iterable[str] | None = None
) -> list[Case]:
    """Every (layer, clause, device), collected on every machine; absent devices skip at run time."""
    chosen = select_clauses(clauses)
    return [Case(spec, clause_id, device) for spec in specs for clause_id in chosen for device in devices]


@dataclass
class CaseProgress:
    """What a case's examples gave so far: what remains when its time budget runs out."""

    examples_held: int = 0
    first_failure: Exception | None = field(default=None)


# The examples that differentiated each layer (by spec name) in this process, in order: a
# backward pass may depend on them (TorchScript's executor specialises on earlier calls, across
# instances), so a backward failure's snippet replays them (conformance.backward_repro).
DIFFERENTIATED: dict[str, list] = {}
CLAUSES_RUN: dict[str, list[str]] = {}  # the clauses run on each layer in this process, in order
MAX_REMEMBERED = 500
RUNNING_PROFILE: list[str] = []  # the profile's name, when run_case was given a named profile


def remember_example(trial) -> None:
    """Give ``trial`` the examples that differentiated its layer before it, and the clauses run on
    it before; remember it too."""
    from conformance.backward_repro import BACKWARD_PASSES

    clauses = CLAUSES_RUN.setdefault(trial.spec.name, [])
    trial.clauses_before = [clause for clause in clauses if clause != trial.clause_id]
    if trial.clause_id not in clauses:
        clauses.append(trial.clause_id)
    earlier = DIFFERENTIATED.setdefault(trial.spec.name, [])
    trial.earlier = list(earlier)
    trial.profile_name = RUNNING_PROFILE[0] if RUNNING_PROFILE else None
    if trial.clause_id in BACKWARD_PASSES and len(earlier) < MAX_REMEMBERED:
        earlier.append(trial)


class RecordingCheck:
    """The clause's check, noting each example's result in a CaseProgress.

    A wrapper rather than lines in ``clause_holds``: hypothesis derandomizes (the ci profile) from
    a digest of the test function's source, so editing that function would change every clause's
    CI examples.
    """

    def __init__(self, check, progress: CaseProgress) -> None:
        self._check = check
        self._progress = progress

    def run(self, trial) -> None:
        __tracebackhide__ = True
        remember_example(trial)
        try:
            with exposed():  # alarms may raise in the check and the layer, not in hypothesis
                self._check.run(trial)
        except HypothesisException:
            raise
        except Exception as error:
            self._progress.first_failure = self._progress.first_failure or error
            raise
        self._progress.examples_held += 1


def run_case(
    case: Case, settings: hypothesis_settings, *, timeout: float | None = DEFAULT_SECONDS
) -> str | None:
    """Run one case: raise ConformanceFailure, CheckSkipped or the error, or return on success
    (with a note when the time budget cut the search short).

    ``timeout`` bounds each call of the layer (seconds; 0 or None: no limit) and the whole case
    (``time_limits.case_budget``): a layer that hangs fails after one limit, without hypothesis
    replaying it; a slow one stops the search when the budget is spent (see ``_budget_spent``).
    """
    __tracebackhide__ = True
    check = all_checks()[case.clause_id]
    reason = device_support.skip_reason(case.device) or check.skip_reason(case.spec, case.device)
    if reason:
        raise CheckSkipped(reason)
    examples = max(1, round(settings.max_examples * check.examples_factor))
    progress = CaseProgress()
    RUNNING_PROFILE[:] = [name for name, known in PROFILES.items() if known is settings][:1]
    check = RecordingCheck(check, progress)

    @hypothesis_settings(settings, max_examples=examples)
    @given(data=st.data())
    def clause_holds(data) -> None:
        from conformance.repro import snippet
        from conformance.trial import Trial

        trial = Trial(case.spec, case.clause_id, case.device, data.draw)
        try:
            check.run(trial)
        except ConformanceFailure as failure:
            _attach_context(failure, case, trial, snippet(trial))
            raise
        except HypothesisException:
            raise  # assume() and hypothesis's own control flow
        except Exception as error:
            # The layer's results broke an assumption of the check itself (a state of the wrong
            # shape reaching the direction swap, say): report it as this clause's failure with
            # the example, never as an internal error of the plugin.
            failure = ConformanceFailure(
                case.clause_id,
                f"the check could not go on: {type(error).__name__}: {error}",
                hint="the layer's results do not have the shapes or dtypes this clause needs "
                "(see C1, C2 and C15 for this layer); if the layer is torch's own, please report "
                "this as a bug in birnn-conformance",
            )
            _attach_context(failure, case, trial, snippet(trial))
            raise failure from error

    clause_holds.__qualname__ = clause_holds.__name__ = f"check_{case.id.replace('-', '_')}"
    try:
        with case_limits(timeout, examples, f"the case {case.id}"), shielded():
            with with_reporter(_without_seed_advice()):
                clause_holds()
    except SearchStopped as stopped:
        from conformance.repro import snippet

        _attach_context(stopped.failure, case, stopped.trial, snippet(stopped.trial))
        raise stopped.failure from None
    except LayerTimeout as stopped:
        return _budget_spent(case, progress, describe_budget(timeout, examples), stopped.where)
    return None


def _budget_spent(case: Case, progress: CaseProgress, limits: str, where: str) -> str:
    """The case's time ran out between or inside calls that each kept to the per-call limit.

    A failure already found (hypothesis was shrinking it) is reported as found; examples that held
    make a pass with a note; no example at all is a failure: a pass on nothing would be silent.
    """
    __tracebackhide__ = True
    if progress.first_failure is not None:
        failure = progress.first_failure
        if not isinstance(failure, ConformanceFailure):  # clause_holds wrapped it; the wrap is gone
            failure = ConformanceFailure(
                case.clause_id, f"the check could not go on: {type(failure).__name__}: {failure}"
            )
        failure.add_context(f"  (not shrunk: the case's time budget of {limits} ran out while shrinking)")
        raise failure
    if progress.examples_held:
        return (
            f"{case.id}: {case.spec.name} is slow: the clause held on {progress.examples_held} "
            f"example(s), then the case's time budget of {limits} ran out"
        )
    raise ConformanceFailure(
        case.clause_id,
        f"{case.spec.name} did not finish one example of this clause within the case's time budget "
        f"of {limits}; it was running {where}",
        hint="each call kept to the per-call limit, but one example needs several calls: make the "
        "layer faster or raise --birnn-timeout",
    )


def _without_seed_advice():
    """Hypothesis's reporter minus its "add @seed(...) to this test" advice: the test is ours,
    not the user's (the failure's repro snippet replays the example instead)."""
    report = current_reporter()

    def reporter(text: str) -> None:
        if "@seed(" not in text:
            report(text)

    return reporter


# Replaces the hint written in clause_holds (whose source must not change: see RecordingCheck),
# which blamed other clauses and the plugin for what is often an adapter's or a layer's result.
COULD_NOT_GO_ON = "the check could not go on"
COULD_NOT_GO_ON_HINT = (
    "the check's own code raised on this layer's results for this example (the repro below "
    "replays it); the traceback (--tb=long) shows where"
)


BACKWARD_RAISED_HINT = (
    "autograd raised while differentiating the layer's own graph (its backward pass, a custom "
    "autograd.Function or TorchScript's autodiff), so the fault is in the layer or in torch, "
    "not in the check: the repro below makes the check's backward pass, after the examples the "
    "check ran before it in this process"
)


def _in_backward_pass(error: BaseException) -> bool:
    """The exception came out of autograd's engine (loss.backward, autograd.grad, gradcheck)."""
    frames = [frame.f_code for frame, _ in traceback.walk_tb(error.__traceback__)]
    return any(
        code.co_name in ("_engine_run_backward", "run_backward") or "torch/autograd/gradcheck" in code.co_filename
        for code in frames
    )


def _attach_context(failure: ConformanceFailure, case: Case, trial, repro: str | None) -> None:
    if failure.detail.startswith(COULD_NOT_GO_ON):
        error = sys.exc_info()[1]  # what clause_holds is handling
        from conformance.adapters import AdapterError

        if isinstance(error, AdapterError):  # the spec's hook, called by the check itself
            failure.detail, failure.hint = str(error), "fix the spec's hook; the layer is not to blame"
        elif error is not None and _in_backward_pass(error):
            failure.detail = (
                f"the layer's backward pass raised {type(error).__name__}: {error}".strip()
            )
            failure.hint = BACKWARD_RAISED_HINT
            if repro:
                from conformance.backward_repro import backward_snippet

                repro = backward_snippet(trial, trial.earlier) or repro
        else:
            failure.hint = COULD_NOT_GO_ON_HINT
        failure.args = (failure.render(),)
    if trial.example is not None:
        example = trial.example
        failure.add_context(
            f"  layer {case.spec.name} on {case.device}, {str(trial.dtype).removeprefix('torch.')}: "
            f"{example.config}, T={example.seq_len}, B={example.batch}, seed={example.seed}"
            + (", with h0" if trial.with_state else "")
        )
    if repro:
        failure.add_context("  reproduce without the plugin:\n" + _indent(repro, "    "))
    elif trial.example is not None:
        from conformance.repro import NO_SNIPPET

        failure.add_context(NO_SNIPPET)


def _indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line for line in text.splitlines())
