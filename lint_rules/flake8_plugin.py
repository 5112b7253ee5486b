"""flake8 plugin: the BRN rules inside an existing flake8 run (``pip install birnn-conformance[flake8]``).

flake8 applies its own ``--select``, ``--extend-ignore`` and ``# noqa`` handling, so this class only
runs the rules. flake8 counts columns from 0, so every column is the 1-based one minus one.
Extra RNN constructors come from ``[tool.birnn-lint]`` in the nearest pyproject.toml.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import lru_cache
from pathlib import Path

from lint_rules import __version__
from lint_rules.model import ParseFailure
from lint_rules.selection import RULE_NAMES


@lru_cache(maxsize=64)
def _extra_constructors(directory: str) -> tuple[str, ...]:
    from lint_rules.config import ConfigError, find_pyproject, load_config

    try:
        return load_config(find_pyproject([directory])).extra_constructors
    except ConfigError:
        return ()


class BirnnFlake8Checker:
    """Registered under the ``flake8.extension`` entry point ``BRN``.

    flake8 tells plugin types apart by the constructor's first parameter: ``tree`` makes this an
    AST plugin (any other first name stops every flake8 run). The rules parse with libcst, so the
    ``ast`` tree goes unused and the source comes from ``lines``, which flake8 also passes by name.
    """

    name = "birnn-lint"
    version = __version__

    def __init__(self, tree: object, lines: Sequence[str], filename: str = "-") -> None:
        self.lines = lines
        self.filename = filename

    def run(self) -> Iterator[tuple[int, int, str, type]]:
        source = "".join(self.lines)
        if source.startswith("\ufeff"):
            source = source[1:]
        directory = str(Path(self.filename).parent) if self.filename not in ("-", "stdin") else "."
        extra = _extra_constructors(directory)
        from lint_rules import checker

        if not checker.might_have_findings(source, extra):
            return
        try:
            findings = checker.check_source(
                source, extra_constructors=extra, select=frozenset(RULE_NAMES)
            )
        except ParseFailure:
            return  # flake8 reports E999 itself
        for finding in findings:
            yield finding.line, finding.column - 1, f"{finding.code} {finding.message}", type(self)
