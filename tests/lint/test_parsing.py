"""Parsing without libcst's re-validation builds the same tree and leaves validation on elsewhere."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest

from lint_rules.parsing import parse_module

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "lint"


@pytest.mark.parametrize(
    "path", sorted(FIXTURES.glob("brn00[1-3]_*.py"))[:12], ids=lambda p: p.name
)
def test_the_tree_is_libcsts_own(path):
    source = path.read_text(encoding="utf-8")
    module = parse_module(source)
    assert module.deep_equals(cst.parse_module(source)) and module.code == source


def test_nodes_built_by_hand_are_still_validated():
    parse_module("x = 1\n")
    with pytest.raises(cst.CSTValidationError):
        cst.Name("not an identifier")


def test_a_syntax_error_still_raises_and_leaves_validation_on():
    with pytest.raises(cst.ParserSyntaxError):
        parse_module("def (:\n")
    with pytest.raises(cst.CSTValidationError):
        cst.Name("1x")


def test_the_parse_skips_validation(monkeypatch):
    calls = []
    real = cst.Name._validate
    monkeypatch.setattr(cst.Name, "_validate", lambda self: calls.append(self) or real(self))
    parse_module("x = y\n")
    assert calls == []
    cst.parse_module("x = y\n")
    assert len(calls) == 2
