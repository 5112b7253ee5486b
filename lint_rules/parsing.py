"""Parse a module with libcst without re-checking the nodes its own parser builds.

libcst validates every node as it is constructed (``CSTNode.__post_init__`` calls
``_validate``: parentheses balance, required spaces, identifiers). That protects trees that code
builds by hand; for nodes its parser builds from source it has just parsed, the checks restate
the grammar, and they cost about a tenth of the parse (libcst's own comment there says the
validation could move out of parsing). While ``parse_module`` runs in a thread, that thread's
constructions skip them; every other (fixes, other threads, other tools in the process) still
validates.

The switch wraps libcst's ``CSTNode.__post_init__``, a private detail, so it is used only after
checking once that the wrapped method is the one every node runs; otherwise parsing is plain.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

import libcst as cst
from libcst._nodes.base import CSTNode

from lint_rules import node_constructors

_parsing_thread: int | None = None  # the thread whose parse is building nodes now
_built: list[Any] = []  # the nodes that parse has built, in the order it built them


def _subclasses(cls: type) -> list[type]:
    found, pending = [], [cls]
    while pending:
        for subclass in pending.pop().__subclasses__():
            found.append(subclass)
            pending.append(subclass)
    return found


@functools.cache
def _switch_installed() -> bool:
    """Wrap ``CSTNode.__post_init__`` once, if every node class inherits it unchanged."""
    original = CSTNode.__dict__.get("__post_init__")
    if original is None or any("__post_init__" in cls.__dict__ for cls in _subclasses(CSTNode)):
        return False

    @functools.wraps(original)
    def post_init(self: Any, _thread: Any = threading.get_ident) -> None:
        # runs for every node of every parse: the thread's id is read without an attribute
        # lookup (a default bound once), and the test for "no parse running" comes second
        if _parsing_thread == _thread():
            _built.append(self)
        else:
            original(self)

    CSTNode.__post_init__ = post_init  # type: ignore[method-assign]
    return True


def parse_module(source: str) -> cst.Module:
    """``libcst.parse_module(source)``, the same tree, built without re-validating it."""
    return parse_module_in_order(source)[0]


def parse_module_in_order(source: str) -> tuple[cst.Module, list[Any] | None]:
    """``parse_module(source)`` and its nodes in the order the parser built them (None where
    the switch is not installed). The parser builds each node after its children, so every
    statement's nodes come just before it, a run of their own (``positions`` uses it to find
    which top-level statement holds a node; it checks what it finds)."""
    node_constructors.install()
    if not _switch_installed():
        return cst.parse_module(source), None
    global _parsing_thread, _built
    _parsing_thread = threading.get_ident()
    _built = []
    try:
        return cst.parse_module(source), _built
    finally:
        _parsing_thread = None
        _built = []
