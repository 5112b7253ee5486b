"""docs/rules.md is generated from the rules; it must be what the generator writes today."""

from __future__ import annotations

from lint_rules import docs
from lint_rules.rules import ALL_RULES


def test_rules_page_is_up_to_date() -> None:
    expected = docs.render()
    assert docs.DOCS_PATH.read_text(encoding="utf-8") == expected, (
        "docs/rules.md is stale: run `python -m lint_rules.docs`"
    )


def test_rules_page_shows_each_rule_with_examples_and_a_message() -> None:
    page = docs.render()
    for rule in ALL_RULES:
        section = page.split(f"## {rule.code} ")[1].split("\n## ")[0]
        assert rule.name in section
        assert "### Wrong" in section and "### Right" in section
        assert f": {rule.code} " in section  # a real message, produced from the wrong example
