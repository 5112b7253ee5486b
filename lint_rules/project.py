"""Lint the files of a run as one project: index every module, then lint the ones rules need.

Pass 1 summarises every module with ``ast`` (fast, no libcst); pass 2 joins the summaries into
the facts each module gets from the others (``project_index_resolution``). Only the files the
text prefilter lets through are parsed with libcst and analysed. Pass 1 and the rules run on
every core when that pays, in one pool started before pass 1, so the only serial work between
them is pass 2. The cache skips both passes' work for files (and facts) that have not changed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from lint_rules import checker
from lint_rules.cache import Cache, digest
from lint_rules.engine import FileReport, Mode, Settings, SourceUnit, lint_unit
from lint_rules.parallel import Workers
from lint_rules.project_index import ModuleSummary, summarise
from lint_rules.project_index_resolution import NO_FACTS, ModuleFacts, build_index
from lint_rules.run_scripts import RunFlag
from lint_rules.yaml_configs import read_config_file

# Modules the rules skip are read for the index only up to this size: data and config code is
# small, and a generated module of megabytes would cost more to summarise than it can tell.
MAX_CONTEXT_CHARS = 1_000_000

# Summarising a line with ``ast`` costs about a third of linting it (bench/RESULTS.md); this
# weighs pass 1's share when deciding whether the run's work pays for a pool.
_SUMMARY_SHARE = 3

# Files go to the pool's workers in batches of about this many lines (about a tenth of a second
# of linting): fewer tasks cost the main process less, smaller ones balance the cores' ends.
_LINES_PER_BATCH = 400

Shared = tuple[Sequence[SourceUnit], Settings]  # what every worker holds: the run's files


def _summarise_in_worker(shared: Shared, index: int) -> tuple[int, ModuleSummary]:
    units, _ = shared
    return index, summarise(units[index].display, units[index].text)


Job = tuple[int, ModuleFacts, bool]  # a unit's index, its facts, its nesting checked


def _lint_in_worker(shared: Shared, job: Job) -> tuple[int, FileReport]:
    units, settings = shared
    index, facts, nesting_checked = job
    unit = units[index]
    with checker.nesting_checked(unit.text if nesting_checked else None):
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
    units = [unit for _, unit in pending]
    units += [unit for unit in context if len(unit.text) <= MAX_CONTEXT_CHARS]
    digests = [digest(unit.text) for unit in units]
    lines = [unit.text.count("\n") + 1 for unit in units]
    summaries: list[ModuleSummary | None] = [
        cache.summary(unit.display, text_digest) for unit, text_digest in zip(units, digests)
    ]
    largest_first = sorted(range(len(units)), key=lambda position: -lines[position])
    to_summarise = [position for position in largest_first if summaries[position] is None]
    probably_linted = [
        position
        for position, (_, unit) in enumerate(pending)
        if unit.path is None or not cache.may_have_report(unit.display, digests[position])
    ]
    with Workers(jobs, (units, settings), warm_up=_warm_up) as workers:
        workers.start_if_worth_it(
            [lines[position] // _SUMMARY_SHARE for position in to_summarise]
            + [lines[position] for position in probably_linted]
        )
        for position, summary in workers.run(
            _summarise_in_worker,
            to_summarise,
            size=lines.__getitem__,
            lines_per_batch=_LINES_PER_BATCH * _SUMMARY_SHARE,
        ):
            summaries[position] = summary
            cache.put_summary(units[position].display, digests[position], summary)
        index = build_index(
            (summary for summary in summaries if summary is not None), run_flags, read_config_file
        )

        reports: dict[int, FileReport] = {}
        fingerprints: dict[int, str] = {}

        def work() -> Iterator[Job]:
            """What is left to lint once the cache has answered; lazily, so that the pool
            lints the first files while the facts of the others are worked out."""
            for position in largest_first:
                if position >= len(pending):
                    continue  # a context module: indexed, not linted
                order, unit = pending[position]
                facts = index.facts_for(unit.display, unit.text)
                fingerprints[position] = facts.fingerprint()
                cached = (
                    None
                    if unit.path is None
                    else cache.report(unit.display, digests[position], fingerprints[position])
                )
                if cached is not None:
                    reports[order] = cached
                else:
                    summary = summaries[position]
                    yield position, facts, summary is not None and summary.nesting_checked

        for position, report in workers.run(
            _lint_in_worker, work(), size=_size_of_job(lines), lines_per_batch=_LINES_PER_BATCH
        ):
            order, unit = pending[position]
            reports[order] = report
            if unit.path is not None and not report.internal_error:
                cache.put_report(unit.display, digests[position], fingerprints[position], report)
    cache.save()
    return reports


def _size_of_job(lines: Sequence[int]) -> Callable[[Job], int]:
    return lambda job: lines[job[0]]
