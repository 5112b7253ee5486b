"""Committed files are linted whatever ``.gitignore`` says, as git applies it to untracked files
only; untracked files keep the ignore rules, and the user's excludes win over both."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from lint_rules import tracked_files
from lint_rules.cli import main
from lint_rules.discovery import ExcludeMatcher, discover
from lint_rules.run_scripts import find_run_scripts
from lint_rules.tracked_files import TrackedFiles, WorkTreeIndex

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")

WRONG = (
    "import torch\n"
    "import torch.nn as nn\n"
    "rnn = nn.LSTM(8, 16, num_layers=2, bidirectional=True)\n"
    "h0 = torch.zeros(2, 4, 16)  # one row per layer: the directions are missing\n"
    "out, h = rnn(x, (h0, h0))\n"
)


def repository(root: Path, ignore: str, committed: list[str], untracked: list[str]) -> None:
    """A work tree whose ``.gitignore`` is ``ignore``; ``committed`` files are in its index
    (``git add -f``, as a repository that commits what its ignore file matches)."""
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / ".gitignore").write_text(ignore)
    for name in [*committed, *untracked]:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(WRONG if name.endswith(".py") else "python train.py\n")
    if committed:
        subprocess.run(["git", "-C", str(root), "add", "-f", "--", *committed], check=True)


def found(root: Path, *patterns: str, tracked: TrackedFiles | None = None) -> list[str]:
    matcher = ExcludeMatcher(root, patterns)
    return [
        path.relative_to(root).as_posix()
        for path in discover([str(root)], matcher, tracked=tracked)
    ]


def lint(capsys, root: Path, *extra: str) -> list[str]:
    previous = os.getcwd()
    os.chdir(root)
    try:
        main(["--isolated", "--quiet", "--no-cache", "--jobs", "1", *extra, "."])
    finally:
        os.chdir(previous)
    return capsys.readouterr().out.splitlines()


def test_a_committed_file_under_an_ignore_everything_gitignore_is_linted(capsys, tmp_path):
    repository(tmp_path, "*\n!.gitignore\n", ["model.py"], ["scratch.py"])
    lines = lint(capsys, tmp_path)
    assert [line.split(":")[0] for line in lines] == ["model.py"]
    assert "BRN001" in lines[0]


def test_an_ignored_folder_is_entered_only_to_reach_its_tracked_files(tmp_path):
    repository(
        tmp_path,
        "models/*\ndata/\n",
        ["models/net.py", "data/sub/loader.py", "top.py"],
        ["models/tmp.py", "data/other/x.py", "data/sub/notes.py", "untracked.py"],
    )
    assert found(tmp_path) == ["data/sub/loader.py", "models/net.py", "top.py", "untracked.py"]


def test_walking_a_subfolder_asks_the_index_of_the_work_tree_above(tmp_path):
    repository(tmp_path, "*\n", ["code/model.py"], ["code/scratch.py"])
    matcher = ExcludeMatcher(tmp_path, ())
    walked = discover([str(tmp_path / "code")], matcher)
    assert [path.relative_to(tmp_path).as_posix() for path in walked] == ["code/model.py"]


def test_the_users_excludes_win_over_tracked(capsys, tmp_path):
    repository(
        tmp_path,
        "*\n!.gitignore\n",
        ["model.py", "generated/model.py", "build/model.py", "node_modules/model.py"],
        [],
    )
    assert found(tmp_path, "generated") == ["model.py"]
    linted = [line.split(":")[0] for line in lint(capsys, tmp_path)]
    assert linted == ["generated/model.py", "model.py"]
    linted = [
        line.split(":")[0] for line in lint(capsys, tmp_path, "--extend-exclude", "generated")
    ]
    assert linted == ["model.py"]


def test_a_tracked_run_script_in_an_ignored_folder_is_read(tmp_path):
    repository(tmp_path, "scripts/\n", ["scripts/run.sh"], ["scripts/old.sh"])
    found_scripts = find_run_scripts(tmp_path, ExcludeMatcher(tmp_path, ()))
    assert [path.relative_to(tmp_path).as_posix() for path in found_scripts] == ["scripts/run.sh"]


def test_without_git_on_path_gitignore_applies_to_every_file(tmp_path, monkeypatch):
    repository(tmp_path, "*\n!.gitignore\n", ["model.py"], [])
    monkeypatch.setenv("PATH", str(tmp_path / "no-programs-here"))
    assert found(tmp_path) == []


def test_a_folder_that_only_looks_like_a_repository_falls_back(tmp_path):
    (tmp_path / ".git").mkdir()  # no repository inside: git fails, the ignore file decides
    (tmp_path / ".gitignore").write_text("*.py\n")
    (tmp_path / "model.py").write_text(WRONG)
    assert found(tmp_path) == []


def test_the_index_is_read_once_per_work_tree_and_only_when_something_is_ignored(
    tmp_path, monkeypatch
):
    calls = []
    real = tracked_files._index_paths
    monkeypatch.setattr(
        tracked_files, "_index_paths", lambda root: calls.append(root) or real(root)
    )
    plain, ignoring = tmp_path / "plain", tmp_path / "ignoring"
    repository(plain, "", ["a.py"], [])
    repository(ignoring, "*.py\n", ["a.py", "b.py"], ["c.py"])
    tracked = TrackedFiles()
    assert found(plain, tracked=tracked) == ["a.py"]
    assert found(ignoring, tracked=tracked) == ["a.py", "b.py"]
    assert found(ignoring, tracked=tracked) == ["a.py", "b.py"]
    assert calls == [ignoring]


def test_a_nested_repository_answers_from_its_own_index(tmp_path):
    repository(tmp_path, "*.py\n", ["outer.py"], [])
    repository(tmp_path / "vendor", "*.py\n", ["inner.py"], ["loose.py"])
    assert found(tmp_path) == ["outer.py", "vendor/inner.py"]


def test_the_folders_above_indexed_files_are_known():
    index = WorkTreeIndex.of_paths(frozenset({"a/b/c.py", "a/d.py", "e.py"}))
    assert index.folders == {"a", "a/b"}
