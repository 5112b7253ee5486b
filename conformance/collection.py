"""The pytest items of ``--birnn-layer``, and what the plugin adds to the decorator's items.

The items hang off one synthetic collector, ``birnn-conformance``, so that they exist from any
directory (even one without test files), and their names are the cases' ids: declared names
only, identical on every machine and every xdist worker.
"""

from __future__ import annotations

import pytest

from conformance.decorator import marks
from conformance.engine import Case, cases
from conformance.options import Choice
from conformance.running import CaseCheck, describe, is_conformance_failure

SUITE_NAME = "birnn-conformance"
# Carried on report.user_properties so that the summary is right under xdist, where reports
# come from workers and nothing on the controller ran the items.
# birnn_source tells the same layer reached twice apart (the ini's birnn_layers and a decorated
# test): each gets its own row of the matrix.
CASE_PROPERTIES = ("birnn_layer", "birnn_clause", "birnn_device", "birnn_origin", "birnn_source")


class ConformanceSuite(pytest.Collector):
    """The parent of every --birnn-layer item; its node id is ``birnn-conformance``."""

    def __init__(self, *, choice: Choice, **kwargs) -> None:
        super().__init__(**kwargs)
        self.choice = choice

    def collect(self) -> list[ConformanceItem]:
        items = [
            ConformanceItem.from_parent(self, name=case.id, case=case, profile=self.choice.profile)
            for case in cases(self.choice.specs, self.choice.devices, self.choice.clauses)
        ]
        if self.choice.model_specs:  # --birnn-model: the same items, run by the model engine
            from conformance.models.engine import ModelCaseCheck, model_cases

            choice = self.choice
            for case in model_cases(choice.model_specs, choice.devices, choice.clauses):
                item = ConformanceItem.from_parent(
                    self, name=case.id, case=case, profile=choice.profile
                )
                item.check = ModelCaseCheck(case, choice.profile)
                items.append(item)
        return items


class ConformanceItem(pytest.Item):
    """One (layer, clause, device) case; a failure shows the clause's message, not our frames."""

    def __init__(self, *, case: Case, profile: str | None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.case = case
        self.check = CaseCheck(case, profile)
        for mark in marks(case):
            self.add_marker(mark)
        self.user_properties.extend(case_properties(case, SUITE_NAME))

    def runtest(self) -> None:
        __tracebackhide__ = True
        self.check()

    def repr_failure(self, excinfo, style=None):
        if is_conformance_failure(excinfo.value) and not wants_full_traceback(self.config):
            return describe(excinfo.value, self.case.clause_id)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self):
        return self.path, None, self.name


def conformance_items(session: pytest.Session, choice: Choice) -> list[ConformanceItem]:
    suite = ConformanceSuite.from_parent(session, name=SUITE_NAME, nodeid=SUITE_NAME, choice=choice)
    items = suite.collect()
    # what pytest's own collection would report, so that "collected N items" counts ours
    report = pytest.CollectReport(suite.nodeid, "passed", None, result=items)
    session.config.hook.pytest_collectreport(report=report)
    for item in items:
        session.config.hook.pytest_itemcollected(item=item)
    return items


def case_properties(case: Case, source: str) -> list[tuple[str, str]]:
    """``source``: the node id of what made the item, without its parameters."""
    values = (case.spec.name, case.clause_id, case.device, case.spec.origin or "", source)
    return list(zip(CASE_PROPERTIES, values))


def decorated_case(item: pytest.Item) -> Case | None:
    """The case of an item made by ``parametrize_with_checks``, if it is one."""
    callspec = getattr(item, "callspec", None)
    check = callspec.params.get("check") if callspec is not None else None
    return check.case if isinstance(check, CaseCheck) else None


def adopt_decorated_items(items: list[pytest.Item], choice: Choice, config: pytest.Config) -> None:
    """Tag the decorator's items for the summary; explicit --birnn-devices/--birnn-clauses filter them."""
    from conformance.engine import select_clauses

    wanted_clauses = set(select_clauses(choice.clauses)) if "clauses" in choice.explicit else None
    wanted_devices = set(choice.devices) if "devices" in choice.explicit else None
    kept, dropped = [], []
    for item in items:
        case = decorated_case(item)
        if case is not None:
            if (wanted_clauses is not None and case.clause_id not in wanted_clauses) or (
                wanted_devices is not None and case.device not in wanted_devices
            ):
                dropped.append(item)
                continue
            item.user_properties.extend(case_properties(case, item.nodeid.split("[")[0]))
        kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def shorten_failure(item: pytest.Item, report: pytest.TestReport, excinfo) -> None:
    """A decorated item's failure reads like a --birnn-layer one: the message, not the frames."""
    case = decorated_case(item)
    if case is None or excinfo is None or wants_full_traceback(item.config):
        return
    if report.failed and is_conformance_failure(excinfo.value):
        report.longrepr = describe(excinfo.value, case.clause_id)


def wants_full_traceback(config: pytest.Config) -> bool:
    return (
        bool(config.getoption("fulltrace", False)) or config.getoption("tbstyle", "auto") == "long"
    )
