"""Precision and recall of birnn-lint on a labelled corpus of real model files.

The corpus (third-party code) stays outside the repository, by default in ``/tmp/real_corpus``;
``bench/real_corpus_labels.json`` says, for each file, where it came from and which findings a
careful reviewer expects. Nothing is fetched: a labelled file missing from the folder is reported
and skipped.

    python bench/real_corpus_eval.py [--corpus DIR] [--labels FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lint_rules.checker import check_source  # noqa: E402
from lint_rules.model import ParseFailure  # noqa: E402
from lint_rules.rules import ALL_RULES  # noqa: E402

DEFAULT_CORPUS = Path("/tmp/real_corpus")
DEFAULT_LABELS = Path(__file__).resolve().parent / "real_corpus_labels.json"


@dataclass(frozen=True)
class Mark:
    """One finding, expected or reported: a rule code at a line of a corpus file."""

    file: str
    code: str
    line: int


def expected_marks(name: str, entry: dict) -> set[Mark]:
    return {Mark(name, item["code"], item["line"]) for item in entry.get("expected", [])}


def reported_marks(name: str, source: str) -> set[Mark]:
    try:
        findings = check_source(source)
    except ParseFailure:
        return set()
    return {Mark(name, finding.code, finding.line) for finding in findings}


def evaluate(corpus: Path, labels: dict) -> tuple[set[Mark], set[Mark], list[str]]:
    expected: set[Mark] = set()
    reported: set[Mark] = set()
    missing = []
    for name, entry in sorted(labels["files"].items()):
        path = corpus / name
        if not path.is_file():
            missing.append(name)
            continue
        expected |= expected_marks(name, entry)
        reported |= reported_marks(name, path.read_text(encoding="utf-8"))
    return expected, reported, missing


def ratio(numerator: int, denominator: int) -> str:
    return f"{numerator / denominator:.2f}" if denominator else "n/a"


def print_table(expected: set[Mark], reported: set[Mark]) -> None:
    true_positives = Counter(mark.code for mark in expected & reported)
    false_positives = Counter(mark.code for mark in reported - expected)
    false_negatives = Counter(mark.code for mark in expected - reported)
    print(f"{'rule':<8} {'TP':>4} {'FP':>4} {'FN':>4} {'precision':>10} {'recall':>7}")
    codes = [rule.code for rule in ALL_RULES]
    for code in [*codes, "all"]:
        if code == "all":
            tp, fp, fn = (sum(counter.values()) for counter in
                          (true_positives, false_positives, false_negatives))
        else:
            tp, fp, fn = true_positives[code], false_positives[code], false_negatives[code]
        print(f"{code:<8} {tp:>4} {fp:>4} {fn:>4} {ratio(tp, tp + fp):>10} {ratio(tp, tp + fn):>7}")


def print_marks(title: str, marks: set[Mark], notes: dict[Mark, str]) -> None:
    print(f"\n{title} ({len(marks)}):")
    for mark in sorted(marks, key=lambda m: (m.file, m.line, m.code)):
        note = notes.get(mark, "")
        print(f"  {mark.file}:{mark.line}: {mark.code}" + (f"  ({note})" if note else ""))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--labels", type=Path, default=DEFAULT_LABELS)
    arguments = parser.parse_args(argv)
    labels = json.loads(arguments.labels.read_text(encoding="utf-8"))
    expected, reported, missing = evaluate(arguments.corpus, labels)
    notes = {
        Mark(name, item["code"], item["line"]): item.get("note", "")
        for name, entry in labels["files"].items()
        for item in entry.get("expected", [])
    }
    present = len(labels["files"]) - len(missing)
    print(f"{present} labelled files in {arguments.corpus}, {len(expected)} expected findings")
    if missing:
        print(f"missing from the corpus folder (skipped): {', '.join(missing)}")
    print()
    print_table(expected, reported)
    print_marks("false positives", reported - expected, notes)
    print_marks("false negatives", expected - reported, notes)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
