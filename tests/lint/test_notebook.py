"""Notebooks: code cells joined into one module, IPython lines neutralised in place, findings
reported as ``cell N:line:col``, fixes written back into the cells."""

from __future__ import annotations

import json
import sys
import types

import pytest

import lint_rules
from lint_rules.cli import main
from lint_rules.model import Edit, Finding
from lint_rules.notebook import NotebookError, parse_notebook


def stub_check_source(source, *, extra_constructors=(), select=None):
    """BRN001 on ``zeros(num_layers,`` but only once the RNN was seen earlier in the module."""
    compile(source, "<notebook>", "exec")  # IPython syntax left in would fail here
    findings, offset, seen_rnn = [], 0, False
    for number, line in enumerate(source.split("\n"), start=1):
        seen_rnn = seen_rnn or "LSTM(" in line
        if seen_rnn and (column := line.find("zeros(num_layers,")) >= 0:
            start = offset + column + len("zeros(")
            fix = (Edit(start, start + len("num_layers"), "num_layers * 2"),)
            findings.append(Finding("BRN001", number, column + 1, "h0 lacks directions", fix))
        offset += len(line) + 1
    return findings


@pytest.fixture(autouse=True)
def stub_rules(monkeypatch):
    module = types.SimpleNamespace(
        might_have_findings=lambda source, extra=(): "LSTM" in source,
        check_source=stub_check_source,
    )
    monkeypatch.setitem(sys.modules, "lint_rules.checker", module)
    monkeypatch.setattr(lint_rules, "checker", module, raising=False)


def notebook(*cells: tuple[str, str]) -> dict:
    return {
        "cells": [
            {"cell_type": kind, "metadata": {}, "source": source.splitlines(keepends=True)}
            | ({"execution_count": None, "outputs": []} if kind == "code" else {})
            for kind, source in cells
        ],
        "metadata": {"language_info": {"name": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


NOTEBOOK = notebook(
    ("markdown", "# A bidirectional tagger\n"),
    (
        "code",
        "%matplotlib inline\n!pip install torch\nimport torch\nrnn = torch.nn.LSTM(4, 8, bidirectional=True)",
    ),
    ("code", "files = !ls\nif True:\n    %time x = 1\nh0 = torch.zeros(num_layers, 2, 8)\n"),
)


@pytest.fixture
def notebook_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(NOTEBOOK, indent=1) + "\n")
    return path


def test_ipython_lines_are_neutralised_without_moving_lines():
    source = parse_notebook(json.dumps(NOTEBOOK))
    lines = source.text.split("\n")
    assert lines[:4] == [
        "pass",
        "pass",
        "import torch",
        "rnn = torch.nn.LSTM(4, 8, bidirectional=True)",
    ]
    assert lines[4:8] == [
        "files = None",
        "if True:",
        "    pass",
        "h0 = torch.zeros(num_layers, 2, 8)",
    ]
    assert source.locate(8) == (3, 4)


def test_modulo_in_a_wrapped_expression_is_not_a_magic():
    source = parse_notebook(json.dumps(notebook(("code", "x = (10\n     % 3)\n"))))
    assert source.text == "x = (10\n     % 3)\n"


def test_foreign_cell_magics_blank_the_cell():
    source = parse_notebook(
        json.dumps(notebook(("code", "%%bash\necho hi\n"), ("code", "y = 1\n")))
    )
    assert source.text == "\n\ny = 1\n"


def test_finding_across_cells_is_reported_by_cell_and_line(notebook_file, capsys):
    assert main(["nb.ipynb"]) == 1
    assert capsys.readouterr().out == "nb.ipynb:cell 3:4:12: BRN001 h0 lacks directions\n"


def test_broken_notebook_json_is_one_error_line(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "broken.ipynb").write_text('{"cells": [\n  {"cell_type": ')
    assert main(["broken.ipynb"]) == 1
    [line] = capsys.readouterr().out.splitlines()
    assert line.startswith("broken.ipynb:2:") and " E999 invalid notebook JSON" in line


def test_not_a_notebook():
    with pytest.raises(NotebookError):
        parse_notebook("[1, 2]")


def test_fix_writes_into_the_cell_and_keeps_magics(notebook_file):
    assert main(["--fix", "nb.ipynb"]) == 0
    fixed = json.loads(notebook_file.read_text())
    assert fixed["cells"][2]["source"] == [
        "files = !ls\n",
        "if True:\n",
        "    %time x = 1\n",
        "h0 = torch.zeros(num_layers * 2, 2, 8)\n",
    ]
    assert fixed["cells"][1] == NOTEBOOK["cells"][1]
    before = notebook_file.read_text()
    assert main(["--fix", "nb.ipynb"]) == 0 and notebook_file.read_text() == before


def test_diff_names_the_cell_and_writes_nothing(notebook_file, capsys):
    before = notebook_file.read_text()
    assert main(["--diff", "nb.ipynb"]) == 1
    out = capsys.readouterr().out
    assert "--- a/nb.ipynb:cell 3" in out and "+h0 = torch.zeros(num_layers * 2, 2, 8)" in out
    assert notebook_file.read_text() == before


def test_diff_shows_the_cell_as_it_is_and_as_fix_writes_it(notebook_file, capsys):
    """The patch's old side is the cell on disk (magics included), its new side what --fix writes."""
    assert main(["--diff", "nb.ipynb"]) == 1
    body = capsys.readouterr().out.splitlines()[3:]  # after the ---, +++ and @@ lines
    old_side = [line[1:] for line in body if line[0] in " -"]
    new_side = [line[1:] for line in body if line[0] in " +"]
    assert old_side == "".join(NOTEBOOK["cells"][2]["source"]).splitlines()
    assert main(["--fix", "nb.ipynb"]) == 0
    fixed = json.loads(notebook_file.read_text())
    assert new_side == "".join(fixed["cells"][2]["source"]).splitlines()
    assert "files = !ls" in old_side and "    %time x = 1" in new_side


INDENTED = notebook(
    ("code", "import torch\nrnn = torch.nn.LSTM(4, 8, bidirectional=True)\n"),
    ("code", "  %matplotlib inline\n  h0 = torch.zeros(num_layers, 2, 8)\n  x = 1\n"),
)


def test_a_cell_pasted_with_an_indent_is_dedented_as_ipython_runs_it():
    source = parse_notebook(json.dumps(INDENTED))
    assert source.text.split("\n")[2:5] == ["pass", "h0 = torch.zeros(num_layers, 2, 8)", "x = 1"]
    compile(source.text, "<notebook>", "exec")


def test_findings_and_fixes_in_an_indented_cell_keep_its_indent(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(INDENTED, indent=1) + "\n")
    assert main(["nb.ipynb"]) == 1
    assert capsys.readouterr().out == "nb.ipynb:cell 2:2:14: BRN001 h0 lacks directions\n"
    assert main(["--fix", "nb.ipynb"]) == 0
    assert json.loads(path.read_text())["cells"][1]["source"] == [
        "  %matplotlib inline\n",
        "  h0 = torch.zeros(num_layers * 2, 2, 8)\n",
        "  x = 1\n",
    ]
