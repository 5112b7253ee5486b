"""Which files git tracks, so a walk lints committed code that a ``.gitignore`` also matches.

git applies ``.gitignore`` to untracked files only: a repository whose ``.gitignore`` reads ``*``
(then ``!code/``) or ``models/*`` still commits model code there, and a clone holds it. The walk
asks a work tree's index (``git ls-files -z``) only once an ignore file matches something it
meets, and at most once per work tree in a run. Without git, outside a repository, when git
refuses (an unsafe owner, a corrupt index) or takes too long, the answer is "unknown" and the
walk keeps plain ``.gitignore`` semantics.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

GIT_TIMEOUT_S = 10.0
# Variables that point git at another repository or index (a commit hook sets some of them).
_REPOSITORY_VARIABLES = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_COMMON_DIR",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_NAMESPACE",
    "GIT_PREFIX",
)


@dataclass(frozen=True)
class WorkTreeIndex:
    """The paths a work tree's index holds, relative to its root, and every folder above them."""

    files: frozenset[str]
    folders: frozenset[str]

    @classmethod
    def of_paths(cls, paths: frozenset[str]) -> WorkTreeIndex:
        folders = set()
        for path in paths:
            cut = path.rfind("/")
            while cut > 0 and path[:cut] not in folders:
                folders.add(path[:cut])
                cut = path.rfind("/", 0, cut)
        return cls(paths, frozenset(folders))


class TrackedFiles:
    """One run's answers: a work tree's index is read once, the first time a walk asks."""

    def __init__(self) -> None:
        self._indexes: dict[Path, WorkTreeIndex | None] = {}

    def index(self, root: Path) -> WorkTreeIndex | None:
        """The index of the work tree whose root (the folder holding ``.git``) is ``root``,
        or None when git cannot say."""
        if root not in self._indexes:
            paths = _index_paths(root)
            self._indexes[root] = WorkTreeIndex.of_paths(paths) if paths is not None else None
        return self._indexes[root]


def _index_paths(root: Path) -> frozenset[str] | None:
    environment = {
        key: value for key, value in os.environ.items() if key not in _REPOSITORY_VARIABLES
    }
    # git must read this root's .git, never climb to an enclosing repository when it is not one
    environment["GIT_CEILING_DIRECTORIES"] = os.fspath(root.parent)
    try:
        result = subprocess.run(
            ["git", "-C", os.fspath(root), "ls-files", "-z", "--cached"],
            capture_output=True,
            env=environment,
            timeout=GIT_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):  # no git on PATH, or too slow
        return None
    if result.returncode != 0:
        return None
    return frozenset(os.fsdecode(path) for path in result.stdout.split(b"\0") if path)
