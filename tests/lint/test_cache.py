"""The results cache: a warm run re-analyses nothing, a change re-analyses what depends on it,
and a cache that cannot be written is silently off."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import lint_rules.cache
import lint_rules.project
from lint_rules.cache import CACHE_DIR_NAME
from lint_rules.cli import main

PROJECT = Path(__file__).resolve().parents[2] / "fixtures" / "lint" / "projects" / "config_module"
UNRELATED = """
import torch.nn as nn


class Other(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.GRU(8, 16, bidirectional=True)

    def forward(self, x):
        _, h_n = self.rnn(x)
        return h_n[-1]
"""


@pytest.fixture
def project(tmp_path, monkeypatch):
    shutil.copytree(PROJECT / "wrong", tmp_path / "src")
    (tmp_path / "src" / "other.py").write_text(UNRELATED)
    monkeypatch.chdir(tmp_path / "src")
    return tmp_path / "src"


def run(capsys, *options: str) -> list[str]:
    main(["--isolated", "--quiet", "--jobs", "1", *options, "."])
    return sorted(capsys.readouterr().out.splitlines())


def test_a_warm_run_analyses_nothing_and_reports_the_same(project, capsys, analysed):
    cold = run(capsys)
    assert sorted(analysed) == ["config.py", "model.py", "other.py"]
    assert (project / CACHE_DIR_NAME).is_dir()
    analysed.clear()
    assert run(capsys) == cold and len(cold) == 2
    assert analysed == []


def test_a_config_change_reanalyses_the_module_that_reads_it_only(project, capsys, analysed):
    cold = run(capsys)
    assert any(line.startswith("model.py:") for line in cold)
    analysed.clear()
    config = project / "config.py"
    config.write_text(config.read_text().replace("bidirectional = True", "bidirectional = False"))
    warm = run(capsys)
    assert sorted(analysed) == ["config.py", "model.py"]  # other.py depends on neither
    assert [line.split(":")[0] for line in warm] == ["other.py"]


def test_no_cache_writes_nothing(project, capsys):
    run(capsys, "--no-cache")
    assert not (project / CACHE_DIR_NAME).exists()


def test_cache_dir_puts_it_elsewhere(project, tmp_path, capsys):
    run(capsys, "--cache-dir", str(tmp_path / "elsewhere"))
    assert (tmp_path / "elsewhere").is_dir() and not (project / CACHE_DIR_NAME).exists()


def test_a_cache_that_cannot_be_written_is_off_not_an_error(project, capsys, analysed):
    """A read-only tree: here the cache's folder cannot be made (a file is in the way), which
    fails the same way as a folder without write permission (tests run as root here)."""
    (project / "blocker").write_text("")
    expected = run(capsys, "--no-cache")
    status = main(["--isolated", "--quiet", "--jobs", "1", "--cache-dir", "blocker/cache", "."])
    captured = capsys.readouterr()
    assert status == 1 and sorted(captured.out.splitlines()) == expected
    assert captured.err == ""


def test_a_corrupt_cache_is_ignored(project, capsys):
    expected = run(capsys)
    for file in (project / CACHE_DIR_NAME).glob("*.pickle"):
        file.write_bytes(b"not a pickle")
    assert run(capsys) == expected


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_tree_lints_without_a_cache(project, capsys):
    expected = run(capsys, "--no-cache")
    project.chmod(0o555)
    try:
        assert run(capsys) == expected
        assert not (project / CACHE_DIR_NAME).exists()
    finally:
        project.chmod(0o755)


def test_other_linter_code_does_not_reuse_the_cache(project, capsys, analysed, monkeypatch):
    """The same version with other rule code (an editable install after a pull) analyses afresh."""
    cold = run(capsys)
    monkeypatch.setattr(lint_rules.cache, "code_fingerprint", lambda: "another build")
    analysed.clear()
    assert run(capsys) == cold
    assert sorted(analysed) == ["config.py", "model.py", "other.py"]


def test_the_sources_digest_changes_with_any_source(tmp_path):
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "brn.py").write_text("A = 1\n")
    first = lint_rules.cache.sources_digest(tmp_path)
    assert lint_rules.cache.sources_digest(tmp_path) == first
    (tmp_path / "rules" / "brn.py").write_text("A = 2\n")
    second = lint_rules.cache.sources_digest(tmp_path)
    (tmp_path / "rules" / "new.py").write_text("")
    assert len({first, second, lint_rules.cache.sources_digest(tmp_path)}) == 3
