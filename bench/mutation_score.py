"""How many realistic bugs the suite catches, and how many false alarms it raises on correct layers.

    python bench/mutation_score.py                      # ci profile, every clause, cpu
    python bench/mutation_score.py --profile thorough
    python bench/mutation_score.py --only HiddenLayersTopFirst --only TwoGRUBiGRU

Runs EVERY clause (not only the expected ones, as tests/conformance/test_mutants.py does) on each
mutant of tests/conformance/mutants.py and on each correct layer (tests/conformance/
correct_layers.py, plus the two correct fixtures), and prints one row per layer: the clauses that
failed, and the verdict (caught or MISSED for a mutant; ok or FALSE ALARM for a correct layer).
A check that breaks (status "error") counts as a failure of the layer but is flagged with "!".
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "conformance")]

from clause_outcomes import clause_outcome  # noqa: E402
from correct_layers import CORRECT_SPECS  # noqa: E402
from mutants import MUTANTS, SteppedBiGRU  # noqa: E402

from conformance.checks import all_checks  # noqa: E402
from conformance.profiles import profile  # noqa: E402
from conformance.spec import Features, LayerSpec  # noqa: E402
from fixtures.layers.custom_specs import DICT_BILSTM, EQUATIONS_BIGRU  # noqa: E402

STEPPED_BIGRU = LayerSpec.from_class(
    SteppedBiGRU, kind="gru", features=Features(dtypes=("float32", "float64"))
)


def failed_clauses(spec: LayerSpec, settings) -> tuple[list[str], list[str]]:
    """(clauses that failed, clauses whose check raised instead of judging)."""
    failed, broken = [], []
    for clause_id in all_checks():
        outcome = clause_outcome(spec, clause_id, settings)
        if outcome.status == "failed":
            failed.append(clause_id)
        elif outcome.status == "error":
            broken.append(clause_id)
    return failed, broken


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="ci", help="dev, ci or thorough (default ci)")
    parser.add_argument("--only", action="append", help="run only the layers with these names")
    arguments = parser.parse_args()
    settings = profile(arguments.profile)
    chosen = set(arguments.only or [])

    def wanted(name: str) -> bool:
        return not chosen or name in chosen

    correct = [s for s in (*CORRECT_SPECS, EQUATIONS_BIGRU, DICT_BILSTM, STEPPED_BIGRU) if wanted(s.name)]
    mutants = [m for m in MUTANTS if wanted(m.name)]
    started = time.perf_counter()
    print(f"profile {arguments.profile}, device cpu, {len(all_checks())} clauses per layer\n")
    print(f"{'layer':<30} {'kind':<8} {'clauses failed':<34} verdict   expected")

    caught, missed, caught_without_reference = 0, [], 0
    for mutant in mutants:
        failed, broken = failed_clauses(mutant.spec, settings)
        hit = bool(failed or broken)
        caught += hit
        # a layer that declares no kind gets no C11: what do the other clauses catch alone?
        caught_without_reference += bool(set(failed + broken) - {"C11"})
        if not hit:
            missed.append(mutant)
        shown = " ".join(failed + [c + "!" for c in broken]) or "-"
        verdict = "caught" if hit else "MISSED"
        on_target = "" if set(mutant.expected) & set(failed) else " (none of them)"
        print(
            f"{mutant.name:<30} {'mutant':<8} {shown:<34} {verdict:<9} "
            f"{' '.join(mutant.expected)}{on_target if hit else ''}",
            flush=True,
        )

    alarms = []
    for spec in correct:
        failed, broken = failed_clauses(spec, settings)
        shown = " ".join(failed + [c + "!" for c in broken]) or "-"
        if failed or broken:
            alarms.append(spec.name)
        verdict = "FALSE ALARM" if failed or broken else "ok"
        print(f"{spec.name:<30} {'correct':<8} {shown:<34} {verdict}", flush=True)

    print()
    print(f"mutants caught: {caught}/{len(mutants)}")
    print(f"  caught without C11 (a layer that declares no kind): {caught_without_reference}/{len(mutants)}")
    for mutant in missed:
        print(f"  missed {mutant.name}: {mutant.bug}")
    print(f"false alarms on correct layers: {len(alarms)}/{len(correct)}" + (f" ({', '.join(alarms)})" if alarms else ""))
    print(f"wall time: {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
