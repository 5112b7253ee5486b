"""Source positions of the few nodes that have a finding, without a metadata pass.

libcst nodes carry no positions. libcst's public answer, a ``WhitespaceInclusivePositionProvider``
pass, costs more than parsing the file. So the fast path generates code only until the last node
we need has been written, recording where each wanted node starts and ends; generating code costs
a fraction of parsing, and files without findings pay nothing. Faster still, when the parser's
order of building nodes is known, only the top-level statements that hold a wanted node are
generated (``spans_by_statement``), each placed by finding its code in the source.

The fast path drives libcst's code generator through its private ``CodegenState``. A canary checks
once per process that it still measures what the public provider measures; where it does not (or
the private module is gone), every call takes the public path: slower, never wrong.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Iterable, Sequence
from typing import Any

import libcst as cst

try:  # private, so checked by _fast_path_works before it is trusted
    from libcst._nodes.internal import CodegenState
except ImportError:  # pragma: no cover - a libcst that moved it
    CodegenState = None

# How libcst counts lines in positions: "\r\n", "\r" and "\n" each end one.
_LINE_END = re.compile(r"\r\n?|\n")


class _Done(Exception):
    pass


if CodegenState is not None:

    class _SpanRecorder(CodegenState):
        """A code generator that counts characters and notes the spans of wanted nodes."""

        def __init__(self, module: cst.Module, wanted: set[int]) -> None:
            super().__init__(
                default_indent=module.default_indent, default_newline=module.default_newline
            )
            self.offset = 0
            self.wanted = wanted
            self.starts: dict[int, int] = {}
            self.spans: dict[int, tuple[int, int]] = {}

        def add_token(self, value: str) -> None:
            self.offset += len(value)

        def add_indent_tokens(self) -> None:
            for token in self.indent_tokens:
                self.offset += len(token)

        def before_codegen(self, node: Any) -> None:
            if id(node) in self.wanted:
                self.starts[id(node)] = self.offset

        def after_codegen(self, node: Any) -> None:
            key = id(node)
            if key in self.wanted:
                self.spans[key] = (self.starts[key], self.offset)
                if len(self.spans) == len(self.wanted):
                    raise _Done

    class _TextRecorder(_SpanRecorder):
        """A code generator that writes the code, noting every wanted node's span."""

        def add_token(self, value: str) -> None:
            self.tokens.append(value)
            self.offset += len(value)

        def add_indent_tokens(self) -> None:
            self.tokens.extend(self.indent_tokens)
            for token in self.indent_tokens:
                self.offset += len(token)

        def after_codegen(self, node: Any) -> None:
            key = id(node)
            if key in self.wanted:
                self.spans[key] = (self.starts[key], self.offset)


def spans_by_statement(
    module: cst.Module, nodes: Iterable[Any], source: str, built: Sequence[Any]
) -> dict[int, tuple[int, int]] | None:
    """The spans of ``nodes`` from the code of the statements that hold them alone.

    ``built``: the module's nodes in the order libcst's parser built them
    (``parsing.parse_module_in_order``), each after its children, so a statement's nodes are
    the run just before it: that says which top-level statement holds a node, and which
    statement of a class's or function's body, without a walk. The innermost such statement
    whose code occurs once and only once in ``source`` is generated, and placed where its code
    is. None when that fails for a top-level statement (the caller takes the whole-module path).
    """
    wanted = {id(node) for node in nodes}
    if not wanted:
        return {}
    if not module.has_trailing_newline:
        return None  # the module drops its last statement's newline: that code is not its own
    where = {id(node): at for at, node in enumerate(built)}
    held = _held(module.body, wanted, where)
    if held is None:
        return None
    spans: dict[int, tuple[int, int]] = {}
    for statement, keys in held:
        found = _spans_in(module, statement, keys, where, source, [])
        if found is None:
            return None
        spans.update(found)
    return spans


def _held(
    statements: Sequence[Any], wanted: set[int], where: dict[int, int]
) -> list[tuple[Any, set[int]]] | None:
    """Which of ``statements`` holds each wanted node, by the runs of ``built``."""
    ends = [where.get(id(statement), -1) for statement in statements]
    if any(later <= earlier for earlier, later in zip([-1, *ends], ends)):
        return None
    held: dict[int, set[int]] = {}
    for key in wanted:
        at = bisect.bisect_left(ends, where.get(key, len(where)))
        if at == len(ends):
            return None  # not in these statements (or not built by this parse)
        held.setdefault(at, set()).add(key)
    return [(statements[at], keys) for at, keys in held.items()]


def _spans_in(
    module: cst.Module,
    statement: Any,
    keys: set[int],
    where: dict[int, int],
    source: str,
    indents: list[str],
) -> dict[int, tuple[int, int]] | None:
    """Spans of ``keys`` from the innermost statement (through class and function bodies) that
    holds them and whose code is unique in ``source``; ``indents``: the blocks around it."""
    block = getattr(statement, "body", None)
    if isinstance(statement, (cst.ClassDef, cst.FunctionDef)) and isinstance(
        block, cst.IndentedBlock
    ):
        held = _held(block.body, keys, where)
        if held is not None:
            inner = [*indents, module.default_indent if block.indent is None else block.indent]
            spans: dict[int, tuple[int, int]] = {}
            for child, child_keys in held:
                found = _spans_in(module, child, child_keys, where, source, inner)
                if found is None:
                    break
                spans.update(found)
            else:
                return spans
    recorder = _TextRecorder(module, keys)
    recorder.indent_tokens = list(indents)
    statement._codegen(recorder)
    code = "".join(recorder.tokens)
    start = source.find(code)
    if start < 0 or source.find(code, start + 1) >= 0 or len(recorder.spans) != len(keys):
        return None
    if start and source[start - 1] not in "\r\n":
        return None  # a statement's code starts a line
    return {key: (start + first, start + last) for key, (first, last) in recorder.spans.items()}


def spans_by_partial_codegen(
    module: cst.Module, nodes: Iterable[Any]
) -> dict[int, tuple[int, int]]:
    """The fast path: generate code up to the last wanted node."""
    wanted = {id(node) for node in nodes}
    if not wanted:
        return {}
    recorder = _SpanRecorder(module, wanted)
    try:
        module._codegen(recorder)
    except _Done:
        pass
    return recorder.spans


def spans_by_public_provider(
    module: cst.Module, nodes: Iterable[Any], source: str | None = None
) -> dict[int, tuple[int, int]]:
    """The public path: libcst's whitespace-inclusive positions, turned into offsets."""
    from libcst.metadata import MetadataWrapper, WhitespaceInclusivePositionProvider

    nodes = list(nodes)
    if not nodes:
        return {}
    ranges = MetadataWrapper(module, unsafe_skip_copy=True).resolve(
        WhitespaceInclusivePositionProvider
    )
    text = module.code if source is None else source
    line_starts = [0] + [match.end() for match in _LINE_END.finditer(text)]
    spans: dict[int, tuple[int, int]] = {}
    for node in nodes:
        where = ranges.get(node)
        if where is not None:
            start = line_starts[where.start.line - 1] + where.start.column
            end = line_starts[where.end.line - 1] + where.end.column
            spans[id(node)] = (start, end)
    return spans


_CANARY = "class A:\r\n    def f(self):\n        é = g(a,\n              [b])\n        return é\n"


@functools.cache
def _fast_path_works() -> bool:
    """Whether the private code generator still measures what it did (on an indented,
    parenthesised, multi-line, non-ASCII expression after a CRLF line end); the tests compare it
    with the public provider on every expression of the fixtures."""
    if CodegenState is None:
        return False
    module = cst.parse_module(_CANARY)
    method = module.body[0].body.body[0]
    assignment, returned = method.body.body[0].body[0], method.body.body[1].body[0]
    call, name = assignment.value, returned.value
    expected = {
        id(call): _find(_CANARY, "g(a,\n              [b])"),
        id(call.args[1].value): _find(_CANARY, "[b]"),
        id(name): _find(_CANARY, "é\n", last=True, length=1),
    }
    try:
        fast = spans_by_partial_codegen(module, [call, call.args[1].value, name])
    except Exception:  # noqa: BLE001 - any change of the private API means: do not use it
        return False
    return fast == expected


def _find(text: str, part: str, last: bool = False, length: int | None = None) -> tuple[int, int]:
    start = text.rindex(part) if last else text.index(part)
    return start, start + (len(part) if length is None else length)


def node_spans(
    module: cst.Module,
    nodes: Iterable[Any],
    source: str | None = None,
    built: Sequence[Any] | None = None,
) -> dict[int, tuple[int, int]]:
    """``id(node) -> (start, end)`` character offsets into ``module.code`` (``source``, which
    libcst gives back unchanged); ``built`` as ``spans_by_statement`` says."""
    if _fast_path_works():
        nodes = list(nodes)
        if source is not None and built is not None:
            spans = spans_by_statement(module, nodes, source, built)
            if spans is not None:
                return spans
        return spans_by_partial_codegen(module, nodes)
    return spans_by_public_provider(module, nodes)


class LineIndex:
    """Offsets to 1-based (line, column); columns count characters, as editors do."""

    def __init__(self, source: str) -> None:
        self.starts = [0]
        position = source.find("\n")
        while position != -1:
            self.starts.append(position + 1)
            position = source.find("\n", position + 1)

    def line_column(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.starts, offset) - 1
        return line + 1, offset - self.starts[line] + 1
