"""Lint many files on every core, but only when there is enough work to pay for the pool.

The main process reads every file and runs the cheap text prefilter itself; only the files that
need parsing go to workers. The rules (and libcst) are imported once, before the pool forks, so
workers start with them loaded instead of importing them each. On Linux the pool uses ``fork``
(a few milliseconds per worker); elsewhere the platform default.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

# Below this many lines of files that need parsing, one process is faster than starting a pool
# (measured by bench/lint_speed.py --break-even; see bench/RESULTS.md).
MIN_LINES_FOR_POOL = 4000


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def worth_a_pool(jobs: int, line_counts: Sequence[int]) -> bool:
    return jobs > 1 and len(line_counts) > 1 and sum(line_counts) >= MIN_LINES_FOR_POOL


def _context():  # -> multiprocessing.context.BaseContext; imported only when a pool is used
    import multiprocessing

    if sys.platform.startswith("linux"):
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


def run_all(
    function: Callable[[Item], Result],
    items: Sequence[Item],
    *,
    jobs: int,
    sizes: Sequence[int],
    warm_up: Callable[[], None] | None = None,
) -> Iterator[Result]:
    """``function`` over ``items``, in a pool when ``worth_a_pool``; results in any order.

    Items go largest first so that one big file does not finish last alone.
    """
    if not worth_a_pool(jobs, sizes):
        for item in items:
            yield function(item)
        return
    if warm_up is not None:
        warm_up()
    order = sorted(range(len(items)), key=lambda index: -sizes[index])
    workers = min(jobs, len(items))
    with _context().Pool(workers) as pool:
        yield from pool.imap_unordered(function, [items[index] for index in order], chunksize=1)
