"""The rebuilt node constructors build the very nodes libcst's own build, field for field."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import libcst as cst
import pytest

from lint_rules import node_constructors
from lint_rules.parsing import parse_module

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "lint"
SOURCES = sorted(FIXTURES.glob("*.py")) + sorted(FIXTURES.glob("projects/*/*/*.py"))[:40]


@contextmanager
def libcsts_own_constructors() -> Iterator[None]:
    rebuilt = {cls: cls.__dict__["__init__"] for cls in node_constructors.libcst_constructors}
    for cls, constructor in node_constructors.libcst_constructors.items():
        cls.__init__ = constructor  # type: ignore[misc]
    try:
        yield
    finally:
        for cls, constructor in rebuilt.items():
            cls.__init__ = constructor  # type: ignore[misc]


def _same_node(ours: object, theirs: object) -> None:
    """Same class and the same value in every field, nodes compared the same way down."""
    assert type(ours) is type(theirs)
    if isinstance(ours, cst.CSTNode):
        for field in dataclasses.fields(ours):  # type: ignore[arg-type]
            _same_node(getattr(ours, field.name), getattr(theirs, field.name))
    elif isinstance(ours, (list, tuple)):
        assert len(ours) == len(theirs)  # type: ignore[arg-type]
        for mine, other in zip(ours, theirs):  # type: ignore[call-overload]
            _same_node(mine, other)
    else:
        assert ours == theirs


def test_every_concrete_node_class_is_rebuilt():
    assert node_constructors.install() > 0
    for name in ("Module", "Name", "Call", "Arg", "SimpleWhitespace", "TrailingWhitespace"):
        assert getattr(cst, name) in node_constructors.libcst_constructors


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_a_parse_builds_the_same_tree(path):
    source = path.read_text(encoding="utf-8")
    ours = parse_module(source)
    with libcsts_own_constructors():
        theirs = parse_module(source)
    _same_node(ours, theirs)
    assert ours.code == source


def test_defaults_and_default_factories_are_libcsts():
    node_constructors.install()
    built = [
        cst.Name("x"),
        cst.TrailingWhitespace(),
        cst.Call(cst.Name("f")),
        cst.Param(cst.Name("a")),
    ]
    with libcsts_own_constructors():
        expected = [
            cst.Name("x"),
            cst.TrailingWhitespace(),
            cst.Call(cst.Name("f")),
            cst.Param(cst.Name("a")),
        ]
    for ours, theirs in zip(built, expected):
        _same_node(ours, theirs)
    # a default factory makes a fresh value for each node, as libcst's constructor does
    assert cst.TrailingWhitespace().newline is not cst.TrailingWhitespace().newline


def test_nodes_stay_frozen_and_validated():
    node_constructors.install()
    name = cst.Name("x")
    with pytest.raises(dataclasses.FrozenInstanceError):
        name.value = "y"  # type: ignore[misc]
    with pytest.raises(cst.CSTValidationError):
        cst.Name("1x")
    with pytest.raises(TypeError):
        cst.Name()  # type: ignore[call-arg]
    assert cst.Name(value="x", lpar=(), rpar=()).deep_equals(name)
