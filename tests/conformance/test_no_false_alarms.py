"""Correct layers written the way users write them pass every clause that applies: no false alarms.

Each layer of ``correct_layers`` is right by construction; a failure here is a bug in a check,
not in the layer. Runs the ci profile (derandomized); the thorough profile was run by hand and
recorded in bench/RESULTS.md.
"""

from __future__ import annotations

import pytest
from clause_outcomes import clause_outcome
from correct_layers import CORRECT_SPECS

from conformance.checks import all_checks
from conformance.profiles import profile

CI = profile("ci")


@pytest.mark.parametrize("clause_id", list(all_checks()))
@pytest.mark.parametrize("spec", CORRECT_SPECS, ids=lambda spec: spec.name)
def test_correct_layer_passes(spec, clause_id):
    outcome = clause_outcome(spec, clause_id, CI)
    if outcome.status == "skipped":
        pytest.skip(outcome.message)
    assert outcome.status == "passed", outcome.message
