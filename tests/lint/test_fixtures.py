"""The example model files in fixtures/lint: each wrong one shows its pitfall, each right one is quiet."""

from __future__ import annotations

from pathlib import Path

import pytest

from lint_rules.checker import check_source, might_have_findings
from lint_rules.rules import ALL_RULES

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "lint"
WRONG = sorted(FIXTURES.glob("brn00*_wrong_*.py"))
RIGHT = sorted(FIXTURES.glob("brn00*_right_*.py"))


def test_every_rule_has_a_wrong_and_a_right_model_file() -> None:
    for rule in ALL_RULES:
        prefix = rule.code.lower()
        assert any(path.name.startswith(prefix + "_wrong_") for path in WRONG), rule.code
        assert any(path.name.startswith(prefix + "_right_") for path in RIGHT), rule.code


@pytest.mark.parametrize("path", WRONG, ids=[path.stem for path in WRONG])
def test_wrong_model_file_shows_its_pitfall(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    code = path.name[:6].upper()
    assert might_have_findings(source)
    assert code in [finding.code for finding in check_source(source)]


@pytest.mark.parametrize("path", RIGHT, ids=[path.stem for path in RIGHT])
def test_right_model_file_is_quiet(path: Path) -> None:
    assert check_source(path.read_text(encoding="utf-8")) == []
