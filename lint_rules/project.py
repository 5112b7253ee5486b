"""Lint the files of a run as one project: index every module, then lint the ones rules need.

Pass 1 summarises every module with ``ast`` (fast, no libcst); pass 2 joins the summaries into
the facts each module gets from the others (``project_index_resolution``). Only the files the
text prefilter lets through are parsed with libcst and analysed, on every core when that pays.
The cache skips both passes' work for files (and facts) that have not changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from lint_rules.cache import Cache, digest
from lint_rules.engine import FileReport, Mode, Settings, SourceUnit, lint_unit
from lint_rules.parallel import run_all
from lint_rules.project_index import summarise
from lint_rules.project_index_resolution import NO_FACTS, build_index
from lint_rules.run_scripts import RunFlag

# Modules the rules skip are read for the index only up to this size: data and config code is
# small, and a generated module of megabytes would cost more to summarise than it can tell.
MAX_CONTEXT_CHARS = 1_000_000


def _lint_in_worker(job: tuple[int, SourceUnit, Settings, object]) -> tuple[int, FileReport]:
    index, unit, settings, facts = job
    return index, lint_unit(unit, settings, None if facts == NO_FACTS else facts)


def _warm_up() -> None:
    """Import libcst and the rules before forking, so that every worker starts with them."""
    import libcst  # noqa: F401

    import lint_rules.checker  # noqa: F401
    import lint_rules.rules  # noqa: F401


def lint_project(
    pending: Sequence[tuple[int, SourceUnit]],
    context: Sequence[SourceUnit],
    settings: Settings,
    *,
    jobs: int,
    cache_dir: Path | None = None,
    run_flags: Sequence[RunFlag] = (),
) -> dict[int, FileReport]:
    """Reports of the ``pending`` units (by their index); ``context`` units are the other
    modules of the linted roots, read for the index only (the prefilter cleared them);
    ``run_flags`` are what the roots' shell scripts pass to them (``run_scripts``)."""
    cacheable = settings.mode == Mode.REPORT
    cache = Cache(cache_dir if cacheable else None, settings)
    digests: dict[str, str] = {}
    summaries = []
    readable_context = [unit for unit in context if len(unit.text) <= MAX_CONTEXT_CHARS]
    for unit in [unit for _, unit in pending] + readable_context:
        text_digest = digests[unit.display] = digest(unit.text)
        summary = cache.summary(unit.display, text_digest)
        if summary is None:
            summary = summarise(unit.display, unit.text)
            cache.put_summary(unit.display, text_digest, summary)
        summaries.append(summary)
    index = build_index(summaries, run_flags)

    reports: dict[int, FileReport] = {}
    work = []
    for order, unit in pending:
        facts = index.facts_for(unit.display, unit.text)
        fingerprint = facts.fingerprint()
        cached = (
            None
            if unit.path is None
            else cache.report(unit.display, digests[unit.display], fingerprint)
        )
        if cached is not None:
            reports[order] = cached
        else:
            work.append((order, unit, settings, facts))
    fingerprints = {order: facts.fingerprint() for order, _, _, facts in work}
    units = {order: unit for order, unit, _, _ in work}
    sizes = [unit.text.count("\n") + 1 for _, unit, _, _ in work]
    for order, report in run_all(_lint_in_worker, work, jobs=jobs, sizes=sizes, warm_up=_warm_up):
        reports[order] = report
        unit = units[order]
        if unit.path is not None and not report.internal_error:
            cache.put_report(unit.display, digests[unit.display], fingerprints[order], report)
    cache.save()
    return reports
