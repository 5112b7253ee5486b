"""Run one (layer, clause, device) case and say what happened, the same way for every front end.

The pytest item, the decorator's ``check`` argument and ``check_layer`` all call a ``CaseCheck``;
``outcome`` classifies what it raised for the report, ``describe`` turns a failure into the text
a user reads (the clause, what differed and where, the configuration, the repro) without frames.
"""

from __future__ import annotations

import os
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from conformance.clauses import clause
from conformance.engine import Case, CheckSkipped, run_case
from conformance.failures import ConformanceFailure, LayerContractError
from conformance.known_failures import expected_failure
from conformance.profiles import PHASES, PROFILES, default_profile_name, profile
from conformance.time_limits import DEFAULT_SECONDS, CaseBudgetWarning

if sys.version_info < (3, 11):  # hypothesis depends on the backport there
    from exceptiongroup import BaseExceptionGroup

STATUSES = ("passed", "failed", "xfailed", "xpassed", "skipped", "error")

# The profile a pytest session chose (--birnn-profile, or the user's --hypothesis-profile): the
# plugin pushes it at configure and pops it at unconfigure, in every process (xdist workers too).
_session_profiles: list[str] = []

USER_PROFILE_PREFIX = "hypothesis:"


def push_session_profile(name: str) -> None:
    _session_profiles.append(name)


def pop_session_profile() -> None:
    if _session_profiles:
        _session_profiles.pop()


# The per-call time limit a pytest session chose (--birnn-timeout), pushed and popped likewise.
_session_timeouts: list[float | None] = []


def push_session_timeout(seconds: float | None) -> None:
    _session_timeouts.append(seconds)


def pop_session_timeout() -> None:
    if _session_timeouts:
        _session_timeouts.pop()


def session_timeout() -> float | None:
    """Seconds per call of the layer (0: no limit); DEFAULT_SECONDS unless the session chose."""
    chosen = _session_timeouts[-1] if _session_timeouts else None
    return DEFAULT_SECONDS if chosen is None else chosen


def session_profile() -> str:
    """The profile of the running pytest session, else ``ci`` under CI and ``dev`` elsewhere."""
    return _session_profiles[-1] if _session_profiles else default_profile_name(os.environ)


def settings_for(name: str | None = None) -> hypothesis_settings:
    """The hypothesis settings of a profile name: one of ours, or ``hypothesis:<user profile>``.

    A user's own hypothesis profile is respected as it is, except that deadlines and the
    too-slow health checks are off (a gradcheck takes longer than hypothesis's 200 ms default) and
    so is the explain phase, whose lines are our checks' (see profiles.PHASES).
    """
    name = name or session_profile()
    if name.startswith(USER_PROFILE_PREFIX):
        chosen = hypothesis_settings.get_profile(name.removeprefix(USER_PROFILE_PREFIX))
        suppressed = set(chosen.suppress_health_check) | {
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
        }
        phases = [phase for phase in chosen.phases if phase in PHASES]
        return hypothesis_settings(
            chosen, deadline=None, suppress_health_check=list(suppressed), phases=phases
        )
    return profile(name)


def describe_profile(name: str) -> str:
    """``ci (20 examples, derandomized)``: what the header says about the profile in use."""
    if name.startswith(USER_PROFILE_PREFIX):
        chosen = settings_for(name)
        return (
            f"the hypothesis profile {name.removeprefix(USER_PROFILE_PREFIX)!r} chosen with "
            f"--hypothesis-profile ({chosen.max_examples} examples, deadline off)"
        )
    chosen = PROFILES[name]
    traits = [f"{chosen.max_examples} examples"]
    if chosen.derandomize:
        traits.append("derandomized")
    return f"{name} ({', '.join(traits)})"


@contextmanager
def one_intra_op_thread() -> Iterator[None]:
    """Run a case on one CPU thread, then restore the caller's setting.

    The drawn tensors are tiny: torch's intra-op threads only add synchronisation there, which
    made the whole CI profile of an LSTM about four times slower on a busy 2-core machine, and
    under pytest-xdist every worker's threads would compete for the same cores.
    """
    import torch

    before = torch.get_num_threads()
    if before != 1:
        torch.set_num_threads(1)
    try:
        yield
    finally:
        if before != 1:
            torch.set_num_threads(before)


@contextmanager
def harness_warnings_ignored() -> Iterator[None]:
    """Drop the UserWarnings torch raises inside torch or about our own calls while a case runs.

    They are about what the harness drew, not about the user's code (``LSTM with projections is
    not supported with oneDNN`` when a check runs an LSTM with proj_size in another dtype), and
    would fill the user's warnings summary. A warning whose line is in the user's code (their
    layer's module) is kept, and so is every DeprecationWarning.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=UserWarning, module=r"(torch|conformance)(\.|$)")
        yield


class CaseCheck:
    """The callable behind one test item: runs its case, turns 'does not apply' into a skip."""

    def __init__(
        self, case: Case, profile: str | None = None, timeout: float | None = None
    ) -> None:
        self.case = case
        self.profile = profile
        self.timeout = timeout  # None: the session's --birnn-timeout

    def __call__(self) -> None:
        __tracebackhide__ = True
        timeout = session_timeout() if self.timeout is None else self.timeout
        try:
            with one_intra_op_thread(), harness_warnings_ignored():
                note = run_case(self.case, settings_for(self.profile), timeout=timeout)
        except CheckSkipped as skipped:
            import pytest

            pytest.skip(str(skipped))
        if note:
            warnings.warn(note, CaseBudgetWarning, stacklevel=2)

    def __repr__(self) -> str:
        return f"<check {self.case.id}>"


@dataclass(frozen=True)
class Outcome:
    status: str
    message: str
    seconds: float


def outcome(
    case: Any,
    profile: str | None = None,
    timeout: float | None = DEFAULT_SECONDS,
    run: Callable[..., str | None] | None = None,
) -> Outcome:
    """Run ``case`` outside pytest and classify the result (expected failures included); ``run``
    is the model engine's runner for a model case, else the engine's ``run_case``."""
    start = time.perf_counter()
    try:
        with one_intra_op_thread(), harness_warnings_ignored():
            note = (run or run_case)(case, settings_for(profile), timeout=timeout)
    except CheckSkipped as skipped:
        status, message = "skipped", str(skipped)
    except Exception as error:
        status = "failed" if is_conformance_failure(error) else "error"
        message = describe(error, case.clause_id)
    else:
        status, message = "passed", note or ""
    reason = expected_failure(case)
    if reason is not None and status in ("failed", "error"):
        status, message = "xfailed", f"expected failure ({reason}):\n{message}"
    elif reason is not None and status == "passed":
        # strict, as the plugin's xfail(strict=True): a declared failure that is gone is news
        status = "xpassed"
        message = f"declared as an expected failure ({reason}) but the clause held"
    return Outcome(status, message, time.perf_counter() - start)


def is_conformance_failure(error: BaseException) -> bool:
    """A clause that does not hold (possibly several, grouped by hypothesis), not a harness bug."""
    if isinstance(error, (ConformanceFailure, LayerContractError)):
        return True
    if isinstance(error, BaseExceptionGroup):
        return all(is_conformance_failure(inner) for inner in error.exceptions)
    return False


def describe(error: BaseException, clause_id: str) -> str:
    """The message a user reads: the failure's own text plus hypothesis's useful notes."""
    if isinstance(error, BaseExceptionGroup):
        parts = [f"{clause(clause_id).label}: {error.message}"]
        for number, inner in enumerate(error.exceptions, 1):
            parts.append(f"--- failure {number} of {len(error.exceptions)} ---")
            parts.append(describe(inner, clause_id))
        return "\n".join(parts + _useful_notes(error))
    if isinstance(error, ConformanceFailure):
        text = str(error)
    elif isinstance(error, LayerContractError):
        found = clause(clause_id)
        text = f"{found.label}: {found.text}\n  {error}"
    else:
        text = f"{clause(clause_id).label}: the check raised {type(error).__name__}: {error}"
    return "\n".join([text, *_useful_notes(error)])


def _useful_notes(error: BaseException) -> list[str]:
    """Hypothesis's notes minus the ones about its own decorator, which a user cannot apply."""
    notes = []
    for note in getattr(error, "__notes__", ()):
        if "@reproduce_failure" in note or "data=data(...)" in note:
            continue  # hypothesis's decorator and our inner test: nothing a user can apply
        if note.startswith("Draw") and "(example): Example(" in note:
            continue  # the engine's context line already states the drawn example
        notes.append(note)
    return notes
