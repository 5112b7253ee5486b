"""Applying the rules' edits: non-overlapping, repeated to a fixed point, written atomically.

The rules see text with ``\\n`` line ends; the file on disk may use ``\\r\\n`` (or a mix) and may
start with a byte-order mark. Edits are mapped back onto the original text so that every byte the
fix does not touch stays as it was.
"""

from __future__ import annotations

import bisect
import difflib
import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from lint_rules.model import Edit, Finding

MAX_FIX_ROUNDS = 10


def normalise_newlines(text: str) -> str:
    """What the rules see: every line end as ``\\n``, as Python's universal newlines give."""
    if "\r" not in text:
        return text
    return text.replace("\r\n", "\n").replace("\r", "\n")


def dominant_newline(text: str) -> str:
    crlf = text.count("\r\n")
    lone_cr = text.count("\r") - crlf
    lf = text.count("\n") - crlf
    return max((lf, "\n"), (crlf, "\r\n"), (lone_cr, "\r"))[1] if (crlf or lone_cr) else "\n"


@dataclass(frozen=True)
class NewlineMap:
    """Translate offsets in the normalised text to offsets in the original one."""

    # normalised offsets of the "\n" that stand for a two-character "\r\n"
    crlf_positions: tuple[int, ...]
    newline: str

    @classmethod
    def of(cls, original: str) -> NewlineMap:
        positions = []
        removed = 0
        index = original.find("\r\n")
        while index != -1:
            positions.append(index - removed)
            removed += 1
            index = original.find("\r\n", index + 2)
        return cls(tuple(positions), dominant_newline(original))

    def original_offset(self, offset: int) -> int:
        return offset + bisect.bisect_left(self.crlf_positions, offset)

    def edit_on_original(self, edit: Edit) -> Edit:
        replacement = edit.replacement
        if self.newline != "\n":
            replacement = replacement.replace("\n", self.newline)
        return Edit(self.original_offset(edit.start), self.original_offset(edit.end), replacement)


def non_overlapping(edits: Iterable[Edit]) -> list[Edit]:
    """Edits sorted by position; one that overlaps an earlier one waits for the next round."""
    chosen: list[Edit] = []
    for edit in sorted(set(edits), key=lambda e: (e.start, e.end, e.replacement)):
        if chosen and edit.start < chosen[-1].end:
            continue
        if chosen and edit.start == chosen[-1].end == chosen[-1].start == edit.end:
            continue  # two insertions at one point: their order would be arbitrary
        chosen.append(edit)
    return chosen


def apply_edits(text: str, edits: Sequence[Edit]) -> str:
    """Apply sorted, non-overlapping edits in one pass."""
    pieces = []
    position = 0
    for edit in edits:
        pieces.append(text[position : edit.start])
        pieces.append(edit.replacement)
        position = edit.end
    pieces.append(text[position:])
    return "".join(pieces)


def apply_to_original(original: str, edits: Sequence[Edit]) -> str:
    """Apply edits computed on the normalised text to the original, keeping its line ends."""
    mapping = NewlineMap.of(original)
    return apply_edits(original, [mapping.edit_on_original(edit) for edit in edits])


def fix_until_stable(
    original: str, check: Callable[[str], list[Finding]], fixable: Callable[[Finding], bool]
) -> tuple[str, list[Finding], int]:
    """Apply fixes, re-check, and repeat until nothing fixable is left (or MAX_FIX_ROUNDS).

    ``check`` receives the normalised text and returns the findings to report (suppressions
    already applied). Returns the fixed original-style text, the findings that remain, and the
    number of findings fixed.
    """
    text = original
    fixed = 0
    findings = check(normalise_newlines(text))
    for _ in range(MAX_FIX_ROUNDS):
        to_fix = [finding for finding in findings if finding.fix and fixable(finding)]
        edits = non_overlapping(edit for finding in to_fix for edit in finding.fix)
        if not edits:
            break
        new_text = apply_to_original(text, edits)
        if new_text == text:
            break
        applied = set(edits)
        fixed += sum(1 for finding in to_fix if applied.issuperset(finding.fix))
        text = new_text
        findings = check(normalise_newlines(text))
    return text, findings, fixed


def unified_diff(path: str, before: str, after: str) -> str:
    """The diff ``--diff`` prints (``a/`` and ``b/`` prefixes, as git writes them)."""
    lines = difflib.unified_diff(
        normalise_newlines(before).splitlines(keepends=True),
        normalise_newlines(after).splitlines(keepends=True),
        fromfile=f"a/{path}",
        tofile=f"b/{path}",
    )
    out = []
    for line in lines:
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


def write_atomically(path: Path, data: bytes) -> None:
    """Write through a temporary file in the same folder and ``os.replace``: a reader (or a
    crash) sees the old file or the new one, never half of it. Permissions are kept."""
    directory = path.parent
    mode = os.stat(path).st_mode & 0o7777 if path.exists() else None
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
