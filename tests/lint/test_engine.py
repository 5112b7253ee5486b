"""The engine on one file: the prefilter, suppressions, selection, and file-level errors.

The rules are replaced by a stub so that these tests describe the engine alone: the stub reports
BRN001 (fixable) on ``zeros(num_layers,`` and BRN003 on ``h_n[-1]``.
"""

from __future__ import annotations

import sys
import types

import pytest
from stub_rules import stub_check_source

import lint_rules
from lint_rules.engine import Mode, Settings, lint_file, lint_text, noqa_comments
from lint_rules.selection import Selection


@pytest.fixture
def stub_rules(monkeypatch):
    """Install the stub as lint_rules.checker; records the sources it was asked to parse."""
    parsed = []

    def check_source(source, **options):
        parsed.append(source)
        return stub_check_source(source, **options)

    module = types.SimpleNamespace(
        might_have_findings=lambda source, extra=(): (
            "LSTM" in source or any(name in source for name in extra)
        ),
        check_source=check_source,
    )
    monkeypatch.setitem(sys.modules, "lint_rules.checker", module)
    monkeypatch.setattr(lint_rules, "checker", module, raising=False)
    return parsed


MODEL = "rnn = nn.LSTM(8, 16, bidirectional=True)\nh0 = torch.zeros(num_layers, 4, 16)\n"


def codes(findings):
    return [(finding.code, finding.line) for finding in findings]


def test_prefilter_skips_files_without_rnn_text(stub_rules):
    assert lint_text("x = h_n[-1]\n") == []
    assert stub_rules == []


def test_findings_are_reported_with_one_based_positions(stub_rules):
    [finding] = lint_text(MODEL)
    assert (finding.code, finding.line, finding.column, finding.fixable) == ("BRN001", 2, 12, True)


@pytest.mark.parametrize(
    "comment",
    [
        "# noqa",
        "# noqa: BRN001",
        "#noqa:BRN001",
        "# NOQA: brn001",
        "# noqa: E501, BRN001",
        "# noqa:BRN",
    ],
)
def test_noqa_on_the_reported_line_suppresses(stub_rules, comment):
    assert lint_text(MODEL.replace("16)\n", f"16)  {comment}\n")) == []


def test_noqa_for_another_code_does_not_suppress(stub_rules):
    findings = lint_text(MODEL.replace("16)\n", "16)  # noqa: BRN003\n"))
    assert codes(findings) == [("BRN001", 2)]


def test_noqa_on_another_line_or_inside_a_string_does_not_suppress(stub_rules):
    source = "# noqa\n" + MODEL.replace("16)\n", "16); s = '# noqa'\n")
    assert codes(lint_text(source)) == [("BRN001", 3)]


def test_noqa_comments_are_read_from_comments_only():
    comments = noqa_comments("x = 1  # noqa: BRN001,BRN002\ny = '# noqa'\n")
    assert list(comments) == [1] and comments[1].codes == ("BRN001", "BRN002")


def test_unused_noqa_is_reported_only_when_asked(stub_rules):
    source = MODEL + "LSTM  # noqa: BRN002, E501\n"
    assert lint_text(source) != [] and "BRN900" not in [f.code for f in lint_text(source)]
    settings = Settings(selection=Selection(select=("BRN0", "BRN900")))
    unused = [f for f in lint_text(source, settings) if f.code == "BRN900"]
    assert [(f.line, "BRN002" in f.message) for f in unused] == [(3, True)]


@pytest.mark.parametrize(
    ("select", "ignore", "expected"),
    [
        (("BRN",), (), ["BRN001", "BRN003"]),
        (("BRN00",), ("BRN001",), ["BRN003"]),
        (("BRN001",), ("BRN",), ["BRN001"]),  # the more specific prefix wins
        (("BRN003",), (), ["BRN003"]),
    ],
)
def test_select_and_ignore_prefixes(stub_rules, select, ignore, expected):
    settings = Settings(selection=Selection(select=select, ignore=ignore))
    source = MODEL + "s = h_n[-1]\n"
    assert [f.code for f in lint_text(source, settings)] == expected


def test_per_file_ignores_match_the_path(stub_rules, tmp_path):
    settings = Settings(per_file_ignores=(("tests/*", ("BRN001",)),), config_root=str(tmp_path))
    (tmp_path / "tests").mkdir()
    target = tmp_path / "tests" / "m.py"
    target.write_text(MODEL)
    assert lint_file(str(target), str(target), settings).findings == []
    other = tmp_path / "m.py"
    other.write_text(MODEL)
    assert len(lint_file(str(other), str(other), settings).findings) == 1


def test_syntax_error_is_one_line_at_pythons_position(stub_rules):
    [finding] = lint_text("LSTM\ndef f(:\n    pass\n")
    assert (finding.code, finding.line, finding.column) == ("E999", 2, 7)
    assert finding.message.startswith("SyntaxError: ")


def test_syntax_error_cannot_be_suppressed(stub_rules):
    assert [f.code for f in lint_text("LSTM\ndef f(:  # noqa\n")] == ["E999"]


def test_a_crashing_rule_becomes_one_internal_error_line(stub_rules):
    [finding] = lint_text("LSTM\nCRASH = 1\n")
    assert finding.code == "BRN999" and "ValueError: rule bug" in finding.message


def test_unreadable_and_undecodable_files_give_e902(stub_rules, tmp_path):
    missing = tmp_path / "missing.py"
    [finding] = lint_file("missing.py", str(missing), Settings()).findings
    assert finding.code == "E902" and "cannot read" in finding.message
    latin = tmp_path / "latin.py"
    latin.write_bytes(b"# LSTM\nname = '\xe9t\xe9'\n")
    [finding] = lint_file("latin.py", str(latin), Settings()).findings
    assert finding.code == "E902"


def test_coding_declaration_is_honoured(stub_rules, tmp_path):
    latin = tmp_path / "latin.py"
    latin.write_bytes(b"# -*- coding: latin-1 -*-\n" + MODEL.encode() + b"s = '\xe9'\n")
    assert [f.code for f in lint_file("latin.py", str(latin), Settings()).findings] == ["BRN001"]


def test_add_noqa_suppresses_in_bulk_and_keeps_existing_codes(stub_rules, tmp_path):
    target = tmp_path / "legacy.py"
    target.write_text(MODEL + "s = h_n[-1]  # noqa: E501\n")
    report = lint_file("legacy.py", str(target), Settings(mode=Mode.ADD_NOQA))
    assert report.findings == [] and report.noqa_added == 2
    text = target.read_text()
    assert "16)  # noqa: BRN001\n" in text and "# noqa: BRN003, E501\n" in text
    assert lint_file("legacy.py", str(target), Settings()).findings == []


def test_add_noqa_leaves_multiline_strings_alone(stub_rules, tmp_path):
    target = tmp_path / "doc.py"
    original = 'LSTM\nx = """h_n[-1]\n"""\n'
    target.write_text(original)
    report = lint_file("doc.py", str(target), Settings(mode=Mode.ADD_NOQA))
    assert target.read_text() == original and [f.code for f in report.findings] == ["BRN003"]
