"""The parts of a module that does not parse which parse on their own, for the project index.

One typo in a dataset class (``self.wav s = wavs``) makes the whole data module unparsable, yet
its collate function beside it still says how the batches are padded. Summarising nothing of
such a module would hide that from every model it feeds. So the module is cut at its top-level
statements (a line that starts in column 0 and does not continue the statement before it: not
``else:``, ``except``, a closing bracket, a decorated definition's ``def``) and each piece is
parsed alone; the pieces that parse are kept at their own line numbers, the others dropped.

The rules never run on the recovered tree: a finding that rests on it names the module, and the
index records the line Python stopped at, so that the message can say the module does not parse.
"""

from __future__ import annotations

import ast
import re
import warnings

# A column-0 line that continues the statement before it rather than starting one.
_CONTINUATION = re.compile(r"(else|elif|except|finally|case)\b|[)\]}]|$|#")


def recovered_module(text: str) -> ast.Module:
    """The top-level statements of ``text`` that parse alone, at their own line numbers."""
    body: list[ast.stmt] = []
    for start, piece in _pieces(text.splitlines(keepends=True)):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tree = ast.parse(piece)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        ast.increment_lineno(tree, start)
        body.extend(tree.body)
    return ast.Module(body=body, type_ignores=[])


def _pieces(lines: list[str]) -> list[tuple[int, str]]:
    """(lines before it, text) of each top-level statement, a decorator with what it decorates."""
    pieces: list[tuple[int, list[str]]] = []
    for number, line in enumerate(lines):
        starts = bool(line[:1].strip()) and not _CONTINUATION.match(line)
        decorated = bool(pieces) and all(
            not text.strip() or text.startswith(("@", "#")) for text in pieces[-1][1]
        )
        if starts and not (decorated and pieces[-1][1][0].startswith("@")) or not pieces:
            pieces.append((number, [line]))
        else:
            pieces[-1][1].append(line)
    return [(start, "".join(piece)) for start, piece in pieces]
