"""Layers that misbehave, as the plugin and ``check_layer`` meet them (issue 4, item 3).

Each fault in ``fixtures/layers/faulty_*.py`` must give failed items whose message names the
layer, the clause and what went wrong; the session never crashes, a layer that hangs is stopped by
the time limit without hypothesis replaying it, and the other layers' items still run.
"""

from __future__ import annotations

import gc
import importlib.metadata
import signal
import sys
import threading
import time
from pathlib import Path

import pytest
import torch
from hypothesis import Phase, given, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

import conformance.running  # noqa: F401  (see below)
from conformance import LayerSpec, check_layer, time_limits
from conformance.checks import all_checks
from fixtures.layers import faulty_hangs, faulty_keeps_state, faulty_mutates_input
from fixtures.layers.faulty_slow import SlowBiGRU

# Import the checks and `running` now: pytester's in-process runs drop the modules they import
# first, and the plugin would push the session's time limit onto a copy the items never read.
all_checks()

REPOSITORY = Path(__file__).resolve().parents[2]
INSTALLED = any(
    entry.value == "conformance.plugin"
    for entry in importlib.metadata.entry_points(group="pytest11")
)
PLUGIN = [] if INSTALLED else ["-p", "conformance.plugin"]
QUIET = ["-p", "no:cacheprovider", "-p", "no:randomly"]
CPU_ONLY = ["--birnn-devices", "cpu"]


@pytest.fixture
def pytester(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """A pytester whose subprocesses can import ``conformance`` and ``fixtures`` from this checkout."""
    monkeypatch.setenv("PYTHONPATH", str(REPOSITORY))
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    return pytester


# --- one session, every fault, and a correct layer beside them ----------------------------------

# (--birnn-layer value, layer name, C1 outcome, C13 outcome, what the first failure's message says)
FAULTS = [
    ("torch.nn:GRU", "GRU", "PASSED", "PASSED", None),
    ("fixtures.layers.faulty_raises_in_init:SPEC", "MisconstructedBiGRU", "FAILED", "FAILED",
     "MisconstructedBiGRU's factory raised TypeError: *multiple values for keyword argument 'bidirectional'*"),
    ("fixtures.layers.faulty_raises:RaisingBiGRU", "RaisingBiGRU", "FAILED", "FAILED",
     "RaisingBiGRU raised RuntimeError: forward is not implemented yet"),
    ("fixtures.layers.faulty_nan:NaNBiGRU", "NaNBiGRU", "FAILED", "FAILED",
     "NaNBiGRU returned non-finite values (NaN or inf) in its output*"),
    ("fixtures.layers.faulty_inf:SPEC", "InfiniteStateBiGRU", "FAILED", "FAILED",
     "InfiniteStateBiGRU returned non-finite values (NaN or inf) in its state[[]0[]]*"),
    ("fixtures.layers.faulty_returns_list:SPEC", "StepListBiGRU", "FAILED", "FAILED",
     "StepListBiGRU returned an output of type list of * (Tensor*; expected a tensor*"),
    ("fixtures.layers.faulty_wrong_device:SPEC", "MetaOutputBiGRU", "FAILED", "FAILED",
     "MetaOutputBiGRU returned its output on device meta for an input on cpu"),
    ("fixtures.layers.faulty_wrong_dtype:SPEC", "HalvedOutputBiGRU", "FAILED", "PASSED",
     "output is torch.bfloat16 on cpu for a torch.float64 input on cpu"),
    ("fixtures.layers.faulty_mutates_input:SPEC", "InPlaceInputBiGRU", "FAILED", "FAILED",
     "InPlaceInputBiGRU modified its input in place (x changed: * values, the largest by *; call 1 *"),
    ("fixtures.layers.faulty_mutates_input:STATE_SPEC", "InPlaceStateBiGRU", "PASSED", "FAILED",  # C1 passes no h0
     "InPlaceStateBiGRU modified its input in place (h0 changed: *"),
    ("fixtures.layers.faulty_keeps_state:SPEC", "StatefulBiGRU", "PASSED", "FAILED",
     "output of a second eval-mode run of the same input differs by up to *"),
    ("fixtures.layers.faulty_hangs:SPEC", "NeverEndingBiGRU", "FAILED", "FAILED",
     "NeverEndingBiGRU did not return within 1 s (clause C1, call 1 of this example: *"
     "it was running *faulty_hangs.py:* (forward)"),
    ("slow_layers:QUICK_ENOUGH", "SlowBiGRU", "PASSED", "PASSED", None),
]  # fmt: skip

SLOW_LAYERS = """
    from conformance import LayerSpec
    from fixtures.layers.faulty_slow import SlowBiGRU

    QUICK_ENOUGH = LayerSpec.from_class(SlowBiGRU, seconds_per_call=0.02)
"""


def test_a_session_of_faulty_layers_fails_each_clearly_and_runs_the_rest(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(slow_layers=SLOW_LAYERS)
    layers = [argument for reference, *_ in FAULTS for argument in ("--birnn-layer", reference)]
    result = pytester.runpytest_subprocess(
        *PLUGIN, *QUIET, *layers, *CPU_ONLY,
        "--birnn-clauses", "C1,C13", "--birnn-profile", "ci", "--birnn-timeout", "1", "-v",
    )  # fmt: skip
    output = result.stdout.str()
    assert result.ret == pytest.ExitCode.TESTS_FAILED, output
    assert "INTERNALERROR" not in output and "Traceback" not in output
    assert "@seed(" not in output  # hypothesis's advice about a test that is ours, not the user's
    result.stdout.fnmatch_lines(
        ["  time limit: 1 s per call of the layer, 6 s per case and 20 examples"]
    )
    for _, name, first, second, message in FAULTS:
        result.stdout.fnmatch_lines(
            [
                f"birnn-conformance::{name}-C1-output-shape-cpu {first}*",
                f"birnn-conformance::{name}-C13-determinism-cpu {second}*",
            ]
        )
        if message is not None:
            clause = "C1-output-shape" if first == "FAILED" else "C13-determinism"
            result.stdout.fnmatch_lines(
                [
                    f"*_ {name}-{clause}-cpu _*",
                    f"{clause}: *",
                    f"  {message}",
                    f"  layer {name} on cpu, *",
                ]
            )
    expected_passes = sum((first, second).count("PASSED") for _, _, first, second, _ in FAULTS)
    result.assert_outcomes(passed=expected_passes, failed=2 * len(FAULTS) - expected_passes)
    result.stdout.fnmatch_lines(
        ["GRU (torch.nn:GRU)", "  clause *cpu", "  C1-output-shape *passed"]
    )


# --- the time limit: options, header, decorator ------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "ini", "header"),
    [
        (
            ["--birnn-timeout", "0.5"],
            "",
            "  time limit: 0.5 s per call of the layer, 3 s per case and 20 examples",
        ),
        ([], "birnn_timeout = 0", "  time limit: none (--birnn-timeout 0)"),
        ([], "", "  time limit: 10 s per call of the layer, 60 s per case and 20 examples"),
    ],
)
def test_the_header_states_the_time_limit(
    pytester: pytest.Pytester, arguments: list[str], ini: str, header: str
) -> None:
    pytester.makeini(f"[pytest]\n{ini}\n")
    result = pytester.runpytest(
        *PLUGIN, *QUIET, "--birnn-layer", "torch.nn:GRU", *arguments, "--co"
    )
    result.stdout.fnmatch_lines([header])


@pytest.mark.parametrize("value", ["-1", "soon"])
def test_a_bad_time_limit_is_a_usage_error(pytester: pytest.Pytester, value: str) -> None:
    pytester.makeini(f"[pytest]\nbirnn_timeout = {value}\n")
    result = pytester.runpytest(*PLUGIN, *QUIET, "--birnn-layer", "torch.nn:GRU", "--co")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: birnn timeout *: give seconds per call, >= 0 (0: no limit)"]
    )


def test_the_sessions_time_limit_reaches_decorated_items(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_layers="""
        from torch import nn

        from conformance import parametrize_with_checks

        @parametrize_with_checks(
            [nn.GRU, "fixtures.layers.faulty_hangs:SPEC"], clauses=["C1"], devices=["cpu"]
        )
        def test_conformance(check):
            check()
        """
    )
    result = pytester.runpytest(*PLUGIN, *QUIET, "--birnn-timeout", "0.3")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        ["  NeverEndingBiGRU did not return within 0.3 s (clause C1, call 1 *"]
    )


# --- the time limit through check_layer ---------------------------------------------------------


class CountingNeverEndingBiGRU(faulty_hangs.NeverEndingBiGRU):
    calls = 0

    def forward(self, x, hx=None):
        type(self).calls += 1
        return super().forward(x, hx)


def test_a_hanging_layer_fails_after_one_limit_and_is_not_retried() -> None:
    CountingNeverEndingBiGRU.calls = 0
    (result,) = check_layer(CountingNeverEndingBiGRU, devices=["cpu"], clauses=["C4"], timeout=0.3)
    assert result.status == "failed"
    assert (
        "CountingNeverEndingBiGRU did not return within 0.3 s (clause C4, call 1 of this"
        in result.message
    )
    assert "hint: stopped by the per-call time limit" in result.message
    assert CountingNeverEndingBiGRU.calls == 1  # hypothesis neither replayed nor shrank it
    assert result.seconds < 0.3 * time_limits.CASE_FACTOR


def test_a_hang_in_a_direct_call_is_stopped_by_the_case_budget() -> None:
    # C16 hands the invalid inputs (here T = 0) to the layer without Trial.run's per-call limit
    (result,) = check_layer(
        faulty_hangs.EMPTY_INPUT_SPEC, devices=["cpu"], clauses=["C16"], timeout=0.2
    )
    assert result.status == "failed"
    assert (
        "EmptyInputHangBiGRU did not finish one example of this clause within the case's time "
        "budget of 1.2 s (6 x the per-call limit --birnn-timeout 0.2 s, for up to 20 examples); it "
        "was running "
    ) in result.message
    assert "faulty_hangs.py:" in result.message


def test_a_slow_layer_under_the_limit_passes() -> None:
    spec = LayerSpec.from_class(SlowBiGRU, seconds_per_call=0.02)
    (result,) = check_layer(spec, devices=["cpu"], clauses=["C1"], timeout=0.5)
    assert (result.status, result.message) == ("passed", "")


def test_a_slow_layer_that_spends_the_case_budget_passes_with_a_note() -> None:
    spec = LayerSpec.from_class(SlowBiGRU, seconds_per_call=0.1)
    (result,) = check_layer(spec, devices=["cpu"], clauses=["C1"], timeout=0.2)
    assert result.status == "passed"
    assert "SlowBiGRU is slow: the clause held on " in result.message
    assert "the case's time budget of 1.2 s" in result.message
    assert not currently_in_test_context()  # the alarm never broke into hypothesis's engine


class SlowWhenWrongBiGRU(torch.nn.GRU):
    """Fails C1 for T >= 2, slowly: hypothesis's shrinking of it would outlast the budget."""

    def forward(self, x, hx=None):
        output, h_n = super().forward(x, hx)
        if x.shape[0] >= 2:
            time.sleep(1.0)
            return output * torch.nan, h_n
        return output, h_n


def test_a_failure_found_before_the_budget_ran_out_is_reported_unshrunk() -> None:
    (result,) = check_layer(
        SlowWhenWrongBiGRU, devices=["cpu"], clauses=["C1"], profile="ci", timeout=1.5
    )  # a 1 s failing call keeps to 1.5 s on a busy machine; the ci profile's search and shrink
    # make about 11 failing calls (measured), so the 9 s budget ends the shrinking
    assert result.status == "failed"
    assert "SlowWhenWrongBiGRU returned non-finite values" in result.message
    assert "(not shrunk: the case's time budget of 9 s" in result.message
    assert not currently_in_test_context()


def test_time_limit_restores_the_previous_handler_and_timer() -> None:
    def previous_handler(signum, frame):  # pragma: no cover - must not fire during the test
        raise AssertionError("the previous timer fired early")

    before = signal.signal(signal.SIGALRM, previous_handler)
    signal.setitimer(signal.ITIMER_REAL, 30)
    try:
        with pytest.raises(time_limits.LayerTimeout) as stopped:
            with time_limits.time_limit(1.0, "the outer limit"):
                with time_limits.time_limit(0.05, "the inner limit"):
                    while True:
                        time.sleep(0.01)
        assert stopped.value.limit.what == "the inner limit"
        assert "test_faults.py" in stopped.value.where
        assert signal.getsignal(signal.SIGALRM) is previous_handler
        assert 25 < signal.getitimer(signal.ITIMER_REAL)[0] <= 30
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, before)


def test_an_alarm_in_a_gc_callback_is_raised_after_it_in_the_running_code(monkeypatch) -> None:
    """Raised inside a gc callback (hypothesis registers one), the limit would be lost."""
    unraisable = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)

    def slow_callback(phase, info) -> None:
        if phase == "start":
            time.sleep(0.2)  # the alarm rings in here

    gc.callbacks.append(slow_callback)
    try:
        with pytest.raises(time_limits.LayerTimeout) as stopped:
            with time_limits.time_limit(0.05, "the limit"):
                gc.collect()
                for _ in range(100):  # a lost alarm would leave this loop to end on its own
                    time.sleep(0.01)
                raise AssertionError("the limit was lost")
    finally:
        gc.callbacks.remove(slow_callback)
    assert unraisable == []
    assert "test_an_alarm_in_a_gc_callback" in stopped.value.where


def test_an_alarm_during_an_import_waits_for_the_module_to_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Raised inside an import, it would leave a half-run module (torch's lazy sympy import)."""
    (tmp_path / "slow_to_import.py").write_text("import time\ntime.sleep(0.2)\nLOADED = True\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "slow_to_import", raising=False)
    with pytest.raises(time_limits.LayerTimeout) as stopped:
        with time_limits.time_limit(0.05, "the limit"):
            import slow_to_import  # noqa: F401

            for _ in range(100):
                time.sleep(0.01)
            raise AssertionError("the limit was lost")
    assert sys.modules["slow_to_import"].LOADED
    assert "test_an_alarm_during_an_import" in stopped.value.where


def test_an_alarm_during_a_hypothesis_draw_waits_for_the_draw_to_end() -> None:
    """Raised inside a draw, it would leave hypothesis's data half written (issue 9, point 4)."""
    drawn = []

    def slow_identity(value: int) -> int:
        time.sleep(0.2)  # the alarm rings in here
        return value

    @settings(max_examples=1, database=None, phases=[Phase.generate])
    @given(data=st.data())
    def body(data) -> None:
        with time_limits.time_limit(0.05, "the limit"):
            drawn.append(data.draw(st.integers(0, 3).map(slow_identity)))
            for _ in range(100):
                time.sleep(0.01)
            raise AssertionError("the limit was lost")

    with pytest.raises(time_limits.LayerTimeout) as stopped:
        body()
    assert len(drawn) == 1
    assert "(body)" in stopped.value.where


def test_a_limit_held_until_the_next_example_ends_the_search_not_hypothesis() -> None:
    """Raised as an example begins (no draw yet, where earlier examples drew), the limit must
    reach the engine as LayerTimeout, not as hypothesis's "Inconsistent data generation!"."""
    drawn = []

    @settings(max_examples=5, database=None, derandomize=True)
    @given(data=st.data())
    def body(data) -> None:
        if drawn:  # the case's limit ran out while hypothesis was generating this example
            time_limits._held = limit
        with time_limits.exposed():
            drawn.append(data.draw(st.integers(0, 100)))

    with time_limits.time_limit(60, "the case") as limit, time_limits.shielded():
        with pytest.raises(time_limits.LayerTimeout) as stopped:
            body()
    assert len(drawn) == 1
    assert "between two examples" in stopped.value.where


def test_no_time_limit_off_the_main_thread_or_at_zero() -> None:
    seen = []

    def in_a_thread() -> None:
        seen.append(time_limits.unavailable_reason())
        with time_limits.time_limit(0.01, "ignored") as limit:
            time.sleep(0.05)
        seen.append(limit)

    thread = threading.Thread(target=in_a_thread)
    thread.start()
    thread.join()
    assert seen == ["not running on the main thread (signals reach the main thread only)", None]
    with time_limits.time_limit(0, "off") as limit:
        time.sleep(0.01)
    assert limit is None


# --- inputs changed in place, state kept between calls -----------------------------------------


def test_a_layer_that_changes_h0_in_place_fails_naming_h0() -> None:
    (result,) = check_layer(
        faulty_mutates_input.STATE_SPEC, devices=["cpu"], clauses=["C10"], profile="ci"
    )
    assert result.status == "failed"
    assert "InPlaceStateBiGRU modified its input in place (h0 changed: " in result.message
    assert "x = x * 2, not x.mul_(2)" in result.message


def test_a_layer_that_keeps_state_between_calls_fails_c13_with_a_hint() -> None:
    (result,) = check_layer(faulty_keeps_state.SPEC, devices=["cpu"], clauses=["C13"], profile="ci")
    assert result.status == "failed"
    assert "a second eval-mode run of the same input differs" in result.message
    assert (
        "keeps state between calls (the previous call's h_n as the next default h0)"
        in result.message
    )
