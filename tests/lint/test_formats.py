"""Every output format carries the same 1-based positions; SARIF is what code scanning reads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lint_rules.docs import rule_heading
from lint_rules.engine import Reported
from lint_rules.formats import (
    format_json,
    format_sarif,
    format_text,
)
from lint_rules.selection import RULE_NAMES
from lint_rules.urls import PROJECT_URLS

REPOSITORY = Path(__file__).resolve().parents[2]
SARIF_SCHEMA_FILE = Path(__file__).resolve().parent / "sarif" / "sarif-schema-2.1.0.json"

FINDINGS = [
    Reported(
        "pkg/model.py",
        "BRN001",
        12,
        9,
        "h0 has 1 direction",
        fixable=True,
        source_line="        h0 = torch.zeros(1, b, h)",
    ),
    Reported("nb.ipynb", "BRN003", 2, 5, "h_n[-1] is the backward state", cell=3),
    Reported("broken.py", "E999", 4, 7, "SyntaxError: invalid syntax"),
]


def test_text_is_path_line_column_code_message():
    assert format_text(FINDINGS).splitlines() == [
        "pkg/model.py:12:9: BRN001 h0 has 1 direction",
        "nb.ipynb:cell 3:2:5: BRN003 h_n[-1] is the backward state",
        "broken.py:4:7: E999 SyntaxError: invalid syntax",
    ]


def test_show_source_points_at_the_column():
    lines = format_text(FINDINGS[:1], show_source=True).splitlines()
    assert lines[2].index("^") - 4 == 8 and lines[1][4 + 8] == "h"


def test_json_records():
    records = json.loads(format_json(FINDINGS))
    assert records[0] == {
        "path": "pkg/model.py",
        "cell": None,
        "line": 12,
        "column": 9,
        "code": "BRN001",
        "name": "hidden-init-missing-directions",
        "message": "h0 has 1 direction",
        "fixable": True,
    }
    assert records[1]["cell"] == 3 and records[1]["column"] == 5


def test_sarif_has_the_structure_github_code_scanning_requires():
    document = json.loads(format_sarif(FINDINGS))
    assert document["version"] == "2.1.0" and "sarif-schema-2.1.0" in document["$schema"]
    driver = document["runs"][0]["tool"]["driver"]
    assert driver["name"] == "birnn-lint" and driver["version"]
    rules = {rule["id"]: rule for rule in driver["rules"]}
    assert {f"BRN00{n}" for n in range(1, 8)} | {"E999", "E902", "BRN999"} <= set(rules)
    assert all(rule["fullDescription"]["text"] for rule in rules.values())
    results = document["runs"][0]["results"]
    first = results[0]
    assert first["ruleId"] == "BRN001" and driver["rules"][first["ruleIndex"]]["id"] == "BRN001"
    location = first["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "pkg/model.py"
    assert location["region"] == {"startLine": 12, "startColumn": 9}
    assert "cell 3:2:5" in results[1]["message"]["text"]
    assert results[2]["level"] == "error"


def test_sarif_with_no_findings_is_still_a_valid_run():
    document = json.loads(format_sarif([]))
    assert document["runs"][0]["results"] == []
    official_schema().validate(document)


def official_schema():
    """OASIS's SARIF 2.1.0 schema (errata 01), vendored: see tests/lint/sarif/NOTICE.md."""
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SARIF_SCHEMA_FILE.read_text(encoding="utf-8"))
    return jsonschema.Draft4Validator(
        schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER
    )


def test_sarif_validates_against_the_official_schema():
    validator = official_schema()
    document = json.loads(format_sarif(FINDINGS))
    validator.validate(document)
    assert document["$schema"] == validator.schema["id"]
    broken = json.loads(format_sarif(FINDINGS))
    broken["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0
    assert not validator.is_valid(broken)  # the schema does catch a wrong document


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a Markdown heading: lower case, punctuation dropped, '-' for ' '."""
    kept = "".join(char for char in heading.strip().lower() if char.isalnum() or char in " -_")
    return kept.replace(" ", "-")


def test_every_sarif_rule_links_to_its_page_under_a_declared_url():
    driver = json.loads(format_sarif([]))["runs"][0]["tool"]["driver"]
    assert driver["informationUri"] == PROJECT_URLS["Homepage"]
    readme = (REPOSITORY / "README.md").read_text(encoding="utf-8")
    readme_anchors = {
        github_anchor(line.lstrip("#")) for line in readme.splitlines() if line.startswith("#")
    }
    for rule in driver["rules"]:
        page, _, anchor = rule["helpUri"].partition("#")
        if rule["id"] in RULE_NAMES:
            assert page == PROJECT_URLS["Rules"]
            assert anchor == github_anchor(rule_heading(rule["id"], rule["name"]))
        else:
            assert page == PROJECT_URLS["Homepage"] and anchor in readme_anchors, rule
