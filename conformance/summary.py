"""The header and the conformance matrix of a pytest session.

The matrix is built from test reports alone (their ``user_properties`` carry the case), so it is
the same under pytest-xdist, where the controller only sees the reports its workers send.
Light imports only: this object is registered in every session, used or not.
"""

from __future__ import annotations

import pytest

from conformance.options import Choice


class ConformanceSummary:
    """Registered as a plugin: records each case's outcome and prints the matrix at the end."""

    def __init__(self) -> None:
        # node id -> ((layer, clause, device), status, message, (origin, source))
        self.outcomes: dict[str, tuple[tuple[str, str, str], str, str, tuple[str, str]]] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        properties = dict(
            (key, value) for key, value in report.user_properties if key.startswith("birnn_")
        )
        if not {"birnn_layer", "birnn_clause", "birnn_device"} <= properties.keys():
            return
        status = _status(report)
        if status is None:
            return
        case = (properties["birnn_layer"], properties["birnn_clause"], properties["birnn_device"])
        where = (properties.get("birnn_origin", ""), properties.get("birnn_source", ""))
        # setup, call, teardown arrive in order: a later error (teardown) overrides a pass
        if report.when != "teardown" or status == "error":
            self.outcomes[report.nodeid] = (case, status, _message(report, status), where)

    def results(self) -> list:
        """One Result per item; a layer reached from two sources (the ini file and a decorated
        test, say) is named with its source, so that each keeps its own row."""
        from conformance.report import Result

        return [
            Result(self._row(layer, source), clause_id, device, status, message)
            for (layer, clause_id, device), status, message, (_, source) in self.outcomes.values()
        ]

    def row_origins(self) -> dict[str, str]:
        """Where each row's layer comes from (``module:attr``), keyed by the row's name."""
        return {
            self._row(layer, source): origin
            for (layer, _, _), _, _, (origin, source) in self.outcomes.values()
            if origin
        }

    def _row(self, layer: str, source: str) -> str:
        sources = {
            where[1] for (name, _, _), _, _, where in self.outcomes.values() if name == layer
        }
        return f"{layer} in {source}" if len(sources) > 1 and source else layer

    def pytest_terminal_summary(self, terminalreporter) -> None:
        if not self.outcomes:
            return
        from conformance.report import format_matrix

        terminalreporter.write_sep("=", "birnn conformance matrix")
        for line in format_matrix(self.results(), origins=self.row_origins()).splitlines():
            terminalreporter.write_line(line)


def header_lines(choice: Choice) -> list[str]:
    """Torch, the devices (with why one is skipped), CUDA/cuDNN/TF32 and the profile."""
    from conformance import device_support
    from conformance.running import describe_profile, session_profile, session_timeout

    lines = [f"birnn-conformance: {'; '.join(device_support.describe())}"]
    devices = []
    for device in choice.devices:
        reason = device_support.skip_reason(device)
        devices.append(device + (f" (skipped: {reason})" if reason else ""))
    lines.append(f"  devices: {', '.join(devices)}")
    lines.append(f"  profile: {describe_profile(choice.profile or session_profile())}")
    lines.append(f"  time limit: {describe_time_limit(session_timeout())}")
    for spec in choice.specs:
        kind = spec.kind or "none declared: C11 skipped" + (
            ", (h, c) state" if spec.has_cell_state else ", no cell state"
        )
        lines.append(f"  layer {spec.name}: {spec.origin} (kind {kind})")
    for model in choice.model_specs:
        lines.append(f"  model {model.name}: {model.origin} (M1-M3 in eval mode, {model.dtype})")
    if choice.clauses:
        lines.append(f"  clauses: {', '.join(choice.clauses)}")
    return lines


def describe_time_limit(seconds: float | None) -> str:
    """``10 s per call of the layer, 60 s per case and 20 examples``, or why there is none."""
    from conformance.time_limits import (
        CASE_FACTOR,
        EXAMPLES_PER_BUDGET,
        seconds_text,
        unavailable_reason,
    )

    if not seconds:
        return "none (--birnn-timeout 0)"
    reason = unavailable_reason()
    if reason is not None:
        return f"none ({reason})"
    return (
        f"{seconds_text(seconds)} per call of the layer, {seconds_text(seconds * CASE_FACTOR)} per "
        f"case and {EXAMPLES_PER_BUDGET} examples"
    )


def _status(report: pytest.TestReport) -> str | None:
    if report.when == "call":
        if hasattr(report, "wasxfail"):
            return "xfailed" if report.skipped else "xpassed"
        if report.failed and str(report.longrepr).startswith("[XPASS(strict)]"):
            return "xpassed"
        return report.outcome
    if report.failed:
        return "error"
    if report.skipped:
        return "xfailed" if hasattr(report, "wasxfail") else "skipped"
    return None


def _message(report: pytest.TestReport, status: str) -> str:
    if status == "skipped" and isinstance(report.longrepr, tuple):
        return str(report.longrepr[2]).removeprefix("Skipped: ")
    if status in ("failed", "error"):
        return report.longreprtext
    return ""
