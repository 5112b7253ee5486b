"""Which paths git ignores, decided as git decides, so a walk never lints what git would not track.

The patterns are read by pathspec's ``GitIgnoreSpec`` (git's wildmatch: ``*`` stops at ``/``,
``**`` spans folders, ``!`` re-includes, escapes, trailing spaces). Which line wins is decided
here, as git decides it: the last line of a file that matches the path itself, a folder by its
own name. pathspec's ``check_file`` also weighs lines that match a parent folder, by rules of its
own that differ from git's (after ``b`` and ``!b/a.py``, git still ignores ``b/a.py``; pathspec
does not); a walk has already decided every folder on the way down, so it needs only the path.
Across files, git's precedence: the deepest ``.gitignore`` with a matching line decides, then the
shallower ones, then ``.git/info/exclude``. A negation cannot bring back a file under an ignored
folder, as in git: the walk enters such a folder only for the files git tracks in it, which git
never ignores (``tracked_files``). The global excludes file (``core.excludesFile``) is not read.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathspec import GitIgnoreSpec

# The group pathspec's git patterns set where a match ends at a folder's '/'.
_DIRECTORY_MARK = "ps_d"
# pathspec reads a trailing '/**/' as the folder itself; git, as the folders below it.
_FOLDERS_BELOW = re.compile(r"/\*\*/$")


@dataclass(frozen=True)
class IgnoreLine:
    """One pattern: pathspec's regex, which also matches what lies under a matched folder, and
    the same regex held to the end of the text, to test a folder by its own trailing '/'."""

    include: bool  # True: ignores, False: a negation
    regex: re.Pattern[str]
    folder_regex: re.Pattern[str]

    def matches_file(self, relative: str) -> bool:
        match = self.regex.search(relative)
        # a match ending at a folder's '/' is one of the file's parent folders: already decided
        return match is not None and match.groupdict().get(_DIRECTORY_MARK) is None

    def matches_folder(self, relative: str) -> bool:
        if self.matches_file(relative):
            return True
        match = self.folder_regex.search(relative + "/")
        return match is not None and match.groupdict().get(_DIRECTORY_MARK) is not None


@dataclass(frozen=True)
class IgnoreFile:
    """The patterns of one ignore file; ``base`` is the folder they are relative to."""

    base: Path
    lines: tuple[IgnoreLine, ...]  # in file order, blank lines and comments left out

    def verdict(self, path: Path, is_directory: bool) -> bool | None:
        """True: ignored, False: re-included by a negation, None: no line of this file matches.
        As in git, the last line that matches the path itself decides."""
        try:
            relative = path.relative_to(self.base).as_posix()
        except ValueError:
            return None
        for line in reversed(self.lines):
            if line.matches_folder(relative) if is_directory else line.matches_file(relative):
                return line.include
        return None


def read_ignore_file(base: Path, file: Path) -> IgnoreFile | None:
    """The patterns of ``file`` relative to ``base``, or None when it is absent or empty."""
    try:
        text = file.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    from pathspec import GitIgnoreSpec  # imported only where there is an ignore file to read

    lines = [_FOLDERS_BELOW.sub("/**/*/", line) for line in text.splitlines()]
    spec = GitIgnoreSpec.from_lines(_valid_lines(GitIgnoreSpec, lines))
    ignore_lines = tuple(
        IgnoreLine(
            pattern.include,
            pattern.regex,
            re.compile(f"(?:{pattern.regex.pattern})\\Z", pattern.regex.flags),
        )
        for pattern in spec.patterns
        if pattern.include is not None and pattern.regex is not None
    )
    return IgnoreFile(base, ignore_lines) if ignore_lines else None


def _valid_lines(spec_class: type[GitIgnoreSpec], lines: list[str]) -> list[str]:
    """The lines git would use: it skips a line it cannot read as a pattern (a lone ``!``, a
    trailing backslash) and keeps the others, where pathspec would reject the whole file."""
    valid = []
    for line in lines:
        try:
            spec_class.from_lines([line])
        except ValueError:
            continue
        valid.append(line)
    return valid


def ignore_files_above(directory: Path) -> list[IgnoreFile]:
    """The ignore files that apply to ``directory``'s contents from outside it, lowest precedence
    first: the repository's ``.git/info/exclude``, then each ``.gitignore`` from the repository
    root down to ``directory``'s parent (the walk reads ``directory``'s own). Outside a
    repository, none."""
    root = work_tree_root(directory)
    if root is None:
        return []
    chain = [directory, *directory.parents]
    chain = chain[: chain.index(root) + 1]
    files = [read_ignore_file(root, root / ".git" / "info" / "exclude")]
    files.extend(read_ignore_file(folder, folder / ".gitignore") for folder in reversed(chain[1:]))
    return [file for file in files if file is not None]


def work_tree_root(directory: Path) -> Path | None:
    """The repository root at or above ``directory`` (the nearest folder holding ``.git``)."""
    for folder in (directory, *directory.parents):
        if (folder / ".git").exists():
            return folder
    return None


def is_ignored(ignore_files: Sequence[IgnoreFile], path: Path, is_directory: bool) -> bool:
    """Whether git ignores ``path``, given the ignore files that apply, lowest precedence first."""
    for ignore_file in reversed(ignore_files):
        verdict = ignore_file.verdict(path, is_directory)
        if verdict is not None:
            return verdict
    return False
