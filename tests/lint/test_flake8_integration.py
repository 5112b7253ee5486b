"""The flake8 plugin as flake8 itself loads it: through the entry point, in a subprocess.

The entry point is declared by the base distribution, so a plugin flake8 cannot classify breaks
every flake8 run in the environment, ``--version`` included.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("flake8")

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "lint"
WRONG = FIXTURES / "brn003_wrong_classifier_last_row.py"
RIGHT = FIXTURES / "brn003_right_cat_last_two_rows.py"


def run_flake8(*arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flake8", "--isolated", *arguments],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def test_flake8_version_loads_the_plugin(tmp_path):
    result = run_flake8("--version", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "birnn-conformance" in result.stdout


def test_flake8_reports_brn_codes_on_a_wrong_file_and_none_on_a_right_one(tmp_path):
    result = run_flake8("--select", "BRN", str(WRONG), str(RIGHT), cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    path, line, column, message = lines[0].split(":", 3)
    assert (Path(path), line, column) == (WRONG, "15", "24")
    assert message.startswith(" BRN003 ")


def test_flake8_noqa_silences_a_brn_finding(tmp_path):
    source = WRONG.read_text(encoding="utf-8").splitlines(keepends=True)
    source[14] = source[14].rstrip("\n") + "  # noqa: BRN003\n"
    silenced = tmp_path / "silenced.py"
    silenced.write_text("".join(source), encoding="utf-8")
    result = run_flake8("--select", "BRN", str(silenced), cwd=tmp_path)
    assert (result.returncode, result.stdout) == (0, ""), result.stderr
