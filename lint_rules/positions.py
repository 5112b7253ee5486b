"""Source positions of the few nodes that have a finding, without a metadata pass.

libcst nodes carry no positions. Rather than a PositionProvider pass over every file, generate
code only until the last node we need has been written, recording where each wanted node starts
and ends; generating code costs a fraction of parsing, and files without findings pay nothing.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from typing import Any

import libcst as cst
from libcst._nodes.internal import CodegenState


class _Done(Exception):
    pass


class _SpanRecorder(CodegenState):
    """A code generator that counts characters and notes the spans of wanted nodes."""

    def __init__(self, module: cst.Module, wanted: set[int]) -> None:
        super().__init__(default_indent=module.default_indent,
                         default_newline=module.default_newline)
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


def node_spans(module: cst.Module, nodes: Iterable[Any]) -> dict[int, tuple[int, int]]:
    """``id(node) -> (start, end)`` character offsets into ``module.code``."""
    wanted = {id(node) for node in nodes}
    if not wanted:
        return {}
    recorder = _SpanRecorder(module, wanted)
    try:
        module._codegen(recorder)
    except _Done:
        pass
    return recorder.spans


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
