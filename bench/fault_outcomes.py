"""Every faulty layer in fixtures/layers/faulty_*.py through check_layer: the statuses over all
clauses, the first failure's message, and how long a failing item takes. Prints a Markdown table.

    python bench/fault_outcomes.py                   # ci profile, --birnn-timeout 10
    python bench/fault_outcomes.py --timeout 2       # hanging layers fail sooner
    python bench/fault_outcomes.py --only hangs,slow

With ``--sessions N`` it runs instead one pytest session of every faulty layer N times (as a user
would: ``pytest --birnn-layer ...``, ci profile, --birnn-timeout 1), optionally with every core
kept busy by spinning processes (``--busy``), and says whether every run gave the same outcome
per item and message, and whether any run printed a traceback (time limits must not depend on
the machine's load, nor fire inside hypothesis or Python's machinery):

    python bench/fault_outcomes.py --sessions 20 --busy
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import re
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY))

from conformance import LayerSpec, check_layer  # noqa: E402
from fixtures.layers.faulty_slow import SlowBiGRU  # noqa: E402

FAULTS = {
    "raises in __init__": "fixtures.layers.faulty_raises_in_init:SPEC",
    "raises in forward": "fixtures.layers.faulty_raises:RaisingBiGRU",
    "returns NaN": "fixtures.layers.faulty_nan:NaNBiGRU",
    "returns inf": "fixtures.layers.faulty_inf:SPEC",
    "returns a list": "fixtures.layers.faulty_returns_list:SPEC",
    "output on another device (meta)": "fixtures.layers.faulty_wrong_device:SPEC",
    "output in another dtype (bfloat16)": "fixtures.layers.faulty_wrong_dtype:SPEC",
    "changes x in place": "fixtures.layers.faulty_mutates_input:SPEC",
    "changes h0 in place": "fixtures.layers.faulty_mutates_input:STATE_SPEC",
    "keeps state between calls": "fixtures.layers.faulty_keeps_state:SPEC",
    "hangs on every call": "fixtures.layers.faulty_hangs:SPEC",
    "hangs on T = 0 only (a direct call in C16)": "fixtures.layers.faulty_hangs:EMPTY_INPUT_SPEC",
    "slow: 1.5 s per call": LayerSpec.from_class(SlowBiGRU, seconds_per_call=1.5),
}


def first_line(message: str) -> str:
    """The line under the clause's text: what went wrong."""
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    detail = lines[1] if len(lines) > 1 else (lines[0] if lines else "")
    return detail.replace("|", "\\|")[:160]


# -- repeated sessions ---------------------------------------------------------------------------

SESSION_LAYERS = ["torch.nn:GRU", "fixtures.layers.faulty_slow:SPEC"] + [
    layer for layer in FAULTS.values() if isinstance(layer, str)
]
# What no run may print: a traceback, a crash of pytest, an exception Python threw away (a limit
# raised in a gc callback), hypothesis's complaint about a draw interrupted half way.
NOISE = ("Traceback", "INTERNALERROR", "Exception ignored", "Inconsistent data generation")


def spin() -> None:  # pragma: no cover - a busy loop, stopped by terminate()
    while True:
        pass


def session_outcomes(
    clauses: str, timeout: float
) -> tuple[dict[str, tuple[str, str]], list[str], float]:
    """One pytest session: {item: (status, first line of what went wrong)}, noise seen, seconds."""
    layers = [argument for layer in SESSION_LAYERS for argument in ("--birnn-layer", layer)]
    with tempfile.TemporaryDirectory() as directory:
        report = Path(directory) / "report.xml"
        command = [
            sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:randomly", *layers,
            "--birnn-devices", "cpu", "--birnn-clauses", clauses, "--birnn-profile", "ci",
            "--birnn-timeout", f"{timeout:g}", f"--junitxml={report}", "-q",
        ]  # fmt: skip
        start = time.perf_counter()
        finished = subprocess.run(
            command, cwd=directory, capture_output=True, text=True,
            env={**os.environ, "PYTHONPATH": str(REPOSITORY)},
        )  # fmt: skip
        seconds = time.perf_counter() - start
        outcomes = {}
        for case in ElementTree.parse(report).iter("testcase"):
            status, detail = "passed", ""
            for child in case:
                if child.tag in ("failure", "error", "skipped"):
                    status = child.tag
                    detail = first_line(re.sub(r"\d+(\.\d+)?", "N", child.text or ""))
            # The numbers may differ between runs and are not an outcome: the line a hung loop was
            # interrupted on, and the example shown, which is shrunk less far when the case's
            # time budget (wall-clock time) ends shrinking sooner on a busy machine.
            outcomes[case.get("name")] = (status, detail)
    output = finished.stdout + finished.stderr
    return outcomes, [noise for noise in NOISE if noise in output], seconds


def repeated_sessions(count: int, busy: bool, clauses: str, timeout: float) -> None:
    spinners = []
    if busy:
        spinners = [
            multiprocessing.Process(target=spin, daemon=True) for _ in range(os.cpu_count() or 1)
        ]
        for spinner in spinners:
            spinner.start()
    try:
        print(
            f"{count} sessions of {len(SESSION_LAYERS)} layers x clauses {clauses}, cpu, ci profile, "
            f"--birnn-timeout {timeout:g}; {len(spinners)} busy processes; load average "
            f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores at the start\n"
        )
        print(
            "| run | items | passed | failed | same as run 1 (status, message) | noise | seconds |"
        )
        print("|---|---|---|---|---|---|---|")
        first, differing, noisy = None, 0, 0
        for run in range(1, count + 1):
            outcomes, noise, seconds = session_outcomes(clauses, timeout)
            first = first or outcomes
            same = outcomes == first
            differing += not same
            noisy += bool(noise)
            passed = sum(status == "passed" for status, _ in outcomes.values())
            failed = sum(status == "failure" for status, _ in outcomes.values())
            if not same:
                for item in sorted(set(first) | set(outcomes)):
                    if first.get(item) != outcomes.get(item):
                        print(f"<!-- {item}: {first.get(item)} -> {outcomes.get(item)} -->")
            print(
                f"| {run} | {len(outcomes)} | {passed} | {failed} | {'yes' if same else 'NO'} | "
                f"{', '.join(noise) or '-'} | {seconds:.0f} |",
                flush=True,
            )
        print(
            f"\n{count - differing} of {count} runs gave run 1's statuses and messages (numbers aside); {noisy} printed "
            f"noise; load average {os.getloadavg()[0]:.1f} at the end"
        )
    finally:
        for spinner in spinners:
            spinner.terminate()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, help="per call (default 10 s; sessions: 1 s)")
    parser.add_argument("--profile", default="ci")
    parser.add_argument("--clauses", default="", help="comma-separated clause ids (default: all)")
    parser.add_argument("--only", default="", help="comma-separated words picking faults by name")
    parser.add_argument("--sessions", type=int, default=0, help="run the pytest session N times")
    parser.add_argument("--busy", action="store_true", help="keep every core busy meanwhile")
    arguments = parser.parse_args()
    if arguments.sessions:
        timeout = 1.0 if arguments.timeout is None else arguments.timeout
        repeated_sessions(
            arguments.sessions, arguments.busy, arguments.clauses or "C1,C13,C16", timeout
        )
        return
    arguments.timeout = 10.0 if arguments.timeout is None else arguments.timeout
    clauses = [c for c in arguments.clauses.split(",") if c] or None
    words = [w for w in arguments.only.split(",") if w]
    print(f"profile {arguments.profile}, --birnn-timeout {arguments.timeout:g} s, cpu\n")
    print("| fault | statuses | first failure (clause: what went wrong) | time to fail | total |")
    print("|---|---|---|---|---|")
    for fault, layer in FAULTS.items():
        if words and not any(word in fault for word in words):
            continue
        start = time.perf_counter()
        report = check_layer(
            layer,
            devices=["cpu"],
            clauses=clauses,
            profile=arguments.profile,
            timeout=arguments.timeout,
        )
        total = time.perf_counter() - start
        counts: dict[str, int] = {}
        for result in report:
            counts[result.status] = counts.get(result.status, 0) + 1
        statuses = ", ".join(f"{n} {status}" for status, n in counts.items())
        failed = [result for result in report if result.status == "failed"]
        noted = [result for result in report if result.status == "passed" and result.message]
        if failed:
            first = failed[0]
            slowest = max(result.seconds for result in failed)
            what = f"{first.clause}: {first_line(first.message)}"
            timing = f"{first.seconds:.2f} s (slowest {slowest:.2f} s)"
        elif noted:
            what = f"{noted[0].clause}: {first_line(noted[0].message)} ({len(noted)} such)"
            timing = "-"
        else:
            what, timing = "-", "-"
        print(f"| {fault} | {statuses} | {what} | {timing} | {total:.1f} s |", flush=True)


if __name__ == "__main__":
    main()
