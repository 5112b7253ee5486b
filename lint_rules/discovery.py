"""Which files a run lints: directories walked with the excludes users expect, explicit files kept.

A file named on the command line is always linted (unless ``force_exclude``, which pre-commit
needs because it names every staged file); a directory is walked for ``.py`` and ``.ipynb`` files,
skipping version-control folders, virtual environments, build outputs, caches and what
``.gitignore`` lists. ``.gitignore`` support covers the common patterns (globs, ``dir/``,
anchored ``/path``), not negation.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

DEFAULT_EXCLUDES: tuple[str, ...] = (
    ".git",
    ".hg",
    ".svn",
    ".bzr",
    ".venv",
    "venv",
    ".direnv",
    "__pypackages__",
    "site-packages",
    "build",
    "_build",
    "buck-out",
    "dist",
    "__pycache__",
    ".tox",
    ".nox",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    ".ipynb_checkpoints",
    "node_modules",
    "*.egg-info",
    ".eggs",
)
LINTED_SUFFIXES = (".py", ".ipynb")


@dataclass(frozen=True)
class GitignoreRule:
    """One pattern of one ``.gitignore``; ``base`` is the directory it was read from."""

    base: Path
    pattern: str
    directory_only: bool
    anchored: bool

    def matches(self, path: Path, is_directory: bool) -> bool:
        if self.directory_only and not is_directory:
            return False
        try:
            relative = path.relative_to(self.base).as_posix()
        except ValueError:
            return False
        if self.anchored:
            return fnmatchcase(relative, self.pattern)
        return fnmatchcase(path.name, self.pattern) or fnmatchcase(relative, self.pattern)


def read_gitignore(directory: Path) -> list[GitignoreRule]:
    """The patterns of ``directory/.gitignore`` (none when absent); negations are skipped."""
    try:
        text = (directory / ".gitignore").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    rules = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", "!")):
            continue
        directory_only = line.endswith("/")
        line = line.rstrip("/")
        anchored = "/" in line
        line = line.lstrip("/")
        if line.startswith("**/"):
            line, anchored = line[3:], "/" in line[3:]
        if line:
            rules.append(GitignoreRule(directory, line, directory_only, anchored))
    return rules


def _enclosing_gitignores(directory: Path) -> list[GitignoreRule]:
    """Patterns of the ``.gitignore`` files from the repository root down to ``directory``."""
    chain = []
    for ancestor in (directory, *directory.parents):
        chain.append(ancestor)
        if (ancestor / ".git").exists():
            break
    else:
        chain = [directory]
    rules: list[GitignoreRule] = []
    for ancestor in reversed(chain):
        rules.extend(read_gitignore(ancestor))
    return rules


@dataclass(frozen=True)
class ExcludeMatcher:
    """User excludes (flake8 style: a glob on the name or on the path relative to the config's
    directory) plus the default excludes."""

    root: Path
    patterns: tuple[str, ...]

    def excludes(self, path: Path) -> bool:
        if not self.patterns:
            return False
        try:
            relative = _absolute(path).relative_to(_absolute(self.root)).as_posix()
        except ValueError:
            relative = path.as_posix()
        for pattern in self.patterns:
            pattern = pattern.rstrip("/")
            if fnmatchcase(path.name, pattern) or fnmatchcase(relative, pattern.lstrip("./")):
                return True
            if fnmatchcase(relative, pattern.lstrip("./") + "/*"):
                return True
        return False


def _absolute(path: Path) -> Path:
    """Absolute without resolving symlinks: one string operation, no system call per part."""
    return Path(os.path.abspath(path))


def _is_virtualenv(directory: Path) -> bool:
    return (directory / "pyvenv.cfg").is_file()


def _default_excluded(name: str) -> bool:
    return any(fnmatchcase(name, pattern) for pattern in DEFAULT_EXCLUDES)


def walk(directory: Path, matcher: ExcludeMatcher) -> Iterator[Path]:
    """Every lintable file under ``directory``, in a stable (sorted) order."""
    inherited = _enclosing_gitignores(_absolute(directory))
    yield from _walk(directory, matcher, inherited)


def _walk(directory: Path, matcher: ExcludeMatcher, rules: list[GitignoreRule]) -> Iterator[Path]:
    rules = rules + read_gitignore(directory) if (directory / ".gitignore").is_file() else rules
    try:
        entries = sorted(os.scandir(directory), key=lambda entry: entry.name)
    except OSError:
        yield directory  # reading it gives its error line: a folder skipped in silence hides code
        return
    for entry in entries:
        path = directory / entry.name
        absolute = _absolute(path) if rules else path
        if entry.is_dir(follow_symlinks=False):
            if (
                _default_excluded(entry.name)
                or _is_virtualenv(path)
                or matcher.excludes(path)
                or any(rule.matches(absolute, True) for rule in rules)
            ):
                continue
            yield from _walk(path, matcher, rules)
        elif entry.name.endswith(LINTED_SUFFIXES) and _is_file_or_unreadable(entry):
            if matcher.excludes(path) or any(rule.matches(absolute, False) for rule in rules):
                continue
            yield path


def _is_file_or_unreadable(entry: os.DirEntry) -> bool:
    """A regular file, or an entry that cannot even be inspected (a symlink loop): reading it
    then gives that file's own error line instead of a crash or silence."""
    try:
        return entry.is_file()
    except OSError:
        return True


def discover(
    arguments: Sequence[str], matcher: ExcludeMatcher, *, force_exclude: bool = False
) -> Iterator[Path]:
    """Expand command-line paths into files; explicit files are linted whatever their name."""
    seen: set[Path] = set()
    for argument in arguments:
        path = Path(argument)
        if path.is_dir():
            candidates: Iterable[Path] = walk(path, matcher)
        else:
            if force_exclude and (matcher.excludes(path) or _excluded_by_parents(path, matcher)):
                continue
            candidates = (path,)
        for candidate in candidates:
            key = _absolute(candidate)
            if key not in seen:
                seen.add(key)
                yield candidate


def _excluded_by_parents(path: Path, matcher: ExcludeMatcher) -> bool:
    """Whether a folder between the configuration's root and ``path`` is excluded."""
    absolute = _absolute(path)
    try:
        inside = absolute.relative_to(_absolute(matcher.root))
    except ValueError:
        return False
    parent = _absolute(matcher.root)
    for part in inside.parts[:-1]:
        parent = parent / part
        if _default_excluded(part) or _is_virtualenv(parent) or matcher.excludes(parent):
            return True
    return False
