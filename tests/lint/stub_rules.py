"""A stand-in for the rules, so that tests of the engine and the command line describe those alone.

It reports BRN001 (fixable: ``num_layers`` becomes ``num_layers * 2``) on ``zeros(num_layers,``,
BRN003 on ``h_n[-1]``, raises on a line holding ``CRASH`` (a rule's own bug), and raises
ParseFailure for invalid Python, as the real ``check_source`` does.
"""

from __future__ import annotations

import ast

from lint_rules.model import Edit, Finding, ParseFailure


def stub_check_source(source, *, extra_constructors=(), select=None):
    try:
        ast.parse(source)
    except SyntaxError as error:
        raise ParseFailure(error.lineno or 1, error.offset or 1, error.msg) from None
    findings, offset = [], 0
    for number, line in enumerate(source.split("\n"), start=1):
        if (column := line.find("zeros(num_layers,")) >= 0:
            start = offset + column + len("zeros(")
            fix = (Edit(start, start + len("num_layers"), "num_layers * 2"),)
            findings.append(Finding("BRN001", number, column + 1, "h0 lacks directions", fix))
        if (column := line.find("h_n[-1]")) >= 0:
            findings.append(Finding("BRN003", number, column + 1, "backward state only"))
        if "CRASH" in line:
            raise ValueError("rule bug")
        offset += len(line) + 1
    return [f for f in findings if select is None or f.code in select]

