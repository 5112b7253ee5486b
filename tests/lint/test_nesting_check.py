"""Pass 1's parse stands in for the checker's ``compile`` nesting check only where it is safe."""

from __future__ import annotations

import sys

import pytest

from lint_rules.checker import check_source, nesting_checked
from lint_rules.project_index import _parse_with_margin, summarise

SUM = "import torch\nrnn = torch.nn.LSTM(1, 2, bidirectional=True)\nx = {}1\n"


def _deepest_checked() -> int:
    """The longest ``1+1+...`` sum whose module pass 1 marks as nesting-checked."""
    low, high = 1500, 3200
    while low < high:
        middle = (low + high + 1) // 2
        if _parse_with_margin(SUM.format("1+" * middle)) is not None:
            low = middle
        else:
            high = middle - 1
    return low


def _compiles_from_depth(source: str, frames: int) -> bool:
    if frames:
        return _compiles_from_depth(source, frames - 1)
    try:
        compile(source, "<m>", "exec", dont_inherit=True)
    except (RecursionError, MemoryError):
        return False
    return True


@pytest.mark.skipif(sys.version_info < (3, 11), reason="3.10 always asks compile")
def test_what_pass_1_checked_compiles_from_a_deeper_stack_than_the_checker_has():
    deepest = _deepest_checked()
    assert deepest > 1500  # ordinary code is checked
    assert summarise("m.py", SUM.format("1+" * deepest)).nesting_checked
    assert _compiles_from_depth(SUM.format("1+" * deepest), frames=40)


def test_python_3_10_leaves_the_check_to_compile(monkeypatch):
    monkeypatch.setattr(sys, "version_info", (3, 10, 13))
    summary = summarise("m.py", SUM.format(""))
    assert summary.parsed and not summary.nesting_checked


@pytest.mark.parametrize(
    "body",
    ["return 1\n", "nonlocal x\n", "def f():\n    yield 1\n    return 2\nawait g()\n"],
)
def test_what_only_compile_refuses_lints_the_same_with_or_without_the_check(body):
    """``compile`` refuses these and ``ast.parse`` does not; the check ignored such errors."""
    source = "import torch.nn as nn\nrnn = nn.LSTM(4, 8, bidirectional=True)\n" + body
    source += "out, (h, c) = rnn(x)\nlast = out[:, -1]\n"
    assert summarise("m.py", source).nesting_checked == (sys.version_info >= (3, 11))
    with nesting_checked(source):
        trusted = check_source(source)
    assert trusted == check_source(source)


@pytest.mark.skipif(sys.version_info < (3, 11), reason="3.10 always asks compile")
def test_a_project_run_asks_compile_only_about_what_pass_1_could_not_parse(
    tmp_path, monkeypatch, capsys
):
    from lint_rules import checker
    from lint_rules.cli import main

    asked: list[str] = []
    real = checker._refuse_what_python_cannot_nest

    def counting(source: str) -> None:
        asked.append(source)
        real(source)

    monkeypatch.setattr(checker, "_refuse_what_python_cannot_nest", counting)
    model = "import torch.nn as nn\nrnn = nn.LSTM(4, 8, bidirectional=True)\n"
    (tmp_path / "model.py").write_text(model)
    deep = model + "x = " + "-" * 100_000 + "1\n"
    (tmp_path / "deep.py").write_text(deep)
    monkeypatch.chdir(tmp_path)
    main(["--no-cache", "--jobs", "1", "."])
    assert "too deeply nested" in capsys.readouterr().out
    assert asked == [deep]
