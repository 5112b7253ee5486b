"""Which files a run lints: directories walked with the excludes users expect, explicit files kept.

A file named on the command line is always linted (unless ``force_exclude``, which pre-commit
needs because it names every staged file); a directory is walked for ``.py`` and ``.ipynb`` files,
skipping version-control folders, virtual environments, build outputs, caches and what git
ignores (``.gitignore`` files and ``.git/info/exclude``, with git's semantics: see ``gitignore``).
As in git, ``.gitignore`` applies to untracked files only: a file the work tree's index holds is
linted even where an ignore file matches it (``tracked_files``); the excludes above still win.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from fnmatch import fnmatchcase
from pathlib import Path

from lint_rules.gitignore import (
    IgnoreFile,
    ignore_files_above,
    is_ignored,
    read_ignore_file,
    work_tree_root,
)
from lint_rules.tracked_files import TrackedFiles

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
    ".birnn_lint_cache",
    ".ipynb_checkpoints",
    "node_modules",
    "*.egg-info",
    ".eggs",
)
LINTED_SUFFIXES = (".py", ".ipynb")


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


def walk(
    directory: Path,
    matcher: ExcludeMatcher,
    suffixes: tuple[str, ...] = LINTED_SUFFIXES,
    tracked: TrackedFiles | None = None,
) -> Iterator[Path]:
    """Every lintable file (or file with one of ``suffixes``) under ``directory``, in a
    stable (sorted) order. ``tracked`` holds the run's answers about what git tracks."""
    absolute = _absolute(directory)
    root = work_tree_root(absolute)
    place = _Place(tracked or TrackedFiles(), root, "", False)
    if root is not None and root != absolute:
        place = replace(place, prefix=absolute.relative_to(root).as_posix() + "/")
    yield from _walk(directory, matcher, ignore_files_above(absolute), suffixes, place)


@dataclass(frozen=True)
class _Place:
    """Where a walk stands in a git work tree: enough to ask its index whether a path is
    committed, which git says wins over ``.gitignore``."""

    tracked: TrackedFiles
    root: Path | None  # the work tree's root; None outside one
    prefix: str  # the folder walked, relative to ``root``: "" or "a/b/"
    ignored: bool  # the folder is ignored: only tracked paths under it count

    def holds(self, name: str, is_directory: bool) -> bool:
        """Whether the index holds the file ``name`` of this folder (a folder: any file under
        it). Unknown (no git, not a repository) counts as no."""
        index = self.tracked.index(self.root) if self.root is not None else None
        if index is None:
            return False
        relative = self.prefix + name
        return relative in (index.folders if is_directory else index.files)

    def below(self, name: str, ignored: bool) -> _Place:
        return replace(self, prefix=f"{self.prefix}{name}/", ignored=ignored)


def _walk(
    directory: Path,
    matcher: ExcludeMatcher,
    ignores: list[IgnoreFile],
    suffixes: tuple[str, ...],
    place: _Place,
) -> Iterator[Path]:
    own = read_ignore_file(_absolute(directory), directory / ".gitignore")
    ignores = [*ignores, own] if own is not None else ignores
    try:
        entries = sorted(os.scandir(directory), key=lambda entry: entry.name)
    except OSError:
        yield directory  # reading it gives its error line: a folder skipped in silence hides code
        return
    if place.prefix and any(entry.name == ".git" for entry in entries):
        # a nested repository: git answers for its files from its own index
        place = _Place(place.tracked, _absolute(directory), "", place.ignored)
    for entry in entries:
        path = directory / entry.name
        absolute = _absolute(path) if ignores else path
        if entry.is_dir(follow_symlinks=False):
            if _default_excluded(entry.name) or _is_virtualenv(path) or matcher.excludes(path):
                continue
            ignored = place.ignored or is_ignored(ignores, absolute, True)
            # an ignored folder is entered only to reach the files git tracks in it
            if ignored and not place.holds(entry.name, True):
                continue
            yield from _walk(path, matcher, ignores, suffixes, place.below(entry.name, ignored))
        elif entry.name.endswith(suffixes) and _is_file_or_unreadable(entry):
            if matcher.excludes(path):
                continue
            if (place.ignored or is_ignored(ignores, absolute, False)) and not place.holds(
                entry.name, False
            ):
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
    arguments: Sequence[str],
    matcher: ExcludeMatcher,
    *,
    force_exclude: bool = False,
    suffixes: tuple[str, ...] = LINTED_SUFFIXES,
    tracked: TrackedFiles | None = None,
) -> Iterator[Path]:
    """Expand command-line paths into files; explicit files are linted whatever their name.
    ``tracked`` is the run's cache of what git tracks, shared by the calls of one run."""
    tracked = tracked or TrackedFiles()
    seen: set[Path] = set()
    for argument in arguments:
        path = Path(argument)
        if path.is_dir():
            candidates: Iterable[Path] = walk(path, matcher, suffixes, tracked)
        else:
            if force_exclude and is_force_excluded(path, matcher):
                continue
            candidates = (path,)
        for candidate in candidates:
            key = _absolute(candidate)
            if key not in seen:
                seen.add(key)
                yield candidate


def is_force_excluded(path: Path, matcher: ExcludeMatcher) -> bool:
    """Whether ``--force-exclude`` drops ``path`` although it was named (a file or stdin's name):
    an exclude matches it, or a folder between the configuration's root and it is excluded."""
    return matcher.excludes(path) or _excluded_by_parents(path, matcher)


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
