"""The linter against hostile files: each gets one clear line of its own (or a clean result),
the rest of the run goes on, the exit status is right, and nothing is written without --fix.

These run the real rules. Files too big for the default run are behind ``BIRNN_LINT_SLOW=1``
(bench/RESULTS.md has their timings).
"""

from __future__ import annotations

import ast
import builtins
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import lint_rules
from lint_rules.cli import main

BIDIRECTIONAL_WITH_BAD_STATE = (
    "import torch\n"
    "import torch.nn as nn\n"
    "rnn = nn.LSTM(8, 16, num_layers=2, bidirectional=True)\n"
    "h0 = torch.zeros(2, 4, 16)  # one row per layer: the directions are missing\n"
    "out, h = rnn(x, (h0, h0))\n"
)
MEGABYTE = 1_000_000
slow = pytest.mark.skipif(
    not os.environ.get("BIRNN_LINT_SLOW"), reason="slow: set BIRNN_LINT_SLOW=1 to run"
)


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def lint(capsys, *arguments: str) -> tuple[int, list[str]]:
    """``birnn-lint --isolated ARGUMENTS``: exit status and the lines of the report."""
    status = main(["--isolated", *arguments])
    out, err = capsys.readouterr()
    assert "Traceback" not in err and "internal error" not in err and ": BRN999 " not in out
    return status, out.splitlines()


def generated_module(size: int) -> str:
    """Plain functions, no RNN anywhere: what code generators write by the megabyte."""
    chunk = "def function_{0}(value):\n    total = value * {0} + 1\n    return total - {0}\n\n\n"
    parts, length, index = [], 0, 0
    while length < size:
        parts.append(chunk.format(index))
        length += len(parts[-1])
        index += 1
    return "".join(parts)


# ------------------------------------------------------------------ one file at a time


def test_an_empty_file_is_a_clean_run(project, capsys):
    (project / "empty.py").write_bytes(b"")
    assert lint(capsys, "empty.py") == (0, [])


def test_a_file_with_a_byte_order_mark_is_linted_and_fixed_keeping_the_mark(project, capsys):
    path = project / "bom.py"
    path.write_bytes(b"\xef\xbb\xbf" + BIDIRECTIONAL_WITH_BAD_STATE.encode())
    status, lines = lint(capsys, "bom.py")
    assert status == 1 and [line.split()[1] for line in lines] == ["BRN001"]
    assert lint(capsys, "--fix", "bom.py")[0] == 0
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert b"torch.zeros(4, 4, 16)" in path.read_bytes()  # two layers, two directions


def test_latin1_bytes_without_a_coding_line_are_one_decode_error_line(project, capsys):
    (project / "latin1.py").write_bytes(b"import torch\n# caf\xe9 au lait\nrnn = nn.LSTM(1, 2)\n")
    status, lines = lint(capsys, "latin1.py")
    assert status == 1
    assert lines == ["latin1.py:2:6: E902 cannot decode file: invalid continuation byte (utf-8)"]


def test_latin1_bytes_with_a_coding_line_are_linted(project, capsys):
    source = "# -*- coding: latin-1 -*-\n# café\n" + BIDIRECTIONAL_WITH_BAD_STATE
    (project / "declared.py").write_bytes(source.encode("latin-1"))
    status, lines = lint(capsys, "declared.py")
    assert status == 1 and lines[0].startswith("declared.py:6:") and "BRN001" in lines[0]


def test_nul_bytes_are_one_syntax_error_line(project, capsys):
    (project / "nul.py").write_bytes(b"import torch.nn as nn\nrnn = nn.LSTM(1, 2)\x00\n")
    status, lines = lint(capsys, "nul.py")
    assert status == 1
    assert lines == ["nul.py:1:1: E999 SyntaxError: source code string cannot contain null bytes"]


def test_python2_syntax_is_one_syntax_error_line_where_python_puts_it(project, capsys):
    (project / "legacy.py").write_text('import torch\nrnn = torch.nn.LSTM(1, 2)\nprint "done"\n')
    status, lines = lint(capsys, "legacy.py")
    assert status == 1
    assert lines == [
        "legacy.py:3:1: E999 SyntaxError: Missing parentheses in call to 'print'. "
        "Did you mean print(...)?"
    ]


@pytest.mark.parametrize(
    "expression",
    [
        pytest.param("-" * 100_000 + "1", id="100k-unary-minus"),  # segfaulted libcst's parser
        pytest.param("(1" + " +\n    1" * 10_000 + ")", id="10k-term-sum-over-lines"),
        pytest.param("a" + ".b" * 50_000, id="50k-attribute-chain"),
        pytest.param("f" + "()" * 20_000, id="20k-call-chain"),
    ],
)
def test_expressions_too_deep_for_python_are_one_syntax_error_line(project, capsys, expression):
    (project / "deep.py").write_text(f"rnn = nn.LSTM(1, 2)\nx = {expression}\n")
    started = time.perf_counter()
    status, lines = lint(capsys, "deep.py")
    assert status == 1 and time.perf_counter() - started < 5
    assert lines == [
        "deep.py:1:1: E999 SyntaxError: too deeply nested for Python's parser "
        + lines[0].rsplit(" ", 1)[-1]
    ]


def test_a_thousand_nested_parentheses_are_a_clean_result(project, capsys):
    """Python refuses more than 200 (a SyntaxError only CPython has); libcst parses them."""
    (project / "parens.py").write_text("rnn = nn.LSTM(1, 2)\nx = " + "(" * 1000 + "1" + ")" * 1000)
    assert lint(capsys, "parens.py") == (0, [])


def test_a_broken_notebook_is_one_error_line_with_the_json_position(project, capsys):
    (project / "broken.ipynb").write_text('{"cells": [\n  {"cell_type": "code",\n')
    status, lines = lint(capsys, "broken.ipynb")
    assert status == 1 and len(lines) == 1
    assert lines[0].startswith("broken.ipynb:3:") and " E999 invalid notebook JSON" in lines[0]


def test_a_notebook_with_no_code_cells_is_a_clean_run(project, capsys):
    notebook = {
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": ["nn.LSTM(bidirectional=True)"]}
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (project / "notes.ipynb").write_text(json.dumps(notebook))
    assert lint(capsys, "notes.ipynb") == (0, [])


def test_an_unreadable_file_is_one_error_line_and_the_run_goes_on(project, capsys, monkeypatch):
    """chmod 000 means nothing to root, so the refusal is simulated where the file is opened."""
    (project / "locked.py").write_text(BIDIRECTIONAL_WITH_BAD_STATE)
    (project / "open.py").write_text(BIDIRECTIONAL_WITH_BAD_STATE)

    def refuse_locked(path, *args, **kwargs):
        if str(path).endswith("locked.py"):
            raise PermissionError(13, "Permission denied", str(path))
        return builtins.open(path, *args, **kwargs)

    monkeypatch.setattr("lint_rules.engine.open", refuse_locked, raising=False)
    status, lines = lint(capsys, ".")
    assert status == 1
    assert lines[0] == "locked.py:1:1: E902 cannot read file: Permission denied"
    assert lines[1].startswith("open.py:4:") and "BRN001" in lines[1]


def test_a_directory_symlink_to_its_parent_is_not_followed(project, capsys):
    (project / "pkg").mkdir()
    (project / "pkg" / "model.py").write_text(BIDIRECTIONAL_WITH_BAD_STATE)
    (project / "pkg" / "loop").symlink_to("..", target_is_directory=True)
    status, lines = lint(capsys, ".")
    assert status == 1 and len(lines) == 1 and lines[0].startswith("pkg/model.py:4:")


def test_a_self_referencing_symlink_is_one_error_line_named_or_walked(project, capsys):
    (project / "self.py").symlink_to("self.py")
    (project / "model.py").write_text(BIDIRECTIONAL_WITH_BAD_STATE)
    loop = "self.py:1:1: E902 cannot read file: Too many levels of symbolic links"
    assert lint(capsys, "self.py") == (1, [loop])
    status, lines = lint(capsys, ".")
    assert status == 1 and lines[0].startswith("model.py:4:") and lines[1] == loop


def test_a_run_over_every_hostile_file_at_once_reports_each_and_exits_1(tmp_path):
    """In a subprocess, as users run it: a crash in the parser (a segfault) could not hide."""
    files = {
        "a_empty.py": b"",
        "b_latin1.py": b"x = '\xe9'\n",
        "c_nul.py": b"rnn = LSTM\x00\n",
        "d_deep.py": b"rnn = LSTM\nx = " + b"-" * 100_000 + b"1\n",
        "e_legacy.py": b'rnn = LSTM\nprint "x"\n',
        "f_broken.ipynb": b"{",
        "g_model.py": BIDIRECTIONAL_WITH_BAD_STATE.encode(),
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    (tmp_path / "h_self.py").symlink_to("h_self.py")
    done = subprocess.run(
        [sys.executable, "-m", "lint_rules", "--isolated", "."],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(Path(lint_rules.__file__).parent.parent)},
    )
    assert done.returncode == 1, done.stderr
    codes = [(line.split(":")[0], line.split()[1]) for line in done.stdout.splitlines()]
    assert codes == [
        ("b_latin1.py", "E902"),
        ("c_nul.py", "E999"),
        ("d_deep.py", "E999"),
        ("e_legacy.py", "E999"),
        ("f_broken.ipynb", "E999"),
        ("g_model.py", "BRN001"),
        ("h_self.py", "E902"),
    ]


# ------------------------------------------------------------------ size


def test_a_10_mb_module_without_an_rnn_is_skipped_by_the_text_prefilter(project, capsys):
    (project / "generated.py").write_text(generated_module(10 * MEGABYTE))
    started = time.perf_counter()
    assert lint(capsys, "generated.py") == (0, [])
    assert time.perf_counter() - started < 5


@slow
def test_a_10_mb_module_with_an_rnn_at_the_end_is_parsed_and_linted(project, capsys):
    """About a minute and 4 GB: libcst's parse of 590,000 lines (bench/RESULTS.md)."""
    (project / "generated.py").write_text(
        generated_module(10 * MEGABYTE) + BIDIRECTIONAL_WITH_BAD_STATE
    )
    started = time.perf_counter()
    status, lines = lint(capsys, "generated.py")
    print(f"10 MB with an RNN: {time.perf_counter() - started:.1f} s")
    assert status == 1 and len(lines) == 1 and "BRN001" in lines[0]


def test_a_directory_of_10000_small_files(project, capsys):
    """Small files stay cheap: the whole run costs at most 15 times reading and ``ast.parse``-ing
    the same files in the same process (about 7 times on the 2-core CI machine, with or without
    coverage). A ratio, not seconds: coverage and a busy machine slow both sides alike, and a
    wall-clock limit failed on them alone."""
    for package in range(20):
        folder = project / f"pkg_{package}"
        folder.mkdir()
        for index in range(500):
            body = (
                BIDIRECTIONAL_WITH_BAD_STATE
                if index == 0
                else f"def f(x):\n    return x + {index}\n"
            )
            (folder / f"m_{index}.py").write_text(body)
    started = time.perf_counter()
    for path in project.rglob("*.py"):
        ast.parse(path.read_text())
    parsing = time.perf_counter() - started
    started = time.perf_counter()
    status, lines = lint(capsys, ".")
    elapsed = time.perf_counter() - started
    assert status == 1 and len(lines) == 20
    assert elapsed < 15 * parsing, f"{elapsed:.1f} s against {parsing:.2f} s of ast.parse"


# ------------------------------------------------------------------ writing


def snapshot(root: Path) -> dict[str, tuple[int, bytes]]:
    return {
        str(path): (path.stat().st_mtime_ns, path.read_bytes())
        for path in sorted(root.rglob("*"))
        if path.is_file() and not path.is_symlink() and ".birnn_lint_cache" not in path.parts
    }


@pytest.mark.parametrize(
    "options",
    [
        [],
        ["--diff"],
        ["--format", "json"],
        ["--format", "sarif"],
        ["--statistics"],
        ["--show-source"],
        ["--exit-zero"],
    ],
    ids=lambda options: " ".join(options) or "report",
)
def test_nothing_is_written_without_fix(project, capsys, options):
    (project / "model.py").write_text(BIDIRECTIONAL_WITH_BAD_STATE)
    (project / "crlf.py").write_bytes(BIDIRECTIONAL_WITH_BAD_STATE.replace("\n", "\r\n").encode())
    (project / "bom.py").write_bytes(b"\xef\xbb\xbf" + BIDIRECTIONAL_WITH_BAD_STATE.encode())
    (project / "legacy.py").write_text('print "x"\nLSTM\n')
    (project / "empty.py").write_text("")
    before = snapshot(project)
    assert lint(capsys, *options, ".")[0] in (0, 1)
    assert snapshot(project) == before


@pytest.mark.parametrize("failing", ["os.replace", "os.fsync"])
def test_a_fix_that_fails_midway_leaves_the_file_intact_and_no_temporary(
    project, capsys, monkeypatch, failing
):
    path = project / "model.py"
    path.write_text(BIDIRECTIONAL_WITH_BAD_STATE)

    def crash(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(failing, crash)
    assert main(["--isolated", "--fix", "model.py"]) == 1
    out, err = capsys.readouterr()
    assert "model.py: not fixed: cannot write: [Errno 28] No space left on device" in err
    assert "BRN001" in out
    assert path.read_text() == BIDIRECTIONAL_WITH_BAD_STATE
    assert sorted(p.name for p in project.iterdir()) == ["model.py"]


def test_an_interrupt_during_a_fix_leaves_the_file_intact_and_no_temporary(project, monkeypatch):
    path = project / "model.py"
    path.write_text(BIDIRECTIONAL_WITH_BAD_STATE)

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("os.replace", interrupt)
    assert main(["--isolated", "--fix", "model.py"]) == 130
    assert path.read_text() == BIDIRECTIONAL_WITH_BAD_STATE
    assert sorted(p.name for p in project.iterdir()) == ["model.py"]


def test_a_folder_that_cannot_be_listed_is_one_error_line_and_the_run_goes_on(
    project, capsys, monkeypatch
):
    (project / "locked").mkdir()
    (project / "locked" / "hidden.py").write_text(BIDIRECTIONAL_WITH_BAD_STATE)
    (project / "model.py").write_text(BIDIRECTIONAL_WITH_BAD_STATE)
    real_scandir = os.scandir

    def refuse_locked(path="."):
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr("os.scandir", refuse_locked)
    status, lines = lint(capsys, ".")
    assert status == 1
    assert lines[0] == "locked:1:1: E902 cannot read directory: Permission denied"
    assert lines[1].startswith("model.py:4:") and "BRN001" in lines[1]
