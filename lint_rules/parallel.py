"""Run a lint's passes on every core, but only when there is enough work to pay for the pool.

One pool serves every pass of a run (the index's summaries, then the rules), so workers start
once. What every task needs (the files' texts, the settings) is handed to each worker when it
starts, not with every task: on Linux the pool forks (a few milliseconds per worker) and the
workers inherit it, so each file is read once, by the main process, and tasks are small. The
rules (and libcst) are imported before the fork, so workers start with them loaded.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

# Below this many lines of files to parse, one process is faster than starting a pool
# (measured by bench/lint_speed.py --break-even; see bench/RESULTS.md).
MIN_LINES_FOR_POOL = 4000

# Python's cycle collector runs every 700 new container objects, and parsing a file builds tens
# of thousands of nodes that are none of them garbage until the file is done: it ran about five
# times a file for nothing (4% of a lint's time), its full runs scanning every object alive. While
# files are linted the objects alive before (modules, the run's texts) are frozen out of its sight
# and it runs every ``_ALLOCATIONS_PER_COLLECTION`` objects instead; memory stays bounded (trees
# are freed by reference counting, and cycles are still collected).
_ALLOCATIONS_PER_COLLECTION = 20_000


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def worth_a_pool(jobs: int, line_counts: Sequence[int]) -> bool:
    return jobs > 1 and len(line_counts) > 1 and sum(line_counts) >= MIN_LINES_FOR_POOL


def _context() -> Any:  # a multiprocessing context; imported only when a pool is used
    import multiprocessing

    if sys.platform.startswith("linux"):
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


@contextmanager
def collector_tuned_for_parsing() -> Iterator[None]:
    """The cycle collector as described at ``_ALLOCATIONS_PER_COLLECTION``, restored after."""
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(_ALLOCATIONS_PER_COLLECTION, *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


_shared: Any = None  # in a worker: what the pool's owner handed it


def _start_worker(shared: Any) -> None:
    global _shared
    _shared = shared
    gc.freeze()  # what the worker inherited is long-lived, and scanning it dirties its pages
    gc.set_threshold(_ALLOCATIONS_PER_COLLECTION, *gc.get_threshold()[1:])


def _run_batch(task: tuple[Callable[[Any, Any], Any], list[Any]]) -> list[Any]:
    function, items = task
    return [function(_shared, item) for item in items]


def _batches(
    items: Iterable[Item], size: Callable[[Item], int], lines_per_batch: int
) -> Iterator[list[Item]]:
    """Consecutive items, about ``lines_per_batch`` lines a batch: each task costs the pool
    about a millisecond of the main process's time, more than summarising a small file."""
    batch: list[Item] = []
    lines = 0
    for item in items:
        batch.append(item)
        lines += size(item)
        if lines >= lines_per_batch:
            yield batch
            batch, lines = [], 0
    if batch:
        yield batch


class Workers:
    """The run's pool, started on the first pass that is worth one and kept for the later ones.

    A task function takes ``(shared, item)``; it runs in this process when no pool pays.
    Use as a context manager, so that the pool's processes end with the run.
    """

    def __init__(self, jobs: int, shared: Any, warm_up: Callable[[], None] | None = None) -> None:
        self.jobs = jobs
        self.shared = shared
        self.warm_up = warm_up
        self._pool: Any = None

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None

    def start_if_worth_it(self, expected_lines: Sequence[int]) -> None:
        """Start the pool now when the run's whole expected work pays for it."""
        if self._pool is None and worth_a_pool(self.jobs, expected_lines):
            if self.warm_up is not None:
                self.warm_up()
            self._pool = _context().Pool(
                min(self.jobs, len(expected_lines)),
                initializer=_start_worker,
                initargs=(self.shared,),
            )

    def run(
        self,
        function: Callable[[Any, Item], Result],
        items: Iterable[Item],
        size: Callable[[Item], int],
        lines_per_batch: int,
    ) -> Iterator[Result]:
        """``function`` over ``items``, in the pool when it runs or pays; results in any order.

        While the pool runs, ``items`` is consumed lazily (by the pool's feeder thread), so
        workers start on the first items while the rest are still being prepared. Give the
        largest items first, so that one big file does not finish last alone; items go to
        workers in batches of about ``lines_per_batch`` lines.
        """
        if self._pool is None:
            items = list(items)
            self.start_if_worth_it([size(item) for item in items])
        if self._pool is None:
            with collector_tuned_for_parsing():
                for item in items:
                    yield function(self.shared, item)
            return
        tasks = ((function, batch) for batch in _batches(items, size, lines_per_batch))
        # the results come back pickled: unpickling the index's summaries builds as many
        # containers, none garbage, as parsing does
        with collector_tuned_for_parsing():
            for results in self._pool.imap_unordered(_run_batch, tasks):
                yield from results
