"""Which paths git ignores, decided as git decides, so a walk never lints what git would not track.

The patterns are pathspec's ``GitIgnoreSpec`` (git's wildmatch: ``*`` stops at ``/``, ``**``
spans folders, ``!`` re-includes, the last matching line of a file wins). Across files, git's
precedence: the deepest ``.gitignore`` with a matching line decides, then the shallower ones, then
``.git/info/exclude``. The walk never enters an ignored folder, so a negation cannot bring back a
file under it, as in git. The user's global excludes file (``core.excludesFile``) is not read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathspec import GitIgnoreSpec


@dataclass(frozen=True)
class IgnoreFile:
    """The patterns of one ignore file; ``base`` is the folder they are relative to."""

    base: Path
    spec: GitIgnoreSpec

    def verdict(self, path: Path, is_directory: bool) -> bool | None:
        """True: ignored, False: re-included by a negation, None: no line of this file matches."""
        try:
            relative = path.relative_to(self.base).as_posix()
        except ValueError:
            return None
        return self.spec.check_file(relative + "/" if is_directory else relative).include


def read_ignore_file(base: Path, file: Path) -> IgnoreFile | None:
    """The patterns of ``file`` relative to ``base``, or None when it is absent or empty."""
    try:
        text = file.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    from pathspec import GitIgnoreSpec  # imported only where there is an ignore file to read

    spec = GitIgnoreSpec.from_lines(_valid_lines(GitIgnoreSpec, text.splitlines()))
    return IgnoreFile(base, spec) if len(spec) else None


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
    chain = []
    for folder in (directory, *directory.parents):
        chain.append(folder)
        if (folder / ".git").exists():
            break
    else:
        return []
    root = chain[-1]
    files = [read_ignore_file(root, root / ".git" / "info" / "exclude")]
    files.extend(read_ignore_file(folder, folder / ".gitignore") for folder in reversed(chain[1:]))
    return [file for file in files if file is not None]


def is_ignored(ignore_files: Sequence[IgnoreFile], path: Path, is_directory: bool) -> bool:
    """Whether git ignores ``path``, given the ignore files that apply, lowest precedence first."""
    for ignore_file in reversed(ignore_files):
        verdict = ignore_file.verdict(path, is_directory)
        if verdict is not None:
            return verdict
    return False
