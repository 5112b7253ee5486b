"""``cst_walk`` meets bindings and anchors in libcst's visitor order: BRN008's definitions read
with it are the visitor's, on every rule's examples, the fixtures, and the orders that differ."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest

from lint_rules.rules import ALL_RULES
from lint_rules.rules.brn008_non_contiguous_state import _Definitions, definitions_of

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "lint"

# Orders where the declared fields and the visitor disagree, or where the anchor sits inside
# a binding statement, a loop header or a with item.
TRICKY = """
def decorated(x, h=None):
    @wrap(rnn(x, h))
    def inner():
        h = 3
        return h
    try:
        h = h[:, :2]
    except Error(rnn(x, h)) as error:
        h = h.t()
    else:
        h = h.transpose(0, 1)
    finally:
        c = h
    for h, c in rnn(x, (h, c)):
        out = rnn(x, h)
    with open(rnn(x, h)) as (h, c), ctx as d:
        h: int = rnn(x, h) if h else rnn(x, c)
    match h:
        case [a] if rnn(x, a):
            h = a
    h += rnn(x, h)
    a = b = rnn(x, lambda: rnn(x, h))
    return rnn(x, h)

class Model:
    h = rnn(x, h)
    def forward(self, x):
        self.h = rnn(x, self.h)
        return self.h

h = rnn(x, h)
"""

WALRUS = """
def forward(x, h):
    out = rnn(x, h) if (h := h[:, :2]) is not None else rnn(x, (h := h.t()))
    return out
"""


def _sources() -> list[str]:
    sources = [TRICKY, WALRUS]
    for rule in ALL_RULES:
        sources.extend(rule.wrong_examples)
        sources.extend(rule.right_examples)
    sources.extend(path.read_text() for path in sorted(FIXTURES.glob("*.py")))
    return sources


class _Collect(cst.CSTVisitor):
    def __init__(self) -> None:
        self.scopes: list[cst.CSTNode] = []
        self.anchors: list[cst.CSTNode] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.scopes.append(node)

    def visit_Call(self, node: cst.Call) -> None:
        self.anchors.append(node)

    def visit_Return(self, node: cst.Return) -> None:
        self.anchors.append(node)


def _by_visitor(root: cst.CSTNode, anchor: cst.CSTNode | None) -> _Definitions:
    definitions = _Definitions(root, anchor)
    root.visit(definitions)
    return definitions


def _before(definitions: _Definitions, order: int | None) -> dict:
    """What ``reaching`` can return: the bindings before the anchor (all without one)."""
    found = {
        name: [(at, id(value)) for at, value in bound if order is None or at < order]
        for name, bound in definitions.history.items()
    }
    return {name: bound for name, bound in found.items() if bound}


@pytest.mark.parametrize("index", range(len(_sources())))
def test_the_walk_reads_what_the_visitor_reads(index: int) -> None:
    module = cst.parse_module(_sources()[index])
    collected = _Collect()
    module.visit(collected)
    compared = 0
    # functions, where the rule looks; the whole module only where it is small
    scopes = collected.scopes + ([module] if index < 2 else [])
    for scope in scopes:
        whole, exact_whole = definitions_of(scope, None), _by_visitor(scope, None)
        assert _before(whole, None) == _before(exact_whole, None)
        assert [id(node) for node in whole.returns] == [id(node) for node in exact_whole.returns]
        inside = _Collect()
        scope.visit(inside)
        for anchor in inside.anchors:
            fast, exact = definitions_of(scope, anchor), _by_visitor(scope, anchor)
            assert fast.anchor_order == exact.anchor_order
            order = exact.anchor_order or 0
            assert _before(fast, order) == _before(exact, order)
            compared += exact.anchor_order is not None
    assert compared or not scopes


def test_the_tricky_orders_are_really_tested() -> None:
    """The anchors inside headers and binding statements do get an order between bindings."""
    module = cst.parse_module(TRICKY)
    function = module.body[0]
    collected = _Collect()
    function.visit(collected)
    orders = {definitions_of(function, anchor).anchor_order for anchor in collected.anchors}
    assert None in orders  # the decorator's and the nested function's, which are not its own
    assert len(orders - {None}) >= 8
