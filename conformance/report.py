"""The report front end (``check_layer``) and the conformance matrix every front end prints.

``check_layer`` needs no pytest session: in a notebook or a script::

    from conformance import check_layer
    report = check_layer(MyBiGRU, clauses=["C1", "C4"], profile="dev")
    print(report)            # the matrix, then the failures
    report.ok                # True when nothing failed
    [r for r in report if r.status == "failed"]
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from conformance.clauses import clause
from conformance.time_limits import DEFAULT_SECONDS

# How a status reads in a matrix cell: failures shout, as in pytest's own summary.
CELL = {
    "passed": "passed",
    "failed": "FAILED",
    "xfailed": "xfail",
    "xpassed": "XPASS",
    "skipped": "skipped",
    "error": "ERROR",
}


@dataclass(frozen=True)
class Result:
    """What one (layer, clause, device) case gave."""

    layer: str
    clause: str
    device: str
    status: str
    message: str = ""
    seconds: float = 0.0

    @property
    def label(self) -> str:
        """``C4-reversal-equivariance``."""
        return clause(self.clause).label

    @property
    def id(self) -> str:
        """The test id pytest gives the same case: ``LSTM-C4-reversal-equivariance-cpu``."""
        return f"{self.layer}-{self.label}-{self.device.replace(':', '')}"


class Report(list[Result]):
    """A list of ``Result`` that prints as the conformance matrix followed by the failures."""

    @property
    def ok(self) -> bool:
        """True when no clause failed, errored or passed against a declared expected failure."""
        return not any(result.status in ("failed", "error", "xpassed") for result in self)

    def failures(self) -> list[Result]:
        return [result for result in self if result.status in ("failed", "error", "xpassed")]

    def __str__(self) -> str:
        parts = [format_matrix(self)]
        for result in self.failures():
            parts.append(f"\n{CELL[result.status]} {result.id}\n{result.message}")
        return "\n".join(parts)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # IPython/Jupyter display
        printer.text(str(self))


def check_layer(
    layer: Any,
    *,
    devices: Sequence[str] | None = None,
    clauses: Iterable[str] | None = None,
    profile: str = "dev",
    kind: str | None = None,
    timeout: float | None = DEFAULT_SECONDS,
) -> Report:
    """Run the suite on ``layer`` (a class, a ``LayerSpec`` or ``"module:attr"``) without pytest.

    ``devices`` defaults to cpu and cuda (an absent device gives skipped results that say why),
    ``clauses`` to all of them (ids or labels: ``["C4", "C11"]``), ``profile`` is ``dev``, ``ci``
    or ``thorough``. ``timeout`` limits each call of the layer, in seconds (0 or None: no limit;
    a case as a whole gets six times that per 20 examples). Returns one ``Result`` per (clause, device), in clause
    order; a passed result whose case ran out of time early says so in its message.
    """
    from conformance import device_support
    from conformance.engine import cases
    from conformance.loader import as_spec, load_layer
    from conformance.profiles import profile as check_profile_name
    from conformance.running import outcome

    check_profile_name(profile)  # fail early on a typo, before any case runs
    spec = load_layer(layer, kind=kind) if isinstance(layer, str) else as_spec(layer, kind=kind)
    report = Report()
    for case in cases([spec], list(devices or device_support.DEFAULT_DEVICES), clauses):
        result = outcome(case, profile, timeout)
        report.append(
            Result(spec.name, case.clause_id, case.device, result.status, result.message, result.seconds)
        )
    return report


def format_matrix(results: Iterable[Result], *, origins: dict[str, str] | None = None) -> str:
    """One table per layer: a row per clause, a column per device, then totals and skip reasons."""
    by_layer: dict[str, list[Result]] = {}
    for result in results:
        by_layer.setdefault(result.layer, []).append(result)
    blocks = []
    for layer, layer_results in sorted(by_layer.items()):  # xdist reports arrive in any order
        blocks.append(_layer_matrix(layer, layer_results, (origins or {}).get(layer)))
    return "\n\n".join(blocks)


def _layer_matrix(layer: str, results: list[Result], origin: str | None) -> str:
    devices = sorted({result.device for result in results}, key=lambda d: (d != "cpu", d))
    clause_ids = sorted({result.clause for result in results}, key=lambda c: int(c[1:]))
    cells = {(result.clause, result.device): result for result in results}
    labels = {clause_id: clause(clause_id).label for clause_id in clause_ids}
    first = max(len("clause"), *(len(label) for label in labels.values()))
    width = max(8, *(len(device) + 1 for device in devices))
    lines = [f"{layer}" + (f" ({origin})" if origin else "")]
    lines.append("  " + "clause".ljust(first) + "".join(f"  {d:<{width}}" for d in devices).rstrip())
    for clause_id in clause_ids:
        row = "".join(
            f"  {CELL[cells[clause_id, d].status] if (clause_id, d) in cells else '-':<{width}}"
            for d in devices
        )
        lines.append(f"  {labels[clause_id]:<{first}}{row}".rstrip())
    counts: dict[str, int] = {}
    for result in results:
        counts[result.status] = counts.get(result.status, 0) + 1
    lines.append("  " + ", ".join(f"{counts[s]} {s}" for s in CELL if s in counts))
    lines.extend(_common_cause(results))
    lines.extend(_skip_reasons(results))
    return "\n".join(lines)


RAISED = re.compile(r"\braised (\w+(?:Error|Exception|Warning)?: [^\n]*)")


def _common_cause(results: list[Result]) -> list[str]:
    """One root cause, one message: when every failure is the same exception (a layer that cannot
    run a float32 default state fails 17 clauses identically), say so once."""
    failures = [r for r in results if r.status in ("failed", "error")]
    causes = set()
    for result in failures:
        found = RAISED.search(result.message)
        # the exception and its text, without where it happened (which differs per clause)
        causes.add(re.split(r" while | \(c(?:all|onfiguration)", found.group(1))[0] if found else None)
    if len(failures) < 3 or len(causes) != 1 or None in causes:
        return []
    first = min(failures, key=lambda r: int(r.clause[1:]))
    return [
        f"  all {len(failures)} failures have one cause, the layer (or its adapter) raising "
        f"{causes.pop()}: fix that first (see {first.id})"
    ]


def _skip_reasons(results: list[Result]) -> list[str]:
    """Each distinct skip reason once, with the cells it applies to."""
    reasons: dict[str, list[str]] = {}
    for result in sorted(results, key=lambda r: (int(r.clause[1:]), r.device)):
        if result.status == "skipped" and result.message:
            reasons.setdefault(result.message, []).append(f"{result.clause}/{result.device}")
    lines = []
    for reason, where in reasons.items():
        devices = ", ".join(dict.fromkeys(cell.split("/")[1] for cell in where))
        shown = ", ".join(where) if len(where) <= 4 else f"{len(where)} clauses on {devices}"
        lines.append(f"  skipped ({shown}): {reason}")
    return lines
