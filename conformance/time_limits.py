"""Time limits on each call of the layer and on a whole case, so that a layer that hangs fails
its item instead of hanging someone's CI.

One SIGALRM timer serves nested limits (the case's budget and, inside it, each call), as
pytest-timeout's signal method does, with one difference: the alarm raises ``LayerTimeout`` only
where that is safe, in the layer's or the check's own code. Raised inside hypothesis (a draw, its
engine) it corrupts hypothesis's state ("Inconsistent data generation!"); raised inside a gc
callback, ``__del__`` or a context manager's ``__exit__``, Python discards it or leaves a setting
half-restored; raised inside an import (torch imports sympy on first use of some functions), it
leaves a half-initialised module that breaks every later case of the session. There the alarm is
put off: for RETRY_SECONDS, or, while hypothesis's engine runs, until the next example's check
begins (``shielded``/``exposed``). So where a limit ends depends on the layer's code, not on where
the machine's load happened to put the signal. Hypothesis's test case is marked overrun before a
limit ends it (``_abandon_test_case``).

A layer stuck inside a single C call (a deadlock in an extension) never returns to Python and
cannot be stopped this way. Where SIGALRM cannot be used (Windows, or a thread other than the main
one) there is no limit, and ``unavailable_reason`` says why. Light imports only: the plugin's
header asks about it.
"""

from __future__ import annotations

import gc
import os
import signal
import sys
import sysconfig
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

DEFAULT_SECONDS = 10.0
# A case's whole run (every example, and hypothesis's shrinking) is bounded by this many calls'
# worth of the per-call limit for each EXAMPLES_PER_BUDGET examples (the ci profile's count): a
# slow layer cannot keep one item busy for many minutes, and a thorough profile keeps its examples.
CASE_FACTOR = 6
EXAMPLES_PER_BUDGET = 20
SHORTEST_ALARM = 1e-4  # setitimer(0) would cancel the alarm instead of firing it at once
# An alarm that rings where raising is unsafe rings again this much later; a raised one too, in
# case the layer swallows it (``except BaseException: pass``) or Python discards it.
RETRY_SECONDS = 0.01
# Functions in which an exception is lost or leaves things half done (see the module docstring).
UNSAFE_FUNCTIONS = frozenset({"__del__", "__enter__", "__exit__", "__aenter__", "__aexit__"})
# Weak references' callbacks run wherever an object dies; what they raise is thrown away.
WEAKREF_FILES = tuple(
    os.path.join(sysconfig.get_paths()["stdlib"], name) for name in ("weakref.py", "_weakrefset.py")
)


@dataclass(frozen=True, eq=False)
class Limit:
    seconds: float
    what: str
    deadline: float = field(default=0.0)


class LayerTimeout(BaseException):
    """A limit ran out. A BaseException, so that neither a layer's own ``except Exception`` nor
    hypothesis (which retries and shrinks what fails with an Exception) can swallow it."""

    def __init__(self, limit: Limit, where: str = "") -> None:
        self.limit = limit
        self.where = where  # the line that was running when the limit ran out
        super().__init__(f"{limit.what}: no result within {seconds_text(limit.seconds)}")


class SearchStopped(BaseException):
    """Carries a clause's failure (and the trial, for its context) past hypothesis, which would
    otherwise replay and shrink the failing example: each replay would hang for the whole limit."""

    def __init__(self, failure: Exception, trial: object) -> None:
        self.failure = failure
        self.trial = trial
        super().__init__(str(failure))


class CaseBudgetWarning(UserWarning):
    """A clause held on fewer examples than the profile asks for: the layer is slow."""


def unavailable_reason() -> str | None:
    """Why this thread cannot have a time limit, or None when it can."""
    if not hasattr(signal, "setitimer"):
        return "no SIGALRM timer on this platform"
    if threading.current_thread() is not threading.main_thread():
        return "not running on the main thread (signals reach the main thread only)"
    return None


def seconds_text(seconds: float) -> str:
    return f"{seconds:g} s"


_active: list[Limit] = []  # innermost last
_collecting = False  # a garbage collection runs: finalisers and weakref callbacks may run anywhere
# Raising at an arbitrary line is safe in the check and the layer, not in hypothesis's engine: a
# BaseException between two of its lines can leave its "inside a test" flag set for good (every
# later case then fails a nested_given health check). Inside ``shielded()`` an alarm is held and
# raised where ``exposed()`` next begins: the start of the next example's check.
_shields: list[bool] = []
_held: Limit | None = None
# The frames of the code that set up each limit or exposure, innermost last: the alarm looks for
# hypothesis's and Python's machinery only between the running line and the innermost of these.
_boundaries: list[object] = []
_call_seconds: float | None = None  # the per-call limit of the case that is running


def case_budget(seconds: float, examples: int) -> float:
    """The whole case's limit: CASE_FACTOR calls' worth per EXAMPLES_PER_BUDGET examples."""
    return seconds * CASE_FACTOR * max(1.0, examples / EXAMPLES_PER_BUDGET)


def describe_budget(seconds: float, examples: int) -> str:
    """``60 s (6 x the per-call limit --birnn-timeout 10 s, for up to 20 examples)``."""
    return (
        f"{seconds_text(case_budget(seconds, examples))} ({CASE_FACTOR} x the per-call limit "
        f"--birnn-timeout {seconds_text(seconds)}, for up to {max(examples, EXAMPLES_PER_BUDGET)} "
        "examples)"
    )


@contextmanager
def case_limits(seconds: float | None, examples: int, what: str) -> Iterator[None]:
    """A case's limits: ``seconds`` for each ``call_limit`` inside, ``case_budget`` for all."""
    global _call_seconds
    outer = _call_seconds
    _call_seconds = seconds
    try:
        with time_limit(case_budget(seconds, examples) if seconds else None, what):
            yield
    finally:
        _call_seconds = outer


@contextmanager
def shielded() -> Iterator[None]:
    """Hold alarms until code inside enters ``exposed()`` (wraps hypothesis's engine)."""
    _shields.append(True)
    try:
        yield
    finally:
        _shields.pop()


@contextmanager
def exposed() -> Iterator[None]:
    """Let alarms raise again (the check's own body), first raising one held meanwhile."""
    global _held
    held, _held = _held, None
    if held is not None and held in _active:
        _abandon_test_case()
        raise LayerTimeout(held, "between two examples (hypothesis was generating or shrinking)")
    _shields.append(False)
    _boundaries.append(_caller_frame())
    try:
        yield
    finally:
        _boundaries.pop()
        _shields.pop()


def call_limit(what: str):
    """The per-call limit of the running case (none outside a case) as a ``time_limit``."""
    return time_limit(_call_seconds, what)


@contextmanager
def time_limit(seconds: float | None, what: str) -> Iterator[Limit | None]:
    """Raise ``LayerTimeout`` in the body once ``seconds`` have passed; no limit for 0 or None.

    The outermost limit installs the handler and pauses any timer it finds (pytest-timeout's, a
    user's); leaving it restores both, the timer less the time spent here.
    """
    global _held
    if not seconds or seconds <= 0 or unavailable_reason() is not None:
        yield None
        return
    limit = Limit(seconds, what, time.monotonic() + seconds)
    outermost = not _active
    if outermost:
        entered = time.monotonic()
        previous_handler = signal.signal(signal.SIGALRM, _on_alarm)
        previous_timer = signal.setitimer(signal.ITIMER_REAL, 0)
        gc.callbacks.insert(0, _note_collection)
    _active.append(limit)
    _boundaries.append(_caller_frame())
    try:
        _arm()
        yield limit
    finally:
        _boundaries.pop()
        _active.remove(limit)
        if _held is limit:
            _held = None
        if _active:
            _arm()
        else:
            signal.setitimer(signal.ITIMER_REAL, 0)
            if outermost:
                _stop_noting_collections()
                signal.signal(signal.SIGALRM, previous_handler)
                _resume(previous_timer, time.monotonic() - entered)


def _arm() -> None:
    remaining = min(limit.deadline for limit in _active) - time.monotonic()
    signal.setitimer(signal.ITIMER_REAL, max(remaining, SHORTEST_ALARM))


def _resume(previous_timer: tuple[float, float], elapsed: float) -> None:
    delay, interval = previous_timer
    if delay > 0:
        signal.setitimer(signal.ITIMER_REAL, max(delay - elapsed, SHORTEST_ALARM), interval)


def _on_alarm(signum, frame) -> None:
    global _held
    # A late alarm (its limit already left) or an early one (timer granularity) changes nothing.
    now = time.monotonic()
    expired = [limit for limit in _active if limit.deadline <= now]
    if not expired:
        if _active:
            _arm()
        return
    limit = min(expired, key=lambda limit: limit.deadline)
    if _shields and _shields[-1]:
        _held = limit  # no re-arm: exposed() raises it
        return
    signal.setitimer(signal.ITIMER_REAL, RETRY_SECONDS)
    if _inside_machinery(frame):
        return  # rings again in RETRY_SECONDS, by then most likely back in the layer's code
    _abandon_test_case()
    raise LayerTimeout(limit, _user_line(frame))


def _abandon_test_case() -> None:
    """Mark hypothesis's running test case as overrun (out of data) before a limit ends it.

    Ended by a limit, a test case stops where no earlier one with the same choices stopped (at
    its very start, say, while earlier ones went on to draw), and hypothesis's data tree reports
    that as "Inconsistent data generation!" instead of letting LayerTimeout through. An overrun is
    the one ending the tree does not compare. Hypothesis's internals: where they differ, nothing.
    """
    if "hypothesis" not in sys.modules:
        return
    try:
        from hypothesis.control import _current_build_context
        from hypothesis.internal.conjecture.data import Status

        context = _current_build_context.value
        if context is not None and not context.data.frozen:
            context.data.status = Status.OVERRUN
    except (ImportError, AttributeError):  # pragma: no cover - another hypothesis version
        pass


def _stop_noting_collections() -> None:
    global _collecting
    gc.callbacks.remove(_note_collection)
    _collecting = False


def _note_collection(phase: str, info: dict) -> None:
    global _collecting
    _collecting = phase == "start"


def _inside_machinery(frame) -> bool:
    """Whether the running line is hypothesis's, a gc callback, a finaliser or weakref callback,
    a context manager's entry or exit, an import, or this module's, anywhere below the code that
    set up the limit."""
    if _collecting:
        return True
    boundary = _boundaries[-1] if _boundaries else None
    callbacks = {getattr(callback, "__code__", None) for callback in gc.callbacks}
    while frame is not None and frame is not boundary:
        code = frame.f_code
        if (
            code in callbacks
            or code.co_name in UNSAFE_FUNCTIONS
            or code.co_filename == __file__
            or code.co_filename in WEAKREF_FILES
            or code.co_filename.startswith("<frozen importlib")  # a half-run module stays broken
            or _is_hypothesis(code.co_filename)
        ):
            return True
        frame = frame.f_back
    return False


def _is_hypothesis(filename: str) -> bool:
    hypothesis = sys.modules.get("hypothesis")  # imported by then; never imported here
    return hypothesis is not None and filename.startswith(
        os.path.join(os.path.dirname(hypothesis.__file__), "")
    )


def _caller_frame():
    """The frame of the code that entered the ``with`` block (outside contextlib and this module)."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename in (__file__, contextlib_file()):
        frame = frame.f_back
    return frame


def contextlib_file() -> str:
    import contextlib

    return contextlib.__file__


def _user_line(frame) -> str:
    """``model.py:42 (forward)``: the innermost running line outside torch and the standard
    library (a loop in the layer spends much of its time in torch's ``__setattr__``, say)."""
    innermost = frame
    while frame is not None and _is_library(frame.f_code.co_filename):
        frame = frame.f_back
    frame = frame or innermost
    if frame is None:
        return "an unknown line"
    return f"{frame.f_code.co_filename}:{frame.f_lineno} ({frame.f_code.co_name})"


def _is_library(filename: str) -> bool:
    torch = sys.modules.get("torch")  # imported by then; never imported here
    if torch is not None and filename.startswith(os.path.join(os.path.dirname(torch.__file__), "")):
        return True
    standard_library = os.path.join(sysconfig.get_paths()["stdlib"], "")
    return filename.startswith(standard_library) and "site-packages" not in filename
