"""The pytest plugin (entry point ``birnn_conformance``): the hooks, and nothing else.

Loaded into every pytest session of an environment where the package is installed, so it
imports nothing heavy: torch and hypothesis come in only when a session asks for the suite
(``--birnn-layer``, the ini file, or a test module using ``parametrize_with_checks``).
The logic lives in ``options`` (what was asked), ``collection`` (the items) and ``summary``
(header and conformance matrix).
"""

from __future__ import annotations

import sys

import pytest

from conformance import options
from conformance.summary import ConformanceSummary, header_lines

CHOICE = pytest.StashKey[options.Choice]()


def pytest_addoption(parser: pytest.Parser) -> None:
    options.add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "xdist_group(name): keep items on one pytest-xdist worker")
    choice = options.read_choice(config)
    if choice.references:
        options.resolve_layers(choice, config)  # imports torch; a bad value is a usage error
    if choice.model_references:
        from conformance.models.loader import resolve_models

        search_paths = [config.invocation_params.dir, config.rootpath]
        choice.model_specs = resolve_models(choice.model_references, search_paths)
    if choice.only_conformance:
        config.args = []  # `pytest --birnn-layer X` with no paths runs only the conformance suite
    if choice.used:
        from conformance import running

        running.push_session_profile(choice.profile or running.session_profile())
        running.push_session_timeout(choice.timeout)
    config.stash[CHOICE] = choice  # only now: unconfigure pops the profile when it finds a choice
    config.pluginmanager.register(ConformanceSummary(), "birnn-conformance-summary")


def pytest_unconfigure(config: pytest.Config) -> None:
    choice = config.stash.get(CHOICE, None)
    if choice is not None and choice.used:
        from conformance import running

        running.pop_session_profile()
        running.pop_session_timeout()


def pytest_report_header(config: pytest.Config) -> list[str] | None:
    choice = config.stash.get(CHOICE, None)
    return header_lines(choice) if choice is not None and choice.used else None


@pytest.hookimpl(tryfirst=True)  # before -k/-m deselect, so that they see our items
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items) -> None:
    choice = config.stash[CHOICE]
    if choice.specs or choice.model_specs:
        from conformance.collection import conformance_items

        items.extend(conformance_items(session, choice))
    if "conformance.running" in sys.modules:  # some test module used parametrize_with_checks
        from conformance.collection import adopt_decorated_items

        adopt_decorated_items(items, choice, config)


@pytest.hookimpl(hookwrapper=True)  # old-style wrapper: works with every pluggy pytest 7.4 allows
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    if report.failed and call.excinfo is not None and "conformance.running" in sys.modules:
        from conformance.collection import shorten_failure

        shorten_failure(item, report, call.excinfo)
