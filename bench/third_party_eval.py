"""Run the conformance suite on public third-party bidirectional layers (issue 8's measurement).

    python bench/third_party_eval.py [NAME ...] [--clauses C1,C4] [--messages]

Each layer in bench/third_party/upstream/ is a pinned copy with its licence; bench/third_party/specs.py holds
one adapter (LayerSpec) per layer. Prints, per layer, each clause's outcome on CPU under the "ci"
profile, the adapter's length in lines and the time it took; `--messages` adds every failure's
message, which bench/third_party/CLASSIFICATION.md classifies.
"""

from __future__ import annotations

import argparse
import ast
import os
import platform
import re
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SPECS_FILE = ROOT / "bench" / "third_party" / "specs.py"
CELL = {"passed": ".", "failed": "F", "error": "E", "skipped": "s", "xfailed": "x", "xpassed": "X"}


def adapter_lines() -> dict[str, int]:
    """Non-blank lines from each `# adapter: NAME` marker to the next. The helpers they use are
    the plugin's public ones (conformance.state_layouts, parameter_maps, parameter_views); what
    the specs share in this file is counted apart, under "shared" (see `shared_lines`)."""
    counts: dict[str, int] = {}
    name = None
    for line in SPECS_FILE.read_text().splitlines():
        marker = re.match(r"# adapter: (\S+)", line)
        if marker:
            name = marker.group(1)
            counts[name] = 0
        elif name and line.strip():
            counts[name] += 1
    counts.pop("end", None)
    return counts


def shared_lines() -> int:
    """Non-blank lines above the first marker other than the docstring and imports: the
    declarations every adapter may use (PLAIN's features)."""
    source = SPECS_FILE.read_text()
    tree = ast.parse(source)
    skipped = set()
    for node in tree.body:
        is_docstring = isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
        if is_docstring or isinstance(node, (ast.Import, ast.ImportFrom)):
            skipped.update(range(node.lineno, node.end_lineno + 1))
    shared = 0
    for number, line in enumerate(source.splitlines(), start=1):
        if line.startswith("# adapter: "):
            break
        shared += bool(line.strip()) and number not in skipped
    return shared


def machine() -> str:
    import torch

    return (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores visible, "
        f"Python {platform.python_version()}, torch {torch.__version__}, CPU only"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="spec names (default: all)")
    parser.add_argument("--clauses", help="comma-separated clause ids (default: all)")
    parser.add_argument("--profile", default="ci")
    parser.add_argument("--messages", action="store_true", help="print each failure's message")
    args = parser.parse_args(argv)

    warnings.filterwarnings("ignore", module="torch.jit")  # TorchScript's __constants__ notes
    from bench.third_party.specs import SPECS
    from conformance import check_layer

    chosen = [s for s in SPECS if not args.names or s.name in args.names]
    unknown = set(args.names) - {s.name for s in chosen}
    if unknown:
        parser.error(f"unknown spec(s) {sorted(unknown)}; known: {[s.name for s in SPECS]}")
    clauses = args.clauses.split(",") if args.clauses else None
    lines = adapter_lines()
    print(f"machine: {machine()}; profile {args.profile}, device cpu")
    print(
        f"adapter lines: per spec below, plus {shared_lines()} shared (specs.py above the markers)"
    )
    print(". passed  F failed  E error  s skipped  x xfail\n")
    summary = []
    for spec in chosen:
        started = time.perf_counter()
        report = check_layer(spec, devices=["cpu"], clauses=clauses, profile=args.profile)
        seconds = time.perf_counter() - started
        cells = " ".join(f"{r.clause}{CELL[r.status]}" for r in report)
        print(f"{spec.name:34} {cells}", flush=True)
        counts = {status: sum(r.status == status for r in report) for status in CELL}
        summary.append((spec.name, counts, lines.get(spec.name, 0), seconds))
        if args.messages:
            for result in report.failures():
                print(f"\n--- {result.id} ({result.status})\n{result.message}\n")
    print(
        f"\n{'layer':34} {'passed':>6} {'failed':>6} {'error':>5} {'skipped':>7} {'adapter':>7} {'seconds':>7}"
    )
    for name, counts, adapter, seconds in summary:
        print(
            f"{name:34} {counts['passed']:6} {counts['failed']:6} {counts['error']:5} "
            f"{counts['skipped']:7} {adapter:7} {seconds:7.1f}"
        )
    failing = sum(c["failed"] + c["error"] for _, c, _, _ in summary)
    print(
        f"\n{len(summary)} layers, {failing} failing (layer, clause) items, "
        f"{sum(s for *_, s in summary):.0f} s in all"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
