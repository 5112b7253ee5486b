"""Lint one file: read it, skip it cheaply when no rule can fire, run the rules, apply
suppressions and the code selection, and fix it when asked.

Everything here works on one file and returns plain values, so that the same function runs in
the main process or in a worker of the pool. libcst is imported (by the rules) only when a file
passes the text prefilter.
"""

from __future__ import annotations

import functools
import io
import os
import re
import tokenize
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path, PurePath
from typing import Any

from lint_rules.fixes import (
    apply_to_original,
    fix_until_stable,
    normalise_newlines,
    unified_diff,
    write_atomically,
)
from lint_rules.model import Finding, ParseFailure
from lint_rules.notebook import NotebookError, NotebookFixRefused, NotebookSource, parse_notebook
from lint_rules.selection import (
    FIXABLE_CODES,
    INTERNAL_ERROR,
    IO_ERROR,
    RULE_NAMES,
    SYNTAX_ERROR,
    UNUSED_NOQA,
    Selection,
)

# flake8's syntax: a bare "noqa" comment, or "noqa:" and codes separated by commas or spaces,
# in any case and with or without a space after the hash; the codes match as prefixes.
NOQA = re.compile(
    r"#\s*noqa(?::[\s]?(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?", re.IGNORECASE
)
# Reports about the file itself: no noqa comment can hide them, since they mean nothing was linted.
FILE_LEVEL_CODES = frozenset({IO_ERROR, SYNTAX_ERROR, INTERNAL_ERROR})


class Mode:
    """What to do with fixable findings."""

    REPORT = "report"
    FIX = "fix"
    DIFF = "diff"
    ADD_NOQA = "add-noqa"


@dataclass(frozen=True)
class Settings:
    """Everything a worker needs to lint a file; plain data so that it pickles cheaply."""

    selection: Selection = field(default_factory=Selection)
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    extra_constructors: tuple[str, ...] = ()
    config_root: str = "."
    mode: str = Mode.REPORT

    def enabled_codes(self, display_path: str) -> frozenset[str]:
        return _enabled_codes(self.selection, self._ignored_for(display_path))

    def _ignored_for(self, display_path: str) -> tuple[str, ...]:
        if not self.per_file_ignores:
            return ()
        path = PurePath(display_path)
        try:
            relative = Path(display_path).absolute().relative_to(Path(self.config_root).absolute())
        except ValueError:
            relative = path
        ignored: list[str] = []
        for pattern, codes in self.per_file_ignores:
            if (
                fnmatchcase(relative.as_posix(), pattern)
                or fnmatchcase(path.as_posix(), pattern)
                or fnmatchcase(path.name, pattern)
            ):
                ignored.extend(codes)
        return tuple(ignored)


@functools.lru_cache(maxsize=256)
def _enabled_codes(selection: Selection, ignored: tuple[str, ...]) -> frozenset[str]:
    """Once per selection and per-file ignore list, not once per file: matching every code
    against every prefix cost a seventh of a run over 10,000 small files."""
    return selection.enabled_codes(ignored)


@dataclass(frozen=True)
class Reported:
    """A finding placed in its file, ready for any output format (1-based line and column)."""

    path: str
    code: str
    line: int
    column: int
    message: str
    fixable: bool = False
    cell: int | None = None
    source_line: str | None = None

    @property
    def name(self) -> str:
        from lint_rules.selection import TOOL_CODE_NAMES

        return RULE_NAMES.get(self.code) or TOOL_CODE_NAMES.get(self.code, self.code)


@dataclass
class FileReport:
    """What linting one file produced."""

    path: str
    findings: list[Reported] = field(default_factory=list)
    fixed: int = 0
    diff: str = ""
    new_source: str | None = None  # fixed text of stdin, printed instead of written
    notes: list[str] = field(default_factory=list)  # messages for stderr
    noqa_added: int = 0

    @property
    def internal_error(self) -> bool:
        return any(finding.code == INTERNAL_ERROR for finding in self.findings)


@dataclass(frozen=True)
class SourceUnit:
    """A file's text as the rules see it, and what is needed to write it back."""

    display: str
    path: str | None  # None: read from stdin
    text: str  # normalised newlines; for a notebook, its code cells joined
    original: str  # decoded file text (a notebook's JSON)
    encoding: str = "utf-8"
    notebook: NotebookSource | None = None


def decode_python(data: bytes) -> tuple[str, str]:
    """Decode as Python does: BOM, then a PEP 263 coding line, then UTF-8.

    Returns the text and the encoding to write it back with (``utf-8-sig`` keeps a BOM).
    """
    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    return data.decode(encoding), encoding


def _position_of_byte(data: bytes, offset: int) -> tuple[int, int]:
    line_start = data.rfind(b"\n", 0, offset) + 1
    return data.count(b"\n", 0, offset) + 1, offset - line_start + 1


def load_unit(display: str, path: str | None, data: bytes) -> SourceUnit | Reported:
    """Turn a file's bytes into a SourceUnit, or the one E902/E999 line saying why not."""
    is_notebook = display.endswith(".ipynb")
    try:
        if is_notebook:
            original, encoding = data.decode("utf-8-sig"), "utf-8"
        else:
            original, encoding = decode_python(data)
    except UnicodeDecodeError as error:
        line, column = _position_of_byte(data, error.start)
        return Reported(
            display,
            IO_ERROR,
            line,
            column,
            f"cannot decode file: {error.reason} ({error.encoding})",
        )
    except (SyntaxError, LookupError) as error:  # a bad or unknown coding declaration
        return Reported(display, IO_ERROR, 1, 1, f"cannot decode file: {error}")
    if not is_notebook:
        return SourceUnit(display, path, normalise_newlines(original), original, encoding)
    try:
        notebook = parse_notebook(original)
    except NotebookError as error:
        return Reported(display, SYNTAX_ERROR, error.line, error.column, error.message)
    return SourceUnit(display, path, notebook.text, original, encoding, notebook)


def read_unit(display: str, path: str) -> SourceUnit | Reported:
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except IsADirectoryError:  # a folder the walk could not list
        try:
            with os.scandir(path):
                pass
        except OSError as error:
            return Reported(
                display, IO_ERROR, 1, 1, f"cannot read directory: {error.strerror or error}"
            )
        return Reported(display, IO_ERROR, 1, 1, "cannot read file: Is a directory")
    except OSError as error:
        return Reported(display, IO_ERROR, 1, 1, f"cannot read file: {error.strerror or error}")
    return load_unit(display, path, data)


# ----------------------------------------------------------------------------------------
# Suppressions


@dataclass(frozen=True)
class NoqaComment:
    line: int
    codes: tuple[str, ...] | None  # None: a blanket noqa, without codes
    start: int  # 0-based column of the comment's "#"
    end: int


def noqa_comments(text: str) -> dict[int, NoqaComment]:
    """The ``# noqa`` comments of a module by line; real comments only (tokenize), so a
    string that mentions noqa suppresses nothing."""
    if "noqa" not in text.lower():
        return {}
    comments: dict[int, NoqaComment] = {}
    try:
        tokens = [
            token
            for token in tokenize.generate_tokens(io.StringIO(text).readline)
            if token.type == tokenize.COMMENT
        ]
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return comments
    for token in tokens:
        match = NOQA.search(token.string)
        if match is None:
            continue
        codes = match.group("codes")
        parsed = tuple(c.upper() for c in re.split(r"[,\s]+", codes) if c) if codes else None
        line, column = token.start
        comments[line] = NoqaComment(line, parsed, column, token.end[1])
    return comments


def _suppresses(comment: NoqaComment, code: str) -> bool:
    return comment.codes is None or any(code.startswith(prefix) for prefix in comment.codes)


def apply_noqa(
    findings: Sequence[Finding], comments: dict[int, NoqaComment], report_unused: bool
) -> list[Finding]:
    """Drop suppressed findings; with ``report_unused``, add BRN900 for BRN codes in a
    ``# noqa:`` that suppressed nothing (codes of other tools are not ours to judge)."""
    kept: list[Finding] = []
    used: set[tuple[int, str]] = set()
    for finding in findings:
        comment = comments.get(finding.line)
        if (
            finding.code in FILE_LEVEL_CODES
            or comment is None
            or not _suppresses(comment, finding.code)
        ):
            kept.append(finding)
            continue
        for prefix in comment.codes or ():
            if finding.code.startswith(prefix):
                used.add((finding.line, prefix))
    if report_unused:
        for comment in comments.values():
            for code in comment.codes or ():
                if code.startswith("BRN") and (comment.line, code) not in used:
                    kept.append(
                        Finding(
                            UNUSED_NOQA,
                            comment.line,
                            comment.start + 1,
                            f"unused suppression: nothing reports {code} on this line; "
                            f"remove it from the `# noqa` comment",
                        )
                    )
    return sorted(kept, key=lambda f: (f.line, f.column, f.code))


# ----------------------------------------------------------------------------------------
# Running the rules


def _checker():
    from lint_rules import checker

    return checker


def run_rules(
    text: str, settings: Settings, enabled: frozenset[str], facts: Any = None
) -> list[Finding]:
    """The rules' findings for one module, or the single finding that says why there are none.

    A rule that crashes must not take the run down: it becomes one BRN999 line for the file.
    """
    rule_codes = enabled & RULE_NAMES.keys()
    if not rule_codes:
        return []
    try:
        checker = _checker()
        if not checker.might_have_findings(text, settings.extra_constructors):
            return []
        with_facts = {"facts": facts} if facts is not None else {}
        findings = checker.check_source(
            text, extra_constructors=settings.extra_constructors, select=rule_codes, **with_facts
        )
    except ParseFailure as failure:
        message = failure.message
        if not message.startswith("SyntaxError"):  # the checker may have said it already
            message = f"SyntaxError: {message}"
        return [Finding(SYNTAX_ERROR, failure.line, failure.column, message)]
    except RecursionError:
        return [
            Finding(INTERNAL_ERROR, 1, 1, "internal error: the file nests too deeply to analyse")
        ]
    except Exception as error:  # noqa: BLE001 - one broken file must not stop the run
        return [Finding(INTERNAL_ERROR, 1, 1, f"internal error: {type(error).__name__}: {error}")]
    return [finding for finding in findings if finding.code in rule_codes]


def might_need_rules(unit: SourceUnit, settings: Settings) -> bool:
    """The cheap question the main process asks before sending a file to a worker."""
    enabled = settings.enabled_codes(unit.display)
    if UNUSED_NOQA in enabled and "noqa" in unit.text.lower():
        return True
    if not enabled & RULE_NAMES.keys():
        return False
    return _checker().might_have_findings(unit.text, settings.extra_constructors)


def findings_for(
    text: str, settings: Settings, enabled: frozenset[str], facts: Any = None
) -> list[Finding]:
    """Rules, then suppressions: what the user sees for this text. ``facts``: what the rest of
    the project says to this module (``project_index_resolution.ModuleFacts``)."""
    findings = run_rules(text, settings, enabled, facts)
    return apply_noqa(findings, noqa_comments(text), UNUSED_NOQA in enabled)


def lint_unit(unit: SourceUnit, settings: Settings, facts: Any = None) -> FileReport:
    """Lint (and fix, diff or suppress, as the mode says) one loaded file."""
    enabled = settings.enabled_codes(unit.display)
    report = FileReport(unit.display)
    fixable_codes = FIXABLE_CODES & enabled
    if settings.mode in (Mode.FIX, Mode.DIFF) and fixable_codes:
        _fix(unit, settings, enabled, report, facts)
    else:
        findings = findings_for(unit.text, settings, enabled, facts)
        if settings.mode == Mode.ADD_NOQA:
            findings = _add_noqa(unit, findings, report)
        report.findings = _place(unit, unit.text, findings)
    return report


def _place(unit: SourceUnit, text: str, findings: Iterable[Finding]) -> list[Reported]:
    lines = text.split("\n")
    placed = []
    for finding in findings:
        source_line = lines[finding.line - 1] if 0 < finding.line <= len(lines) else None
        line, column, cell = finding.line, finding.column, None
        message = finding.message
        if unit.notebook is not None and unit.notebook.cells:
            cell, line = unit.notebook.locate(finding.line)
            column += unit.notebook.column_shift(finding.line)
            message = notebook_places(unit.display, unit.notebook, message)
        placed.append(
            Reported(
                unit.display,
                finding.code,
                line,
                column,
                message,
                fixable=bool(finding.fix) and finding.code in FIXABLE_CODES,
                cell=cell,
                source_line=source_line,
            )
        )
    return placed


def notebook_places(display: str, notebook: NotebookSource, message: str) -> str:
    """Evidence the project index found in this notebook is named by a line of its cells
    joined (``nb.ipynb:130``); the reader needs the cell (``nb.ipynb:cell 11:4``), as the
    finding's own place gives it."""

    def cell_place(match: re.Match) -> str:
        cell, line = notebook.locate(int(match.group(1)))
        return f"{display}:cell {cell}:{line}"

    return re.sub(re.escape(display) + r":(\d+)\b", cell_place, message)


def _fix(
    unit: SourceUnit,
    settings: Settings,
    enabled: frozenset[str],
    report: FileReport,
    facts: Any = None,
) -> None:
    base = unit.notebook.text if unit.notebook is not None else unit.original
    fixed_text, findings, fixed = fix_until_stable(
        base,
        lambda text: findings_for(text, settings, enabled, facts),
        lambda finding: finding.code in FIXABLE_CODES and finding.code in enabled,
    )
    report.findings = _place(unit, normalise_newlines(fixed_text), findings)
    if fixed_text == base:
        return
    if unit.notebook is not None:
        try:
            new_file_text = unit.notebook.rebuild(fixed_text)
        except NotebookFixRefused as refusal:
            report.notes.append(f"{unit.display}: not fixed: {refusal}")
            report.findings = _place(
                unit, unit.text, findings_for(unit.text, settings, enabled, facts)
            )
            return
        diff = _notebook_diff(unit, fixed_text)
    else:
        new_file_text = fixed_text
        diff = unified_diff(unit.display, unit.original, fixed_text)
    report.fixed = fixed
    if settings.mode == Mode.DIFF:
        report.diff = diff
        # --diff changes nothing, so what it reports is the file as it stands
        report.findings = _place(unit, unit.text, findings_for(unit.text, settings, enabled, facts))
    elif unit.path is None:
        report.new_source = new_file_text
    elif not _write(unit, new_file_text, report):
        # nothing was fixed after all, so what stands is the file as it is
        report.findings = _place(unit, unit.text, findings_for(unit.text, settings, enabled, facts))


def _notebook_diff(unit: SourceUnit, fixed_text: str) -> str:
    assert unit.notebook is not None
    return unit.notebook.diff(unit.display, fixed_text)


def _write(unit: SourceUnit, new_text: str, report: FileReport) -> bool:
    """Write the fixed file; False (and a note) when it could not be written."""
    assert unit.path is not None
    try:
        write_atomically(Path(unit.path), new_text.encode(unit.encoding))
    except (OSError, UnicodeEncodeError) as error:
        report.notes.append(f"{unit.display}: not fixed: cannot write: {error}")
        report.fixed = 0
        return False
    return True


# ----------------------------------------------------------------------------------------
# --add-noqa


def _lines_that_cannot_take_a_comment(text: str) -> set[int]:
    """Lines inside a multi-line string or ending in a backslash: a comment there would
    change the program."""
    unsafe = {
        number
        for number, line in enumerate(text.split("\n"), start=1)
        if line.rstrip().endswith("\\")
    }
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.start[0] != token.end[0] and token.type not in (tokenize.NL, tokenize.NEWLINE):
                unsafe.update(range(token.start[0], token.end[0]))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        pass
    return unsafe


def _add_noqa(unit: SourceUnit, findings: list[Finding], report: FileReport) -> list[Finding]:
    """Append (or extend) a ``# noqa: CODE`` on each reported line; return what is left."""
    from lint_rules.model import Edit

    to_suppress: dict[int, set[str]] = {}
    for finding in findings:
        if finding.code not in FILE_LEVEL_CODES and finding.code != UNUSED_NOQA:
            to_suppress.setdefault(finding.line, set()).add(finding.code)
    if not to_suppress:
        return findings
    unsafe = _lines_that_cannot_take_a_comment(unit.text)
    comments = noqa_comments(unit.text)
    lines = unit.text.split("\n")
    line_starts = [0]
    for line in lines:
        line_starts.append(line_starts[-1] + len(line) + 1)
    edits = []
    for number, codes in sorted(to_suppress.items()):
        if number in unsafe or number > len(lines):
            report.notes.append(f"{unit.display}:{number}: cannot add a noqa comment on this line")
            continue
        existing = comments.get(number)
        line = lines[number - 1]
        if existing is not None and existing.codes is not None:
            merged = sorted(set(existing.codes) | codes)
            match = NOQA.search(line, existing.start)
            assert match is not None
            start = line_starts[number - 1] + match.start()
            edits.append(
                Edit(start, line_starts[number - 1] + match.end(), "# noqa: " + ", ".join(merged))
            )
        else:
            end = line_starts[number - 1] + len(line.rstrip())
            edits.append(
                Edit(
                    end,
                    line_starts[number - 1] + len(line),
                    "  # noqa: " + ", ".join(sorted(codes)),
                )
            )
    if not edits:
        return findings
    new_text = apply_to_original(unit.text, edits)
    if unit.notebook is not None:
        try:
            file_text = unit.notebook.rebuild(new_text)
        except NotebookFixRefused as refusal:
            report.notes.append(f"{unit.display}: no noqa added: {refusal}")
            return findings
    else:
        file_text = apply_to_original(unit.original, edits)
    if unit.path is None:
        report.new_source = file_text
    elif not _write(unit, file_text, report):
        return findings
    report.noqa_added = len(edits)
    remaining_lines = {number for number in to_suppress if number in unsafe}
    return [f for f in findings if f.code in FILE_LEVEL_CODES or f.line in remaining_lines]


def lint_file(display: str, path: str, settings: Settings) -> FileReport:
    """Read and lint one file: the function a pool worker runs."""
    unit = read_unit(display, path)
    if isinstance(unit, Reported):
        return FileReport(display, [unit])
    return lint_unit(unit, settings)


def lint_text(
    text: str,
    settings: Settings | None = None,
    *,
    display: str = "<string>",
    codes: Collection[str] | None = None,
) -> list[Reported]:
    """Lint source text in memory (no files, no fixes): a convenience for tools and tests."""
    settings = settings or Settings()
    if codes is not None:
        settings = Settings(selection=Selection(select=tuple(codes)))
    unit = load_unit(display, None, text.encode("utf-8"))
    if isinstance(unit, Reported):
        return [unit]
    return lint_unit(unit, settings).findings
