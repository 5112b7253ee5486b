"""Finding positions: the fast path through libcst's private code generator must agree with
libcst's public position provider, and the linter must give the same findings on either."""

from __future__ import annotations

from pathlib import Path

import libcst
import pytest

from lint_rules import positions
from lint_rules.checker import check_source
from lint_rules.parsing import parse_module_in_order

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = sorted((ROOT / "fixtures" / "lint").glob("*.py"))
SOURCES = FIXTURES + [
    ROOT / "lint_rules" / "analysis.py",
    ROOT / "lint_rules" / "rules" / "brn008_non_contiguous_state.py",
]


def expressions(module: libcst.Module) -> list[libcst.CSTNode]:
    found: list[libcst.CSTNode] = []

    class Collect(libcst.CSTVisitor):
        def on_visit(self, node: libcst.CSTNode) -> bool:
            if isinstance(node, libcst.BaseExpression):
                found.append(node)
            return True

    module.visit(Collect())
    return found


def test_the_fast_path_is_used_with_the_installed_libcst() -> None:
    """If this fails, a libcst release changed its private code generator: the linter still
    works (on the public path) but pays a full position pass per file with findings."""
    assert positions._fast_path_works()


@pytest.mark.parametrize("path", SOURCES, ids=[path.stem for path in SOURCES])
def test_fast_and_public_spans_agree_on_every_expression(path: Path) -> None:
    source = path.read_text(encoding="utf-8").replace("\n", "\r\n", 3)  # some CRLF line ends
    module = libcst.parse_module(source)
    nodes = expressions(module)
    fast = positions.spans_by_partial_codegen(module, nodes)
    public = positions.spans_by_public_provider(module, nodes, source)
    assert len(fast) == len(nodes)
    assert fast == public


@pytest.mark.parametrize("path", FIXTURES, ids=[path.stem for path in FIXTURES])
def test_spans_from_the_statements_alone_agree_with_the_public_provider(path: Path) -> None:
    source = path.read_text(encoding="utf-8").replace("\n", "\r\n", 3)
    module, built = parse_module_in_order(source)
    assert built is not None
    nodes = expressions(module)[::5]  # a sample: each call generates its statement
    by_statement = positions.spans_by_statement(module, nodes, source, built)
    assert by_statement == positions.spans_by_public_provider(module, nodes, source)
    assert len(by_statement) == len(nodes)


def test_a_statement_whose_code_is_not_unique_falls_back_to_the_whole_module() -> None:
    source = "x = f(1)\ny = 2\nx = f(1)\n"
    module, built = parse_module_in_order(source)
    call = module.body[2].body[0].value
    assert positions.spans_by_statement(module, [call], source, built) is None
    assert positions.node_spans(module, [call], source, built) == {id(call): (19, 23)}


def test_a_module_without_a_last_newline_falls_back_to_the_whole_module() -> None:
    """The module drops its last newline, so its last statement's code is not in the source
    as generated: here it would match the first, identical but for that newline."""
    source = "def f():\n    x = g(1)\n    x = g(1)"
    module, built = parse_module_in_order(source)
    call = module.body[0].body.body[1].body[0].value
    assert positions.spans_by_statement(module, [call], source, built) is None
    assert positions.node_spans(module, [call], source, built) == {id(call): (30, 34)}


def test_nodes_the_parser_did_not_build_fall_back_to_the_whole_module() -> None:
    source = "a = 1\nb = g(a)\n"
    module, _ = parse_module_in_order(source)
    call = module.body[1].body[0].value
    assert positions.spans_by_statement(module, [call], source, built=[]) is None
    assert positions.node_spans(module, [call], source, []) == {id(call): (10, 14)}


def test_the_canary_notices_a_code_generator_that_stopped_counting(monkeypatch) -> None:
    monkeypatch.setattr(positions._SpanRecorder, "add_token", lambda self, value: None)
    assert not positions._fast_path_works.__wrapped__()


def test_findings_are_the_same_on_the_public_path(monkeypatch) -> None:
    sources = [path.read_text(encoding="utf-8") for path in SOURCES if "_wrong_" in path.name]
    fast = [check_source(source) for source in sources]
    monkeypatch.setattr(positions, "_fast_path_works", lambda: False)
    assert [check_source(source) for source in sources] == fast
    assert all(fast)
