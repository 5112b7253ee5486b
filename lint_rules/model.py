"""The values that travel between the analysis, the rules, the engine and the output formats."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Edit:
    """Replace ``source[start:end]`` (character offsets) with ``replacement``."""

    start: int
    end: int
    replacement: str


@dataclass(frozen=True)
class Finding:
    """One reported problem. ``line`` and ``column`` are 1-based in every output format."""

    code: str
    line: int
    column: int
    message: str
    fix: tuple[Edit, ...] = ()


@dataclass(frozen=True)
class ParseFailure(Exception):
    """A file that is not valid Python; positions are 1-based, as Python reports them."""

    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.line}:{self.column}: {self.message}"
