"""C1, C2: torch's modules pass; layers that get a shape or the unbatched path wrong fail."""

from __future__ import annotations

import importlib

import pytest
from hypothesis import settings

from conformance.engine import Case, run_case
from conformance.failures import ConformanceFailure
from conformance.profiles import profile

BROKEN = [
    ("breaks_c1_unbatched_as_batch", "C1", [
        "C1-output-shape", "unbatched output differs", "step", "half",
    ]),
    ("breaks_c2_unbatched_state_keeps_batch", "C2", ["C2-state-shape", "unbatched h_n has shape"]),
    ("breaks_c2_directions_summed", "C2", [
        "C2-state-shape", "h_n has shape", "the direction dimension is missing",
    ]),
]


@pytest.mark.parametrize(("module", "clause_id", "fragments"), BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_fixture_fails_its_clause(module: str, clause_id: str, fragments: list[str]) -> None:
    spec = importlib.import_module(f"fixtures.layers.{module}").SPEC
    with pytest.raises(ConformanceFailure) as failure:
        run_case(Case(spec, clause_id, "cpu"), settings(profile("ci"), max_examples=50))
    message = str(failure.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} missing from:\n{message}"
    assert "reproduce without the plugin" in message


@pytest.mark.parametrize("module", ["breaks_c1_unbatched_as_batch", "breaks_c2_unbatched_state_keeps_batch"])
def test_unbatched_fixtures_break_nothing_else_of_the_shapes(module: str) -> None:
    """Batched calls are torch's: the clause each fixture does not target still passes."""
    spec = importlib.import_module(f"fixtures.layers.{module}").SPEC
    other = "C2" if "c1" in module else "C1"
    run_case(Case(spec, other, "cpu"), profile("ci"))
