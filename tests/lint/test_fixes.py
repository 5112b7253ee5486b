"""Fixes: edits applied without overlap, to a fixed point, atomically, keeping BOM and CRLF."""

from __future__ import annotations

import os
import sys
import types

import pytest

import lint_rules
from lint_rules.cli import main
from lint_rules.fixes import (
    apply_to_original,
    fix_until_stable,
    non_overlapping,
    unified_diff,
    write_atomically,
)
from lint_rules.model import Edit, Finding

MODEL = "rnn = nn.LSTM(8, 16, bidirectional=True)\nh0 = torch.zeros(num_layers, 4, 16)  # keep\n"
FIXED = MODEL.replace("num_layers,", "num_layers * 2,")


def stub_check_source(source, *, extra_constructors=(), select=None):
    findings, offset = [], 0
    for number, line in enumerate(source.split("\n"), start=1):
        if (column := line.find("zeros(num_layers,")) >= 0:
            start = offset + column + len("zeros(")
            fix = (Edit(start, start + len("num_layers"), "num_layers * 2"),)
            findings.append(Finding("BRN001", number, column + 1, "h0 lacks directions", fix))
        offset += len(line) + 1
    return findings


@pytest.fixture(autouse=True)
def stub_rules(monkeypatch):
    module = types.SimpleNamespace(
        might_have_findings=lambda source, extra=(): "LSTM" in source,
        check_source=stub_check_source,
    )
    monkeypatch.setitem(sys.modules, "lint_rules.checker", module)
    monkeypatch.setattr(lint_rules, "checker", module, raising=False)


def test_overlapping_edits_wait_for_the_next_round():
    edits = [Edit(0, 5, "a"), Edit(3, 8, "b"), Edit(8, 9, "c"), Edit(0, 5, "a")]
    assert non_overlapping(edits) == [Edit(0, 5, "a"), Edit(8, 9, "c")]


def test_edits_land_on_the_original_crlf_text():
    original = "ab\r\ncd\r\nef\n"
    # offsets 6..7 are "ef" in the normalised "ab\ncd\nef\n"
    assert apply_to_original(original, [Edit(6, 8, "X\nY")]) == "ab\r\ncd\r\nX\r\nY\n"


def test_fix_until_stable_repeats_until_nothing_is_fixable():
    def check(text):
        count = text.count("1")
        return (
            [Finding("BRN001", 1, 1, "m", (Edit(text.index("1"), text.index("1") + 1, "2"),))]
            if count
            else []
        )

    text, remaining, fixed = fix_until_stable("1 1 1", check, lambda finding: True)
    assert (text, remaining, fixed) == ("2 2 2", [], 3)


def test_unified_diff_has_git_style_headers():
    diff = unified_diff("m.py", MODEL, FIXED)
    assert (
        diff.startswith("--- a/m.py\n+++ b/m.py\n") and "+h0 = torch.zeros(num_layers * 2" in diff
    )


def test_write_atomically_keeps_permissions_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "m.py"
    target.write_text("old")
    os.chmod(target, 0o640)
    write_atomically(target, b"new")
    assert target.read_bytes() == b"new" and (os.stat(target).st_mode & 0o777) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["m.py"]


@pytest.fixture
def model(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "model.py"
    path.write_text(MODEL)
    return path


def test_nothing_is_written_without_fix(model):
    stat = os.stat(model)
    assert main(["model.py"]) == 1
    assert main(["--diff", "model.py"]) == 1
    assert model.read_text() == MODEL and os.stat(model).st_mtime_ns == stat.st_mtime_ns


def test_diff_prints_a_patch_on_stdout_and_findings_on_stderr(model, capsys):
    main(["--diff", "model.py"])
    out, err = capsys.readouterr()
    assert out == unified_diff("model.py", MODEL, FIXED)
    assert "model.py:2:12: BRN001" in err


def test_fix_is_idempotent_and_keeps_comments(model, capsys):
    assert main(["--fix", "model.py"]) == 0
    assert model.read_text() == FIXED and "Fixed 1 finding" in capsys.readouterr().err
    assert main(["--fix", "model.py"]) == 0 and model.read_text() == FIXED


def test_fix_keeps_bom_and_crlf(model):
    model.write_bytes(b"\xef\xbb\xbf" + MODEL.replace("\n", "\r\n").encode())
    assert main(["--fix", "model.py"]) == 0
    assert model.read_bytes() == b"\xef\xbb\xbf" + FIXED.replace("\n", "\r\n").encode()


def test_fix_respects_ignore_and_noqa(model):
    assert main(["--fix", "--ignore", "BRN001", "model.py"]) == 0
    model.write_text(MODEL.replace("# keep", "# noqa: BRN001"))
    assert main(["--fix", "model.py"]) == 0
    assert "num_layers * 2" not in model.read_text()
