"""Run one clause on one layer and say what happened, as data rather than as a raised exception.

Why: the false-alarm test, the mutant test and ``bench/mutation_score.py`` all ask the same
question of many (layer, clause) pairs and want a table, not the first traceback.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import settings as hypothesis_settings

from conformance.engine import Case, CheckSkipped, run_case
from conformance.failures import ConformanceFailure
from conformance.spec import LayerSpec


@dataclass(frozen=True)
class Outcome:
    clause_id: str
    status: str  # "passed", "failed", "skipped" or "error" (the check itself broke)
    message: str = ""

    @property
    def failed(self) -> bool:
        return self.status == "failed"


def clause_outcome(spec: LayerSpec, clause_id: str, settings: hypothesis_settings) -> Outcome:
    """The clause's verdict on ``spec`` (cpu) under ``settings``."""
    try:
        run_case(Case(spec, clause_id, "cpu"), settings)
    except CheckSkipped as skipped:
        return Outcome(clause_id, "skipped", str(skipped))
    except ConformanceFailure as failure:
        return Outcome(clause_id, "failed", str(failure))
    except Exception as error:  # noqa: BLE001 - reported, never hidden
        return Outcome(clause_id, "error", f"{type(error).__name__}: {error}")
    return Outcome(clause_id, "passed")
