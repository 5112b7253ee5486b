"""The flags a project's own shell scripts pass to its Python scripts: facts, never linted.

``python train.py --bidirectional`` in ``run.sh`` says the program runs bidirectional even
though ``train.py``'s argparse default is False. Pass 1 reads ``*.sh`` / ``*.bash`` files under
the linted roots (one command per line, continuations joined, comments dropped, a variable the
script sets to one value expanded: ``bidir=1`` ... ``--bidir ${bidir}``) into ``RunFlag``
facts; pass 2 binds each to the option of the script the line runs, and only when that program
defines the option (a flag passed to a script that is not in the project, or that never
declares it, proves nothing).
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from lint_rules.discovery import ExcludeMatcher, walk
from lint_rules.project_index import bool_of_text

RUN_SCRIPT_SUFFIXES = (".sh", ".bash")
_PYTHON = re.compile(r"^(?:.*/)?python(?:3(?:\.\d+)?)?$")
_SEPARATORS = frozenset((";", "&&", "||", "|", "&"))
_SHELL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_REFERENCE = re.compile(r"^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))$")


@dataclass(frozen=True)
class RunFlag:
    """``--key value`` on ``line`` of the shell script ``path``, running ``script`` (a path as
    written, or ``module`` for ``python -m module``)."""

    path: str
    line: int
    script: str
    is_module: bool
    key: str
    value: bool


def find_run_scripts(directory: Path, matcher: ExcludeMatcher) -> Iterator[Path]:
    """The shell scripts under a linted directory, with the same excludes as its modules."""
    return walk(directory, matcher, RUN_SCRIPT_SUFFIXES)


def run_flags(path: str, text: str) -> list[RunFlag]:
    """Every boolean flag that a line of ``text`` passes to a Python script."""
    found: list[RunFlag] = []
    commands = [(line, _tokens(command)) for line, command in _commands(text)]
    values = _shell_values(tokens for _, tokens in commands if tokens is not None)
    for line, tokens in commands:
        if tokens is None:
            continue
        tokens = [_expanded(token, values) for token in tokens]
        start = 0
        for index, token in enumerate(tokens + [";"]):
            if token in _SEPARATORS or index == len(tokens):
                found.extend(_invocation(path, line, tokens[start:index]))
                start = index + 1
    return found


def _tokens(command: str) -> list[str] | None:
    try:
        lexer = shlex.shlex(command, posix=True, punctuation_chars=";&|")
        lexer.whitespace_split = True
        lexer.commenters = "#"
        return list(lexer)
    except ValueError:
        return None


def _shell_values(commands: Iterable[list[str]]) -> dict[str, str]:
    """Variables the script sets to one literal value and to nothing else (``bi_rnn=1``,
    ``export BIDIR=True``): ``--bi_rnn ${bi_rnn}`` passes that value. A variable set twice to
    different values, from another variable or a command, or looped over, is left alone."""
    seen: dict[str, set[str | None]] = {}
    for tokens in commands:
        for index, token in enumerate(tokens):
            if token == "for" and index + 1 < len(tokens):
                seen.setdefault(tokens[index + 1], set()).add(None)
            name, equals, value = token.partition("=")
            if equals and _SHELL_NAME.match(name) and (index == 0 or tokens[0] == "export"):
                literal = value if not any(mark in value for mark in "$`()") else None
                seen.setdefault(name, set()).add(literal)
    return {
        name: next(iter(found))
        for name, found in seen.items()
        if len(found) == 1 and None not in found
    }


def _expanded(token: str, values: dict[str, str]) -> str:
    """``$NAME`` or ``${NAME}`` alone in a token, replaced by the variable's one value."""
    match = _REFERENCE.match(token)
    if match is None:
        return token
    return values.get(match.group(1) or match.group(2), token)


def _commands(text: str) -> Iterator[tuple[int, str]]:
    """Logical lines: backslash continuations joined, numbered by their first line."""
    pending: list[str] = []
    first = 0
    for number, raw in enumerate(text.splitlines(), 1):
        if not pending:
            first = number
        if raw.rstrip().endswith("\\"):
            pending.append(raw.rstrip()[:-1])
            continue
        pending.append(raw)
        yield first, " ".join(pending)
        pending = []
    if pending:
        yield first, " ".join(pending)


def _invocation(path: str, line: int, tokens: list[str]) -> list[RunFlag]:
    """``[ENV=1] python[3] [-u] [-m module | script.py] --flag [value] ...``."""
    position = 0
    while position < len(tokens) and not _PYTHON.match(tokens[position]):
        position += 1
    position += 1
    script, is_module = None, False
    while position < len(tokens):
        token = tokens[position]
        position += 1
        if token == "-m" and position < len(tokens):
            script, is_module = tokens[position], True
            position += 1
            break
        if not token.startswith("-"):
            script = token if token.endswith(".py") else None
            break
    if script is None:
        return []
    found = []
    rest = tokens[position:]
    for index, token in enumerate(rest):
        if not token.startswith("--") or len(token) < 3:
            continue
        name, _, inline = token[2:].partition("=")
        following = rest[index + 1] if index + 1 < len(rest) else None
        value: bool | None
        if inline:
            value = bool_of_text(inline)
        elif following is None or following.startswith("-"):
            value = True  # a bare switch: `store_true`
        else:
            value = bool_of_text(following)
        if value is not None:
            key = name.replace("-", "_").lower()
            found.append(RunFlag(path, line, script, is_module, key, value))
    return found


def script_candidates(flag: RunFlag) -> list[str]:
    """Where the script a line runs may lie: next to the shell script, or under the root the
    script is run from (both normalised; the caller keeps the ones that exist)."""
    here = os.path.dirname(flag.path)
    return [os.path.normpath(os.path.join(here, flag.script)), os.path.normpath(flag.script)]


def is_run_script(path: Path) -> bool:
    return path.name.endswith(RUN_SCRIPT_SUFFIXES)


def read_run_flags(paths: Iterable[Path], display: Callable[[Path], str]) -> list[RunFlag]:
    """The run flags of the shell scripts ``paths`` (``display`` names a path as the findings
    do); an unreadable script tells nothing."""
    found: list[RunFlag] = []
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        found.extend(run_flags(display(path), text))
    return found
