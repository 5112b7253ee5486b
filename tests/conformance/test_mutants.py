"""Each realistic mutant fails at least one of the clauses expected to catch it (ci profile).

Only the expected clauses run here, with fewer examples, to keep the test fast; every clause on
every mutant is ``bench/mutation_score.py``'s job.
"""

from __future__ import annotations

import pytest
from clause_outcomes import clause_outcome
from hypothesis import settings
from mutants import MUTANTS

from conformance.profiles import profile

FAST_CI = settings(profile("ci"), max_examples=10)


def test_there_are_enough_mutants():
    assert len(MUTANTS) >= 25
    assert len({mutant.name for mutant in MUTANTS}) == len(MUTANTS)
    assert all(mutant.expected for mutant in MUTANTS)


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda mutant: mutant.name)
def test_mutant_is_caught_by_an_expected_clause(mutant):
    outcomes = []
    for clause_id in mutant.expected:  # stop at the first clause that catches it: keeps it fast
        outcomes.append(clause_outcome(mutant.spec, clause_id, FAST_CI))
        if outcomes[-1].failed:
            break
    errors = [o for o in outcomes if o.status == "error"]
    assert not errors, f"a check broke instead of judging: {errors[0].message}"
    assert any(o.failed for o in outcomes), (
        f"{mutant.name} ({mutant.bug}) passed {', '.join(mutant.expected)}: "
        + "; ".join(f"{o.clause_id} {o.status} {o.message[:200]}" for o in outcomes)
    )


def test_reference_clause_also_checks_eval_mode():
    """Regression: C11 once compared train mode only, so an eval-only fast path slipped through."""
    (mutant,) = [m for m in MUTANTS if m.name == "EvalFastPathIgnoresBackwardH0"]
    outcome = clause_outcome(mutant.spec, "C11", FAST_CI)
    assert outcome.failed
    assert "in eval mode" in outcome.message
