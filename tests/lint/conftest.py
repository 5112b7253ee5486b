"""Fixtures shared by the linter's tests."""

from __future__ import annotations

import pytest

import lint_rules.project


@pytest.fixture
def analysed(monkeypatch):
    """The display paths the engine analyses in this process (the cache skips the others)."""
    seen: list[str] = []
    real = lint_rules.project.lint_unit

    def counting(unit, settings, facts=None):
        seen.append(unit.display)
        return real(unit, settings, facts)

    monkeypatch.setattr(lint_rules.project, "lint_unit", counting)
    return seen
