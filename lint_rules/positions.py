"""Source positions of the few nodes that have a finding, without a metadata pass.

libcst nodes carry no positions. libcst's public answer, a ``WhitespaceInclusivePositionProvider``
pass, costs more than parsing the file. So the fast path generates code only until the last node
we need has been written, recording where each wanted node starts and ends; generating code costs
a fraction of parsing, and files without findings pay nothing.

The fast path drives libcst's code generator through its private ``CodegenState``. A canary checks
once per process that it still measures what the public provider measures; where it does not (or
the private module is gone), every call takes the public path: slower, never wrong.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Iterable
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


def node_spans(module: cst.Module, nodes: Iterable[Any]) -> dict[int, tuple[int, int]]:
    """``id(node) -> (start, end)`` character offsets into ``module.code``."""
    if _fast_path_works():
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
