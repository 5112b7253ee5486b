"""The long fuzz run of birnn-lint: the properties of tests/lint/test_fuzz.py, many more examples.

    python bench/lint_fuzz.py --examples 2000            # each model-program property
    python bench/lint_fuzz.py --examples 2000 --seed 1   # reproducible

hypothesmith properties run a quarter as many examples (its programs are slower to draw and
rarely reach the rules), the one-job-or-two directory property a fiftieth. Prints, per property,
the examples run and the time taken, and what the model programs contained (findings per code,
files changed by --fix); on a failure, hypothesis's minimal example and exit status 1.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "lint")]

import test_fuzz  # noqa: E402
from hypothesis import HealthCheck, given, seed, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from model_programs import model_programs  # noqa: E402

from lint_rules.checker import check_source  # noqa: E402


def _settings(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
        print_blob=True,
    )


def _property(test, strategy_name: str, strategy, examples: int, seed_value, observe=None):
    inner = test.hypothesis.inner_test

    def observed(**kwargs):
        if observe is not None:
            observe(**kwargs)
        inner(**kwargs)

    wrapped = _settings(examples)(given(**{strategy_name: strategy})(observed))
    return seed(seed_value)(wrapped) if seed_value is not None else wrapped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=None)
    arguments = parser.parse_args(argv)
    import hypothesmith

    # hypothesmith compiles what it draws; CPython's "'int' object is not callable" warnings
    # are about its programs, not ours (the linter silences the compiler it asks)
    warnings.filterwarnings("ignore", category=SyntaxWarning)
    count = arguments.examples
    codes: Counter[str] = Counter()
    drawn = Counter()

    def tally(source: str) -> None:
        drawn["programs"] += 1
        found = {finding.code for finding in check_source(source)}
        codes.update(found)
        drawn["with findings"] += bool(found)
        drawn["with fixable findings"] += bool(found & {"BRN001", "BRN002"})

    properties = [
        (
            "model programs: no error, deterministic",
            test_fuzz.test_model_programs_are_linted_without_errors_and_the_same_way_twice,
            "source",
            model_programs(),
            count,
            tally,
        ),
        (
            "model programs: --fix valid, comments kept, idempotent, nothing left",
            test_fuzz.test_fix_keeps_the_module_valid_with_its_comments_and_leaves_nothing_to_fix,
            "source",
            model_programs(),
            count,
            None,
        ),
        (
            "model programs: --jobs 1 == --jobs 2 on a directory",
            test_fuzz.test_a_directory_gets_the_same_report_with_one_job_or_two,
            "sources",
            st.lists(model_programs(), min_size=2, max_size=5),
            max(count // 50, 2),
            None,
        ),
        (
            "hypothesmith: findings or ParseFailure only, deterministic",
            test_fuzz.test_any_valid_python_gets_findings_or_a_parse_failure_and_nothing_else,
            "source",
            hypothesmith.from_grammar(),
            max(count // 4, 1),
            None,
        ),
        (
            "hypothesmith: command line exits 0/1 (report and --fix)",
            test_fuzz.test_the_command_line_exits_0_or_1_on_any_valid_python,
            "source",
            hypothesmith.from_grammar(),
            max(count // 4, 1),
            None,
        ),
    ]
    failed = False
    for title, test, name, strategy, examples, observe in properties:
        started = time.perf_counter()
        try:
            _property(test, name, strategy, examples, arguments.seed, observe)()
            outcome = "passed"
        except Exception as error:  # noqa: BLE001 - report every property, then fail
            outcome = f"FAILED: {type(error).__name__}: {error}"
            failed = True
        print(f"{title}: {examples} examples, {time.perf_counter() - started:.1f} s, {outcome}")
        sys.stdout.flush()
    print(f"model programs drawn (first property): {dict(drawn)}")
    print(f"  files with each code: {dict(sorted(codes.items()))}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
