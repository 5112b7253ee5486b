"""The linter's entry points for the engine: a cheap text test and the full check of a module.

``import libcst`` (and everything built on it) happens inside ``check_source`` only, so a run
over files that the text test rules out never pays for it.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from lint_rules.model import Edit, Finding, ParseFailure

# A rule can only fire where an RNN is built: by torch's classes (or getattr(nn, ...) with a
# `bidirectional` argument), a factory wrapping them, or a configured extra constructor.
_DEEP_ENOUGH = 10_000  # nesting depth the interpreter may recurse to (libcst parses deeper)
_MAY_HAVE_RNN = re.compile(r"LSTM|GRU|RNN|bidirectional|pack_padded_sequence")


# The text whose nesting pass 1 has checked already (``nesting_checked``), by identity: a fix's
# new text, or any other, is still checked here.
_nesting_checked_text: str | None = None


@contextmanager
def nesting_checked(text: str | None) -> Iterator[None]:
    """While linting ``text`` (None: nothing), skip the compile check for it: pass 1 of the
    project index parsed this very string within a margin of Python's nesting limit
    (``project_index.ModuleSummary.nesting_checked``), which implies what the check asks."""
    global _nesting_checked_text
    _nesting_checked_text = text
    try:
        yield
    finally:
        _nesting_checked_text = None


def might_have_findings(source: str, extra_constructors: Sequence[str] = ()) -> bool:
    """False only when no rule can fire on ``source`` (no RNN can be built in it)."""
    if _MAY_HAVE_RNN.search(source):
        return True
    return any(extra.rsplit(".", 1)[-1] in source for extra in extra_constructors if extra.strip())


def check_source(
    source: str,
    *,
    extra_constructors: Sequence[str] = (),
    select: Collection[str] | None = None,
    facts: Any = None,
) -> list[Finding]:
    """Findings of the selected rules (None: all) on ``source``, sorted by position and code.

    ``facts``: what the project index knows from the other modules (None: nothing)."""
    import libcst as cst

    from lint_rules.parsing import parse_module_in_order

    if source is not _nesting_checked_text:
        _refuse_what_python_cannot_nest(source)
    try:
        module, built = parse_module_in_order(source)
    except cst.ParserSyntaxError as error:
        raise _parse_failure(source, error) from None
    except (RecursionError, MemoryError) as error:
        raise ParseFailure(1, 1, f"cannot parse: {type(error).__name__}") from None

    from lint_rules.analysis import analyse
    from lint_rules.positions import LineIndex, node_spans
    from lint_rules.rules import ALL_RULES
    from lint_rules.rules.base import RuleContext

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, _DEEP_ENOUGH))
    try:
        from lint_rules.project_index_resolution import NO_FACTS

        events = analyse(module, extra_constructors, facts or NO_FACTS)
        context = RuleContext(module, events, source)
        raw = []
        for rule in ALL_RULES:
            if select is None or rule.code in select:
                raw.extend((rule.code, finding) for finding in rule.check(context))
        if not raw:
            return []
        wanted = [finding.node for _, finding in raw]
        wanted.extend(node for _, finding in raw for node, _ in finding.fix)
        spans = node_spans(module, wanted, source, built)
    except RecursionError:
        return []  # expressions nested thousands deep (generated code): nothing we can show
    finally:
        sys.setrecursionlimit(limit)
    lines = LineIndex(source)
    findings: dict[tuple[int, int, str], Finding] = {}
    for code, finding in raw:
        span = spans.get(id(finding.node))
        if span is None:
            continue
        line, column = lines.line_column(span[0])
        edits = tuple(
            Edit(spans[id(node)][0], spans[id(node)][1], text)
            for node, text in finding.fix
            if id(node) in spans
        )
        message = finding.message
        if finding.origin:
            message = f"{message} ({finding.origin})"
        findings.setdefault((line, column, code), Finding(code, line, column, message, edits))
    return [findings[key] for key in sorted(findings)]


def _refuse_what_python_cannot_nest(source: str) -> None:
    """Expressions nested thousands deep (``-`` * 10**5 + ``1``, a 5,000-term sum) make libcst's
    parser take minutes or overflow the C stack (a segfault no ``except`` can catch). Python's
    own compiler refuses them in milliseconds, and code it refuses cannot run anyway, so ask it
    first; compiling to bytecode costs a few percent of libcst's parse. Its other errors are
    left to libcst, which parses newer syntax than the running interpreter."""
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarning, DeprecationWarning: not ours to say
            compile(source, "<birnn-lint>", "exec", dont_inherit=True)
    except (RecursionError, MemoryError) as error:
        raise ParseFailure(
            1, 1, f"SyntaxError: too deeply nested for Python's parser ({type(error).__name__})"
        ) from None
    except (SyntaxError, ValueError):
        pass


def _parse_failure(source: str, error: Exception) -> ParseFailure:
    """Python's own message and position when it agrees the code is invalid; libcst's else."""
    import ast

    try:
        ast.parse(source)
    except SyntaxError as syntax_error:
        line = syntax_error.lineno or 1
        column = syntax_error.offset or 1
        return ParseFailure(line, max(column, 1), f"SyntaxError: {syntax_error.msg}")
    except (ValueError, RecursionError, MemoryError) as other:
        return ParseFailure(1, 1, f"cannot parse: {other}")
    line = getattr(error, "raw_line", 1) or 1
    column = (getattr(error, "raw_column", 0) or 0) + 1
    message = str(getattr(error, "message", error)).splitlines()[0]
    return ParseFailure(line, column, f"libcst cannot parse this file: {message}")
