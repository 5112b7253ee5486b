"""The chain clause -> check -> fixture holds for every clause, and the document says each one."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conformance.checks import all_checks
from conformance.clauses import CLAUSES

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = (ROOT / "docs" / "SPECIFICATION.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("clause_id", list(CLAUSES))
def test_document_states_the_clause(clause_id: str) -> None:
    heading = f"### {clause_id} {CLAUSES[clause_id].slug}"
    assert heading in DOCUMENT, f"docs/SPECIFICATION.md lacks the heading {heading!r}"


@pytest.mark.parametrize("clause_id", list(CLAUSES))
def test_every_clause_has_a_check(clause_id: str) -> None:
    assert clause_id in all_checks(), f"no check is registered for {clause_id}"


@pytest.mark.parametrize("clause_id", list(CLAUSES))
def test_every_clause_has_a_breaking_fixture(clause_id: str) -> None:
    pattern = f"breaks_{clause_id.lower()}_*.py"
    found = sorted((ROOT / "fixtures" / "layers").glob(pattern))
    assert found, f"fixtures/layers has no {pattern}: a check that no fixture fails cannot be trusted"


def test_document_names_no_unknown_clause() -> None:
    mentioned = set(re.findall(r"^### (C\d+) ", DOCUMENT, flags=re.MULTILINE))
    assert mentioned == set(CLAUSES)
