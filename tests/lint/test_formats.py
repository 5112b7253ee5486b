"""Every output format carries the same 1-based positions; SARIF is what code scanning reads."""

from __future__ import annotations

import json

from lint_rules.engine import Reported
from lint_rules.formats import (
    format_github,
    format_json,
    format_sarif,
    format_statistics,
    format_text,
)

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
    assert document["version"] == "2.1.0" and "sarif-2.1.0" in document["$schema"]
    driver = document["runs"][0]["tool"]["driver"]
    assert driver["name"] == "birnn-lint" and driver["version"]
    rules = {rule["id"]: rule for rule in driver["rules"]}
    assert {f"BRN00{n}" for n in range(1, 8)} | {"E999", "E902", "BRN999"} <= set(rules)
    assert all(rule["fullDescription"]["text"] and "helpUri" not in rule for rule in rules.values())
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


def test_github_annotations_escape_their_properties():
    lines = format_github(FINDINGS).splitlines()
    assert lines[0] == (
        "::error file=pkg/model.py,line=12,col=9,"
        "title=BRN001 hidden-init-missing-directions::BRN001 h0 has 1 direction"
    )
    assert lines[1].startswith("::error file=nb.ipynb,title=") and "cell 3:2:5" in lines[1]
    weird = Reported("a,b:c.py", "BRN003", 1, 1, "50% of\nit")
    assert "file=a%2Cb%3Ac.py" in format_github([weird]) and "50%25 of%0Ait" in format_github(
        [weird]
    )


def test_statistics_json():
    records = json.loads(format_statistics(FINDINGS + FINDINGS[:1], "json"))
    assert records[0] == {
        "code": "BRN001",
        "name": "hidden-init-missing-directions",
        "count": 2,
        "fixable": True,
    }


def test_flake8_plugin_reports_zero_based_columns(monkeypatch):
    import sys
    import types

    import lint_rules
    from lint_rules.flake8_plugin import BirnnFlake8Checker
    from lint_rules.model import Finding

    module = types.SimpleNamespace(
        might_have_findings=lambda source, extra=(): True,
        check_source=lambda source, **options: [Finding("BRN003", 2, 5, "backward state only")],
    )
    monkeypatch.setitem(sys.modules, "lint_rules.checker", module)
    monkeypatch.setattr(lint_rules, "checker", module, raising=False)
    checker = BirnnFlake8Checker(
        tree=None, lines=["import torch\n", "h = h_n[-1]\n"], filename="m.py"
    )
    assert list(checker.run()) == [(2, 4, "BRN003 backward state only", BirnnFlake8Checker)]
