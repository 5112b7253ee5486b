"""The shared pass-1 node index files each node once, under its scope, in source order."""

from __future__ import annotations

import ast

import pytest

from lint_rules.node_index import NodeIndex

SOURCE = """
import torch
x = f(1)
def build(n):
    h = g(n)
    key = lambda item: sort_key(item)
    class Inner:
        y = k()
    return [m(v) for v in h]
class Model:
    size = j()
    def forward(self, x):
        return self.rnn(x)
"""


def _names(calls):
    return [call.func.id if isinstance(call.func, ast.Name) else call.func.attr for call in calls]


def test_each_scope_holds_its_own_nodes_in_source_order():
    tree = ast.parse(SOURCE)
    index = NodeIndex(tree)
    build = tree.body[2]
    model = tree.body[3]
    assert _names(index.scope(tree).of(ast.Call)) == ["f"]
    assert _names(index.scope(build).of(ast.Call)) == ["g", "sort_key", "m"]
    assert [node.name for node in index.scope(build).nested] == ["Inner"]
    assert _names(index.scope(build.body[2]).of(ast.Call)) == ["k"]
    assert _names(index.scope(model).of(ast.Call)) == ["j"]
    assert _names(index.scope(model.body[1]).of(ast.Call)) == ["rnn"]


def test_lambdas_bodies_can_be_left_out():
    tree = ast.parse(SOURCE)
    scope = NodeIndex(tree).scope(tree.body[2])
    assert _names(scope.of(ast.Call, in_lambdas=False)) == ["g", "m"]
    assert not scope.of(ast.Lambda, in_lambdas=False)


def test_several_types_come_back_interleaved_as_a_walk_meets_them():
    tree = ast.parse("a = f(b)\nc = g(d)\n")
    kinds = [type(node).__name__ for node in NodeIndex(tree).scope(tree).of(ast.Assign, ast.Call)]
    assert kinds == ["Assign", "Call", "Assign", "Call"]


def test_a_scope_holds_the_nodes_a_preorder_walk_of_its_statements_meets():
    tree = ast.parse(SOURCE)
    function = tree.body[2]
    expected = []
    pending = list(reversed(function.body))
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        if isinstance(node, UNFILED):
            continue
        expected.append(node)
        pending.extend(reversed(list(ast.iter_child_nodes(node))))
    assert NodeIndex(tree).scope(function).nodes == expected


UNFILED = (ast.expr_context, ast.operator, ast.cmpop, ast.boolop, ast.unaryop)


def test_walked_is_ast_walk_less_contexts_and_operators():
    tree = ast.parse(SOURCE + "z = -a + b if a < b and not c else d[e]\n")
    kinds = (ast.Assign, ast.Call, ast.Name, ast.Subscript, ast.BinOp, ast.Lambda, ast.ClassDef)
    expected = [node for node in ast.walk(tree) if isinstance(node, kinds)]
    assert NodeIndex(tree).walked(tree, *kinds) == expected
    assert NodeIndex(tree).walked(tree, *kinds)  # asked twice: the same walk


def test_asking_for_contexts_or_operators_raises():
    tree = ast.parse("a = b + c\n")
    index = NodeIndex(tree)
    with pytest.raises(ValueError):
        index.scope(tree).of(ast.Add)
    with pytest.raises(ValueError):
        index.walked(tree, ast.Load)
