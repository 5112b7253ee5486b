"""One engine under every front end: the (layer, clause, device) cases and how one runs.

The pytest plugin, the decorator and ``check_layer`` all enumerate ``cases`` and call
``run_case``; none of them knows how a check works.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.errors import HypothesisException

from conformance import device_support
from conformance.checks import all_checks
from conformance.clauses import clause
from conformance.failures import ConformanceFailure
from conformance.spec import LayerSpec


class CheckSkipped(Exception):
    """The clause does not apply here (a feature the layer lacks, a device that is absent)."""


@dataclass(frozen=True)
class Case:
    spec: LayerSpec
    clause_id: str
    device: str

    @property
    def id(self) -> str:
        """Stable across machines and workers: declared names only, never repr(module)."""
        return f"{self.spec.name}-{clause(self.clause_id).label}-{self.device.replace(':', '')}"

    @property
    def expected_failure(self) -> str | None:
        return self.spec.expected_failures.get(self.clause_id)


def select_clauses(selection: Iterable[str] | None) -> list[str]:
    """Clause ids in order; ``selection`` accepts ids (``C4``) and labels (``C4-reversal-...``)."""
    known = list(all_checks())
    if not selection:
        return known
    chosen = set()
    for item in selection:
        for part in str(item).split(","):
            part = part.strip()
            if part:
                chosen.add(clause(part.split("-")[0]).id)
    return [clause_id for clause_id in known if clause_id in chosen]


def cases(
    specs: Sequence[LayerSpec], devices: Sequence[str], clauses: Iterable[str] | None = None
) -> list[Case]:
    """Every (layer, clause, device), collected on every machine; absent devices skip at run time."""
    chosen = select_clauses(clauses)
    return [Case(spec, clause_id, device) for spec in specs for clause_id in chosen for device in devices]


def run_case(case: Case, settings: hypothesis_settings) -> None:
    """Run one case: return on success, raise ConformanceFailure, CheckSkipped or the error."""
    __tracebackhide__ = True
    check = all_checks()[case.clause_id]
    reason = device_support.skip_reason(case.device) or check.skip_reason(case.spec, case.device)
    if reason:
        raise CheckSkipped(reason)
    examples = max(1, round(settings.max_examples * check.examples_factor))

    @hypothesis_settings(settings, max_examples=examples)
    @given(data=st.data())
    def clause_holds(data) -> None:
        from conformance.repro import snippet
        from conformance.trial import Trial

        trial = Trial(case.spec, case.clause_id, case.device, data.draw)
        try:
            check.run(trial)
        except ConformanceFailure as failure:
            _attach_context(failure, case, trial, snippet(trial))
            raise
        except HypothesisException:
            raise  # assume() and hypothesis's own control flow
        except Exception as error:
            # The layer's results broke an assumption of the check itself (a state of the wrong
            # shape reaching the direction swap, say): report it as this clause's failure with
            # the example, never as an internal error of the plugin.
            failure = ConformanceFailure(
                case.clause_id,
                f"the check could not go on: {type(error).__name__}: {error}",
                hint="the layer's results do not have the shapes or dtypes this clause needs "
                "(see C1, C2 and C15 for this layer); if the layer is torch's own, please report "
                "this as a bug in birnn-conformance",
            )
            _attach_context(failure, case, trial, snippet(trial))
            raise failure from error

    clause_holds.__qualname__ = clause_holds.__name__ = f"check_{case.id.replace('-', '_')}"
    clause_holds()


def _attach_context(failure: ConformanceFailure, case: Case, trial, repro: str | None) -> None:
    if trial.example is not None:
        example = trial.example
        failure.add_context(
            f"  layer {case.spec.name} on {case.device}, {str(trial.dtype).removeprefix('torch.')}: "
            f"{example.config}, T={example.seq_len}, B={example.batch}, seed={example.seed}"
            + (", with h0" if trial.with_state else "")
        )
    if repro:
        failure.add_context("  reproduce without the plugin:\n" + _indent(repro, "    "))


def _indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line for line in text.splitlines())
