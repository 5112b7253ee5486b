"""The linter against generated programs: whatever valid Python it meets, it answers, the same
way every time, and its fixes are safe.

Two sources of programs: ``hypothesmith`` (any syntactically valid Python, mostly nothing like a
model) and ``model_programs`` (model code with the rules' pitfalls in new shapes). The run here
is CI-sized; ``python bench/lint_fuzz.py --examples 2000`` is the long one (bench/RESULTS.md).
Under ``CI`` the examples are derandomized, so a CI failure replays locally with ``CI=1``.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
import tokenize
from collections import Counter
from pathlib import Path
from unittest import mock

import hypothesmith
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from model_programs import model_programs

from lint_rules.checker import check_source
from lint_rules.cli import main
from lint_rules.model import ParseFailure

FIXED_CODES = "BRN001,BRN002"
RNN_HEADER = "import torch.nn as nn\nrnn = nn.LSTM(4, 8, bidirectional=True)\n"


def fuzz_settings(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=bool(os.environ.get("CI")),
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        print_blob=True,
    )


def run_cli(*arguments: str) -> tuple[int, str]:
    """``birnn-lint ARGUMENTS`` in this process: exit status and everything it printed."""
    output = io.StringIO()
    with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
        status = main(["--isolated", *arguments])
    return status, output.getvalue()


def assert_no_internal_error(status: int, output: str) -> None:
    __tracebackhide__ = True
    assert status in (0, 1), f"exit {status}, not 0/1:\n{output}"
    for sign in ("BRN999", "internal error", "Traceback"):
        assert sign not in output, output


def comment_tokens(source: str) -> Counter[str]:
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return Counter(token.string for token in tokens if token.type == tokenize.COMMENT)


def check_or_parse_failure(source: str) -> list | ParseFailure:
    """What ``check_source`` says; ParseFailure, the one exception it may raise, as a value."""
    try:
        return check_source(source)
    except ParseFailure as failure:
        return failure


@contextlib.contextmanager
def module_file(source: str):
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "model.py"
        path.write_text(source, encoding="utf-8")
        yield path


# ------------------------------------------------------------------ any valid Python


@fuzz_settings(examples=40)
@given(source=hypothesmith.from_grammar())
def test_any_valid_python_gets_findings_or_a_parse_failure_and_nothing_else(source):
    for text in (source, RNN_HEADER + source):  # the header gets it past the text prefilter
        first = check_or_parse_failure(text)
        assert check_or_parse_failure(text) == first


@fuzz_settings(examples=25)
@given(source=hypothesmith.from_grammar())
def test_the_command_line_exits_0_or_1_on_any_valid_python(source):
    with module_file(RNN_HEADER + source) as path:
        assert_no_internal_error(*run_cli(str(path)))
        assert_no_internal_error(*run_cli("--fix", str(path)))


# ------------------------------------------------------------------ model-shaped code


@fuzz_settings(examples=60)
@given(source=model_programs())
def test_model_programs_are_linted_without_errors_and_the_same_way_twice(source):
    findings = check_source(source)
    assert check_source(source) == findings
    with module_file(source) as path:
        first = run_cli(str(path))
        assert_no_internal_error(*first)
        assert run_cli(str(path)) == first


@fuzz_settings(examples=60)
@given(source=model_programs())
def test_fix_keeps_the_module_valid_with_its_comments_and_leaves_nothing_to_fix(source):
    with module_file(source) as path:
        assert_no_internal_error(*run_cli("--fix", str(path)))
        fixed = path.read_text(encoding="utf-8")
        compile(fixed, str(path), "exec", dont_inherit=True)
        assert comment_tokens(fixed) == comment_tokens(source)

        assert_no_internal_error(*run_cli("--fix", str(path)))
        assert path.read_text(encoding="utf-8") == fixed, "a second --fix changed the file"

        status, output = run_cli("--select", FIXED_CODES, str(path))
        assert status == 0, f"findings left after --fix:\n{output}\n{fixed}"


@fuzz_settings(examples=8)
@given(sources=st.lists(model_programs(), min_size=2, max_size=5))
def test_a_directory_gets_the_same_report_with_one_job_or_two(sources):
    with (
        tempfile.TemporaryDirectory() as directory,
        mock.patch("lint_rules.parallel.MIN_LINES_FOR_POOL", 1),
    ):
        for index, source in enumerate(sources):
            (Path(directory) / f"model_{index}.py").write_text(source, encoding="utf-8")
        serial = run_cli("--jobs", "1", "--format", "json", directory)
        assert_no_internal_error(*serial)
        assert run_cli("--jobs", "2", "--format", "json", directory) == serial


@fuzz_settings(examples=10)
@given(source=model_programs())
def test_the_generator_draws_modules_that_compile_and_build_an_rnn(source):
    """What the properties above rely on."""
    compile(source, "<drawn>", "exec", dont_inherit=True)
    assert any(kind in source for kind in ("LSTM", "GRU", "RNN"))
