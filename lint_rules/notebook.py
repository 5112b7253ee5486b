"""Jupyter notebooks as one Python module: code cells joined, IPython syntax neutralised.

The cells are linted together because a notebook is one program: an RNN built in cell 2 and
misused in cell 5 must be followed. Lines of IPython syntax (``%magic``, ``!shell``, ``x = !ls``,
``obj?``) are replaced by a Python line of the same indentation, so no line moves and positions
map straight back to ``cell N:line:column``. A cell whose ``%%magic`` makes it another language
(``%%bash``, ``%%writefile`` ...) is blanked. Cells are numbered 1, 2, ... in notebook order,
markdown cells included, so ``cell 3`` is the third cell a reader scrolls past. A cell whose
first line is indented loses that indent on every line that has it, as IPython runs it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

# Cell magics whose body is still Python; any other %%magic makes the cell foreign.
PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug", "autoreload"})
_ASSIGNED_MAGIC = re.compile(r"^(\s*[\w.]+\s*=\s*)[!%]")
_LINE_MAGIC = re.compile(r"^(\s*)[!%]")
_HELP = re.compile(r"^(\s*)[\w.]+\?\??\s*$|^(\s*)\?\??[\w.]+\s*$")


class NotebookError(ValueError):
    """A notebook that is not valid JSON or not a notebook; positions are 1-based."""

    def __init__(self, line: int, column: int, message: str) -> None:
        super().__init__(message)
        self.line, self.column, self.message = line, column, message


class NotebookFixRefused(ValueError):
    """A fix that cannot be written back into the cells without changing their shape."""


@dataclass(frozen=True)
class CodeCell:
    """One code cell: where it is in the notebook and where its lines start in the module."""

    index: int  # position in the notebook's cells, 0-based
    first_line: int  # 1-based line of the joined module where this cell starts
    lines: tuple[str, ...]  # the cell's own lines, without line ends
    replaced: frozenset[int]  # 0-based lines neutralised in the module text
    source_was_list: bool
    ends_with_newline: bool
    indent: str = ""  # the leading whitespace IPython strips, as the first line has it

    def shift(self, offset: int) -> int:
        """Columns the module line at ``offset`` lost to the stripped indent."""
        return len(self.indent) if self.lines[offset].startswith(self.indent) else 0

    @property
    def number(self) -> int:
        return self.index + 1


@dataclass(frozen=True)
class NotebookSource:
    document: dict
    indent: int | None
    trailing_newline: bool
    cells: tuple[CodeCell, ...]
    text: str  # the module the rules see

    def locate(self, line: int) -> tuple[int, int]:
        """(cell number, line within that cell) of a 1-based module line."""
        for cell in reversed(self.cells):
            if line >= cell.first_line:
                return cell.number, line - cell.first_line + 1
        return (self.cells[0].number if self.cells else 1), line

    def column_shift(self, line: int) -> int:
        """Columns to add to a 1-based module line's column to place it in its cell."""
        for cell in reversed(self.cells):
            if line >= cell.first_line:
                offset = line - cell.first_line
                return cell.shift(offset) if offset < len(cell.lines) else 0
        return 0

    def fixed_cells(self, fixed_text: str) -> list[tuple[CodeCell, list[str]]]:
        """Each code cell with its lines after ``fixed_text`` (an edited module), IPython lines
        kept as they were: what ``--fix`` writes and ``--diff`` shows, so the two agree.

        Refused when a fix changes a cell's line count or touches an IPython line: the mapping
        back would be a guess.
        """
        fixed_lines = fixed_text.split("\n")
        result = []
        for cell in self.cells:
            start = cell.first_line - 1
            new_lines = fixed_lines[start : start + len(cell.lines)]
            if len(new_lines) != len(cell.lines):
                raise NotebookFixRefused(f"a fix would change the lines of cell {cell.number}")
            merged = []
            for offset, (old, new) in enumerate(zip(cell.lines, new_lines, strict=True)):
                if offset in cell.replaced:
                    stand_in = _neutralised_line(old[cell.shift(offset) :], foreign=False)
                    if new != stand_in and new != "":
                        raise NotebookFixRefused(
                            f"a fix would edit IPython syntax in cell {cell.number}"
                        )
                    merged.append(old)
                else:
                    merged.append(cell.indent[: cell.shift(offset)] + new if new else new)
            result.append((cell, merged))
        return result

    def rebuild(self, fixed_text: str) -> str:
        """The notebook's JSON with ``fixed_text`` (an edited module) written into the cells."""
        document = json.loads(json.dumps(self.document))
        for cell, lines in self.fixed_cells(fixed_text):
            document["cells"][cell.index]["source"] = _cell_source(
                lines, cell.source_was_list, cell.ends_with_newline
            )
        text = json.dumps(document, indent=self.indent, ensure_ascii=False)
        return text + "\n" if self.trailing_newline else text

    def diff(self, display: str, fixed_text: str) -> str:
        """The unified diff of each cell a fix changes, named ``display:cell N``, magics kept."""
        from lint_rules.fixes import unified_diff

        chunks = []
        for cell, lines in self.fixed_cells(fixed_text):
            if list(cell.lines) != lines:
                before, after = "\n".join(cell.lines) + "\n", "\n".join(lines) + "\n"
                chunks.append(unified_diff(f"{display}:cell {cell.number}", before, after))
        return "".join(chunks)


def _cell_source(lines: list[str], as_list: bool, ends_with_newline: bool) -> str | list[str]:
    text = "\n".join(lines) + ("\n" if ends_with_newline else "")
    if not as_list:
        return text
    return text.splitlines(keepends=True)


def _neutralised_line(line: str, *, foreign: bool) -> str:
    """A Python line with the same indentation that stands in for IPython syntax."""
    if foreign:
        return ""
    assigned = _ASSIGNED_MAGIC.match(line)
    if assigned:
        return assigned.group(1) + "None"
    indent = line[: len(line) - len(line.lstrip())]
    return indent + "pass"


def _is_ipython_line(line: str) -> bool:
    return bool(_LINE_MAGIC.match(line) or _ASSIGNED_MAGIC.match(line) or _HELP.match(line))


class _Continuation:
    """Whether a line starts a new statement: not inside brackets, a triple-quoted string or
    after a backslash. A small scanner, enough to keep ``% x`` in a wrapped expression and
    ``!`` inside a docstring from being taken for IPython syntax."""

    def __init__(self) -> None:
        self.depth = 0
        self.open_triple: str | None = None
        self.backslash = False

    def starts_statement(self) -> bool:
        return self.depth == 0 and self.open_triple is None and not self.backslash

    def feed(self, line: str) -> None:
        position = 0
        self.backslash = False
        while position < len(line):
            if self.open_triple is not None:
                end = line.find(self.open_triple, position)
                if end == -1:
                    return
                position, self.open_triple = end + 3, None
                continue
            char = line[position]
            if char == "#":
                return
            if line.startswith(('"""', "'''"), position):
                self.open_triple = line[position : position + 3]
                position += 3
            elif char in "'\"":
                end = position + 1
                while end < len(line) and line[end] != char:
                    end += 2 if line[end] == "\\" else 1
                position = end + 1
            else:
                if char in "([{":
                    self.depth += 1
                elif char in ")]}":
                    self.depth = max(0, self.depth - 1)
                elif char == "\\" and position == len(line) - 1:
                    self.backslash = True
                position += 1


def _ipython_indent(lines: list[str]) -> str:
    """The indent IPython strips from a cell: the first non-blank line's, from every line that
    starts with it (IPython's ``leading_indent``), so a cell pasted with an indent still runs."""
    for line in lines:
        if line.strip():
            return line[: len(line) - len(line.lstrip(" \t"))]
    return ""


def _detect_indent(raw: str) -> int | None:
    match = re.search(r"\n( +)\S", raw)
    return len(match.group(1)) if match else None


def parse_notebook(raw: str) -> NotebookSource:
    """Read a notebook's JSON text into the module to lint; NotebookError when it is broken."""
    try:
        document = json.loads(raw)
    except json.JSONDecodeError as error:
        raise NotebookError(
            error.lineno, error.colno, f"invalid notebook JSON: {error.msg}"
        ) from None
    if not isinstance(document, dict) or not isinstance(document.get("cells"), list):
        raise NotebookError(1, 1, "not a Jupyter notebook: no 'cells' list")
    language = (
        document.get("metadata", {}).get("language_info", {}).get("name", "python")
        if isinstance(document.get("metadata"), dict)
        else "python"
    )
    if isinstance(language, str) and language.lower() not in ("python", "python3", "ipython"):
        return NotebookSource(document, _detect_indent(raw), raw.endswith("\n"), (), "")
    cells: list[CodeCell] = []
    module_lines: list[str] = []
    for index, cell in enumerate(document["cells"]):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        as_list = isinstance(source, list)
        text = "".join(source) if as_list else str(source)
        lines = text.split("\n")
        ends_with_newline = text.endswith("\n")
        if ends_with_newline:
            lines.pop()
        first = lines[0].strip() if lines else ""
        indent = _ipython_indent(lines)
        foreign = first.startswith("%%") and first[2:].split(" ")[0] not in PYTHON_CELL_MAGICS
        replaced = set()
        cell_lines = []
        continuation = _Continuation()
        for offset, line in enumerate(lines):
            if indent and line.startswith(indent):
                line = line[len(indent) :]
            if foreign or (continuation.starts_statement() and _is_ipython_line(line)):
                replaced.add(offset)
                cell_lines.append(_neutralised_line(line, foreign=foreign))
            else:
                continuation.feed(line)
                cell_lines.append(line)
        cells.append(
            CodeCell(
                index=index,
                first_line=len(module_lines) + 1,
                lines=tuple(lines),
                replaced=frozenset(replaced),
                source_was_list=as_list,
                ends_with_newline=ends_with_newline,
                indent=indent,
            )
        )
        module_lines.extend(cell_lines)
    module = "\n".join(module_lines) + ("\n" if module_lines else "")
    return NotebookSource(document, _detect_indent(raw), raw.endswith("\n"), tuple(cells), module)
