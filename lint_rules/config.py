"""``[tool.birnn-lint]`` in pyproject.toml: found from the linted files upward, validated strictly.

A misspelt key is an error (exit 2), not a silently ignored setting: a linter whose configuration
quietly does nothing is worse than none.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

from lint_rules.selection import normalise_codes

TABLE = "birnn-lint"
KNOWN_KEYS = (
    "select",
    "ignore",
    "extend-select",
    "exclude",
    "extend-exclude",
    "per-file-ignores",
    "extra-constructors",
    "report-unused-noqa",
)


class ConfigError(ValueError):
    """An unreadable or invalid configuration; the command line turns it into exit 2."""


@dataclass(frozen=True)
class FileConfig:
    """What one ``[tool.birnn-lint]`` table says; ``root`` anchors its relative patterns."""

    root: Path
    source: Path | None = None
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    exclude: tuple[str, ...] | None = None
    extend_exclude: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    extra_constructors: tuple[str, ...] = ()
    report_unused_noqa: bool = False


def find_pyproject(start_paths: Sequence[str | os.PathLike[str]]) -> Path | None:
    """The nearest pyproject.toml with a ``[tool.birnn-lint]`` table, from the paths' common
    directory upward (the current directory when there are none); one without the table is
    skipped, as ruff does, so a monorepo's top-level settings still apply."""
    directories = [_resolved(Path(p)) for p in start_paths] or [Path.cwd()]
    directories = [p if p.is_dir() else p.parent for p in directories]
    try:
        start = Path(os.path.commonpath([str(d) for d in directories]))
    except ValueError:  # paths on different drives
        start = directories[0]
    for directory in (start, *start.parents):
        candidate = directory / "pyproject.toml"
        if candidate.is_file() and TABLE in _read_toml(candidate).get("tool", {}):
            return candidate
    return None


def _resolved(path: Path) -> Path:
    """The path with symlinks resolved; a symlink loop (RuntimeError in Python 3.11, OSError
    later) is left unresolved, so that reading the file reports it as that file's error."""
    try:
        return path.resolve()
    except (RuntimeError, OSError):
        return Path(os.path.abspath(path))


def _read_toml(path: Path) -> dict:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror or error}") from error
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: {error}") from error


def _string_list(path: Path, key: str, value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise ConfigError(f"{path}: [tool.{TABLE}] {key} must be a list of strings")


def load_config(path: Path | None, *, explicit: bool = False) -> FileConfig:
    """Read and validate a configuration file; ``None`` gives the defaults rooted at the cwd.

    With ``explicit`` (``--config PATH``) the file may be a pyproject.toml or a plain TOML file
    holding the table's keys at top level.
    """
    if path is None:
        return FileConfig(root=Path.cwd())
    document = _read_toml(path)
    if TABLE in document.get("tool", {}):
        table = document["tool"][TABLE]
    elif explicit and path.name != "pyproject.toml":
        table = document
    else:
        raise ConfigError(f"{path}: no [tool.{TABLE}] table")
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.{TABLE}] must be a table")
    unknown = sorted(set(table) - set(KNOWN_KEYS))
    if unknown:
        raise ConfigError(
            f"{path}: unknown key(s) in [tool.{TABLE}]: {', '.join(unknown)}; "
            f"valid keys: {', '.join(KNOWN_KEYS)}"
        )
    try:
        per_file = table.get("per-file-ignores", {})
        if not isinstance(per_file, dict):
            raise ConfigError(f"{path}: [tool.{TABLE}] per-file-ignores must be a table")
        report_unused = table.get("report-unused-noqa", False)
        if not isinstance(report_unused, bool):
            raise ConfigError(f"{path}: [tool.{TABLE}] report-unused-noqa must be true or false")
        return FileConfig(
            root=path.parent,
            source=path,
            select=(
                normalise_codes(_string_list(path, "select", table["select"]))
                if "select" in table
                else None
            ),
            ignore=normalise_codes(_string_list(path, "ignore", table.get("ignore", []))),
            extend_select=normalise_codes(
                _string_list(path, "extend-select", table.get("extend-select", []))
            ),
            exclude=(
                _string_list(path, "exclude", table["exclude"]) if "exclude" in table else None
            ),
            extend_exclude=_string_list(path, "extend-exclude", table.get("extend-exclude", [])),
            per_file_ignores=tuple(
                (pattern, normalise_codes(_string_list(path, f"per-file-ignores.{pattern}", codes)))
                for pattern, codes in per_file.items()
            ),
            extra_constructors=_string_list(
                path, "extra-constructors", table.get("extra-constructors", [])
            ),
            report_unused_noqa=report_unused,
        )
    except ValueError as error:  # an unknown code, reported with the file it came from
        if isinstance(error, ConfigError):
            raise
        raise ConfigError(f"{path}: {error}") from error
