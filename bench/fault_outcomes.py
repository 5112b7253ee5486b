"""Every faulty layer in fixtures/layers/faulty_*.py through check_layer: the statuses over all
clauses, the first failure's message, and how long a failing item takes. Prints a Markdown table.

    python bench/fault_outcomes.py                   # ci profile, --birnn-timeout 10
    python bench/fault_outcomes.py --timeout 2       # hanging layers fail sooner
    python bench/fault_outcomes.py --only hangs,slow
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument("--profile", default="ci")
    parser.add_argument("--clauses", default="", help="comma-separated clause ids (default: all)")
    parser.add_argument("--only", default="", help="comma-separated words picking faults by name")
    arguments = parser.parse_args()
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
            layer, devices=["cpu"], clauses=clauses, profile=arguments.profile, timeout=arguments.timeout
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
