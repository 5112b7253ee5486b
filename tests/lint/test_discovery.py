"""Which files a directory walk finds: the usual excludes, .gitignore, and explicit files."""

from __future__ import annotations

from pathlib import Path

from lint_rules.discovery import ExcludeMatcher, discover


def tree(root: Path, *files: str) -> None:
    for name in files:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x = 1\n")


def found(root: Path, *arguments: str, patterns=(), force=False) -> list[str]:
    matcher = ExcludeMatcher(root, tuple(patterns))
    return [
        path.relative_to(root).as_posix()
        for path in discover(
            [str(root / a) for a in arguments] or [str(root)], matcher, force_exclude=force
        )
    ]


def test_walk_finds_python_files_and_notebooks_only(tmp_path):
    tree(tmp_path, "a.py", "b.ipynb", "c.txt", "pkg/d.py", "pkg/e.pyc")
    assert found(tmp_path) == ["a.py", "b.ipynb", "pkg/d.py"]


def test_usual_folders_are_skipped(tmp_path):
    tree(
        tmp_path,
        "keep.py",
        ".git/x.py",
        "build/x.py",
        "dist/x.py",
        "__pycache__/x.py",
        ".tox/x.py",
        ".mypy_cache/x.py",
        "node_modules/x.py",
        ".venv/x.py",
        "venv/x.py",
        "pkg.egg-info/x.py",
    )
    assert found(tmp_path) == ["keep.py"]


def test_any_virtual_environment_is_skipped(tmp_path):
    tree(tmp_path, "keep.py", "myenv/lib/x.py", "myenv/pyvenv.cfg")
    assert found(tmp_path) == ["keep.py"]


def test_gitignore_patterns(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / ".gitignore").write_text("# comment\n*_pb2.py\n/generated/\nlogs/\n!keep_pb2.py\n")
    tree(tmp_path, "a.py", "x_pb2.py", "generated/g.py", "sub/generated/g.py", "sub/logs/l.py")
    (tmp_path / "sub" / ".gitignore").write_text("local.py\n")
    tree(tmp_path, "sub/local.py", "sub/other.py")
    assert found(tmp_path) == ["a.py", "sub/generated/g.py", "sub/other.py"]


def test_gitignore_of_the_repository_applies_when_walking_a_subfolder(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / ".gitignore").write_text("skipped/\n")
    tree(tmp_path, "src/skipped/x.py", "src/kept.py")
    assert found(tmp_path, "src") == ["src/kept.py"]


def test_user_excludes_match_names_and_relative_paths(tmp_path):
    tree(tmp_path, "a.py", "legacy/b.py", "pkg/gen_c.py", "pkg/d.py")
    assert found(tmp_path, patterns=("legacy", "pkg/gen_*.py")) == ["a.py", "pkg/d.py"]


def test_explicit_files_are_always_linted_unless_force_exclude(tmp_path):
    tree(tmp_path, "build/x.py", "legacy/y.py", "script")
    assert found(tmp_path, "build/x.py", "legacy/y.py", "script", patterns=("legacy",)) == [
        "build/x.py",
        "legacy/y.py",
        "script",
    ]
    assert found(tmp_path, "build/x.py", "legacy/y.py", patterns=("legacy",), force=True) == []


def test_a_file_named_twice_is_linted_once(tmp_path):
    tree(tmp_path, "a.py")
    assert found(tmp_path, "a.py", ".", "a.py") == ["a.py"]
