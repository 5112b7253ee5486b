"""Output formats: text, JSON, SARIF 2.1.0 and GitHub workflow annotations.

Every format carries the same 1-based line and column. A notebook finding carries its cell; in
SARIF and GitHub annotations (which address lines of the file on disk, here JSON) the cell and
its position go into the message instead of a misleading line number.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from lint_rules import __version__
from lint_rules.engine import Reported
from lint_rules.selection import (
    FIXABLE_CODES,
    RULE_NAMES,
    TOOL_CODE_NAMES,
    TOOL_CODE_SUMMARIES,
    UNUSED_NOQA,
)
from lint_rules.urls import PROJECT_URLS, readme_url, rule_url

FORMATS = ("text", "json", "sarif", "github")
# The id of the official schema (OASIS, SARIF 2.1.0 errata 01) the test suite validates against.
SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)


def location_prefix(finding: Reported) -> str:
    """``path:line:col`` or, in a notebook, ``path:cell N:line:col``."""
    cell = f"cell {finding.cell}:" if finding.cell is not None else ""
    return f"{finding.path}:{cell}{finding.line}:{finding.column}"


def format_text(findings: Sequence[Reported], *, show_source: bool = False) -> str:
    out = []
    for finding in findings:
        out.append(f"{location_prefix(finding)}: {finding.code} {finding.message}")
        if show_source and finding.source_line is not None:
            line = finding.source_line.expandtabs(1)
            out.append(f"    {line}")
            out.append("    " + " " * (finding.column - 1) + "^")
    return "".join(line + "\n" for line in out)


def format_json(findings: Sequence[Reported]) -> str:
    records = [
        {
            "path": finding.path,
            "cell": finding.cell,
            "line": finding.line,
            "column": finding.column,
            "code": finding.code,
            "name": finding.name,
            "message": finding.message,
            "fixable": finding.fixable,
        }
        for finding in findings
    ]
    return json.dumps(records, indent=2) + "\n"


def rule_descriptions() -> dict[str, tuple[str, str]]:
    """code -> (name, full description), from the rules when they can be imported."""
    described = {code: (name, name.replace("-", " ")) for code, name in RULE_NAMES.items()}
    try:
        from lint_rules.rules import ALL_RULES
    except ImportError:
        pass
    else:
        for rule in ALL_RULES:
            described[rule.code] = (rule.name, rule.summary)
    for code, name in TOOL_CODE_NAMES.items():
        described[code] = (name, TOOL_CODE_SUMMARIES[code])
    return described


def help_url(code: str) -> str:
    """Where a code is explained: a rule's section of the rules page, a tool code's README part."""
    if code in RULE_NAMES:
        return rule_url(code, RULE_NAMES[code])
    return readme_url("suppressing-a-finding" if code == UNUSED_NOQA else "exit-status")


def _sarif_uri(path: str) -> str:
    candidate = Path(path)
    if candidate.is_absolute():
        try:
            candidate = candidate.relative_to(Path.cwd())
        except ValueError:
            return candidate.as_uri()
    return candidate.as_posix()


def format_sarif(findings: Sequence[Reported]) -> str:
    """SARIF 2.1.0 as GitHub code scanning reads it: every rule described, every result with a
    ruleId, a relative URI and a region (1-based line and column)."""
    described = rule_descriptions()
    codes = list(described)
    rules = [
        {
            "id": code,
            "name": described[code][0],
            "shortDescription": {"text": described[code][0].replace("-", " ")},
            "fullDescription": {"text": described[code][1]},
            "helpUri": help_url(code),
            "defaultConfiguration": {"level": "warning" if code in RULE_NAMES else "error"},
            "properties": {"fixable": code in FIXABLE_CODES, "tags": ["birnn-lint"]},
        }
        for code in codes
    ]
    results = []
    for finding in findings:
        location: dict = {"artifactLocation": {"uri": _sarif_uri(finding.path)}}
        message = finding.message
        if finding.cell is None:
            location["region"] = {"startLine": finding.line, "startColumn": finding.column}
        else:
            message = f"cell {finding.cell}:{finding.line}:{finding.column}: {message}"
        results.append(
            {
                "ruleId": finding.code,
                "ruleIndex": codes.index(finding.code) if finding.code in described else 0,
                "level": "warning" if finding.code in RULE_NAMES else "error",
                "message": {"text": message},
                "locations": [{"physicalLocation": location}],
            }
        )
    document = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "birnn-lint",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "informationUri": PROJECT_URLS["Homepage"],
                        "rules": rules,
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }
    return json.dumps(document, indent=2) + "\n"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def format_github(findings: Sequence[Reported]) -> str:
    """``::error file=...,line=...,col=...,title=CODE::message`` workflow commands."""
    out = []
    for finding in findings:
        properties = [f"file={_escape_property(finding.path)}"]
        message = finding.message
        if finding.cell is None:
            properties += [f"line={finding.line}", f"col={finding.column}"]
        else:
            message = f"cell {finding.cell}:{finding.line}:{finding.column}: {message}"
        properties.append(f"title={_escape_property(finding.code + ' ' + finding.name)}")
        out.append(f"::error {','.join(properties)}::{_escape_data(finding.code + ' ' + message)}")
    return "".join(line + "\n" for line in out)


def format_findings(findings: Sequence[Reported], output_format: str, *, show_source: bool) -> str:
    if output_format == "json":
        return format_json(findings)
    if output_format == "sarif":
        return format_sarif(findings)
    if output_format == "github":
        return format_github(findings)
    return format_text(findings, show_source=show_source)


def format_statistics(findings: Sequence[Reported], output_format: str) -> str:
    """Counts per code, most frequent first; ``[*]`` marks codes ``--fix`` can fix."""
    counts = Counter(finding.code for finding in findings)
    fixable = {finding.code for finding in findings if finding.fixable}
    names = {finding.code: finding.name for finding in findings}
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    if output_format == "json":
        records = [
            {"code": code, "name": names[code], "count": count, "fixable": code in fixable}
            for code, count in ordered
        ]
        return json.dumps(records, indent=2) + "\n"
    width = max((len(str(count)) for _, count in ordered), default=1)
    return "".join(
        f"{count:>{width}}\t{code}\t{'[*] ' if code in fixable else ''}{names[code]}\n"
        for code, count in ordered
    )
