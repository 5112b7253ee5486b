"""A walk skips exactly what git itself ignores: each case is checked against ``git check-ignore``
in a fresh repository, so the expectation is git's, not ours."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lint_rules.discovery import ExcludeMatcher, discover

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")

# (ignore files: path -> text, the .py files of the tree); git decides which of them are ignored.
CASES = {
    "negation re-includes a file": (
        {".gitignore": "docs/*.py\n!docs/keep.py\n"},
        ["docs/keep.py", "docs/drop.py"],
    ),
    "a star does not cross a slash": (
        {".gitignore": "docs/*.py\n"},
        ["docs/top.py", "docs/sub/deep.py"],
    ),
    "double star matches zero folders": (
        {".gitignore": "exp/**/scratch.py\n"},
        ["exp/scratch.py", "exp/a/b/scratch.py", "exp/a/kept.py"],
    ),
    "a negation cannot re-include a file of an ignored folder": (
        {".gitignore": "out/\n!out/x.py\n"},
        ["out/x.py", "src/out.py"],
    ),
    "a negation cannot re-include a file of a folder a name pattern ignores": (
        {".gitignore": "b\n!b/a.py\n"},
        ["b/a.py", "c/b/a.py", "a.py"],
    ),
    "a deeper .gitignore overrides a shallower one": (
        {".gitignore": "gen_*.py\n", "sub/.gitignore": "!gen_keep.py\n"},
        ["gen_a.py", "sub/gen_keep.py", "sub/gen_b.py"],
    ),
    "anchored and unanchored names": (
        {".gitignore": "/top.py\nany.py\n"},
        ["top.py", "pkg/top.py", "any.py", "pkg/any.py"],
    ),
    "a pattern with a middle slash is anchored to its file": (
        {"pkg/.gitignore": "gen/x.py\n"},
        ["pkg/gen/x.py", "pkg/sub/gen/x.py", "gen/x.py"],
    ),
    "escapes, trailing spaces and comments": (
        {".gitignore": "\\#hash.py\n# comment.py\nspaced.py   \n\\!bang.py\n"},
        ["#hash.py", "comment.py", "spaced.py", "!bang.py"],
    ),
    "directory-only patterns": (
        {".gitignore": "cache/\nlogs/**\n"},
        ["cache/a.py", "cache.py", "logs/b.py", "logs/deep/c.py"],
    ),
    "a folder's own pattern wins over an earlier negation of everything": (
        {".gitignore": "a.py\n!*\nb\n"},
        ["a.py", "keep.py", "b/a.py", "b/c/a.py"],
    ),
    "a negated folder does not re-include the files a pattern ignores in it": (
        {".gitignore": "*.py\n!b\n"},
        ["a.py", "b/a.py"],
    ),
    "a trailing '/**/' is the folders below, not the folder": (
        {".gitignore": "c/**/\n!c/d/\n"},
        ["c/a.py", "c/d/b.py", "c/d/e/f.py", "c/g/h.py"],
    ),
    "'x/**' is everything inside x, so a file in x can be re-included": (
        {".gitignore": "x/**\n!x/keep.py\n"},
        ["x/a.py", "x/keep.py", "x/y/b.py"],
    ),
    "a line git cannot read is skipped, the others apply": (
        {".gitignore": "!\\nodd\\\\\nx.py\n"},
        ["x.py", "y.py"],
    ),
    "info/exclude counts, below .gitignore": (
        {".git/info/exclude": "private.py\nsecret_*.py\n", ".gitignore": "!secret_ok.py\n"},
        ["private.py", "secret_x.py", "secret_ok.py"],
    ),
}


def git(repository: Path, *arguments: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    # No global or system configuration: a user's core.excludesFile must not change the answer.
    environment = {**os.environ, "HOME": str(repository), "GIT_CONFIG_NOSYSTEM": "1"}
    environment.pop("XDG_CONFIG_HOME", None)
    return subprocess.run(
        ["git", *arguments],
        cwd=repository,
        input=stdin,
        capture_output=True,
        text=True,
        env=environment,
    )


def ignored_by_git(repository: Path, files: list[str]) -> set[str]:
    result = git(repository, "check-ignore", "--stdin", stdin="\n".join(files) + "\n")
    assert result.returncode in (0, 1), result.stderr  # 1: none of them is ignored
    return set(result.stdout.splitlines())


@pytest.mark.parametrize("case", CASES)
def test_walk_skips_what_git_ignores(case, tmp_path):
    ignore_files, files = CASES[case]
    assert git(tmp_path, "init", "-q").returncode == 0
    for name in files:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x = 1\n")
    for name, text in ignore_files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    expected = sorted(set(files) - ignored_by_git(tmp_path, files))
    linted = discover([str(tmp_path)], ExcludeMatcher(tmp_path, ()))
    assert sorted(path.relative_to(tmp_path).as_posix() for path in linted) == expected
    assert expected != sorted(files), "each case ignores something"


def test_walking_a_subfolder_applies_the_repository_ignore_files_above_it(tmp_path):
    assert git(tmp_path, "init", "-q").returncode == 0
    (tmp_path / ".gitignore").write_text("src/*/skipped.py\n")
    (tmp_path / ".git" / "info" / "exclude").write_text("private.py\n")
    for name in ("src/a/skipped.py", "src/a/kept.py", "src/a/private.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x = 1\n")
    linted = discover([str(tmp_path / "src" / "a")], ExcludeMatcher(tmp_path, ()))
    assert [path.name for path in linted] == ["kept.py"]


TREE = [
    *("a.py", "keep.py", "b/a.py", "b/keep.py", "b/c/a.py", "b/b/a.py", "c/b.py", "c/d/e/f.py"),
    *("x/keep.py", "x/y/z.py", "x/a.pyx.py", "y/c/keep.py"),
]
SEGMENTS = ["a.py", "b", "c", "x", "y", "*", "**", "*.py", "?.py", "[ab].py", "keep.py", "a*", ""]


@st.composite
def gitignore_lines(draw) -> str:
    segments = draw(st.lists(st.sampled_from(SEGMENTS), min_size=1, max_size=3))
    negated = draw(st.booleans())
    anchored = draw(st.booleans())
    directory_only = draw(st.booleans())
    return (
        ("!" if negated else "")
        + ("/" if anchored else "")
        + "/".join(segments)
        + ("/" if directory_only else "")
    )


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    root_lines=st.lists(gitignore_lines(), min_size=1, max_size=4),
    nested_lines=st.lists(gitignore_lines(), max_size=2),
)
def test_random_ignore_files_agree_with_git(tmp_path_factory, root_lines, nested_lines):
    repository = tmp_path_factory.mktemp("repository")
    assert git(repository, "init", "-q").returncode == 0
    for name in TREE:
        (repository / name).parent.mkdir(parents=True, exist_ok=True)
        (repository / name).write_text("x = 1\n")
    (repository / ".gitignore").write_text("\n".join(root_lines) + "\n")
    (repository / "b" / ".gitignore").write_text("\n".join(nested_lines) + "\n")
    expected = sorted(set(TREE) - ignored_by_git(repository, TREE))
    linted = discover([str(repository)], ExcludeMatcher(repository, ()))
    assert sorted(path.relative_to(repository).as_posix() for path in linted) == expected
