"""Which rule codes a run reports: code prefixes as users write them, checked against the known codes.

The code table is kept here, without importing the rules, so that the command line can reject an
unknown code (exit 2) before anything heavy is imported.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

# The rules, as the specification fixes them; tests/lint/test_config.py checks this table
# against lint_rules.rules.ALL_RULES so that the two cannot drift apart.
RULE_NAMES: dict[str, str] = {
    "BRN001": "hidden-init-missing-directions",
    "BRN002": "output-size-not-doubled",
    "BRN003": "last-layer-state-misread",
    "BRN004": "last-step-output-as-summary",
    "BRN005": "padded-without-packing",
    "BRN006": "direction-split-order",
    "BRN007": "bidirectional-in-streaming",
    "BRN008": "non-contiguous-initial-state",
}
FIXABLE_CODES = frozenset({"BRN001", "BRN002", "BRN008"})

# Codes the linter itself reports about a file rather than about its model code.
UNUSED_NOQA = "BRN900"
INTERNAL_ERROR = "BRN999"
IO_ERROR = "E902"
SYNTAX_ERROR = "E999"
TOOL_CODE_NAMES: dict[str, str] = {
    UNUSED_NOQA: "unused-noqa",
    INTERNAL_ERROR: "internal-error",
    IO_ERROR: "io-error",
    SYNTAX_ERROR: "syntax-error",
}
TOOL_CODE_SUMMARIES: dict[str, str] = {
    UNUSED_NOQA: "A `# noqa: BRN...` comment names a code that reports nothing on its line.",
    INTERNAL_ERROR: "birnn-lint failed on this file; please report it with the file attached.",
    IO_ERROR: "The file could not be read or decoded.",
    SYNTAX_ERROR: "The file is not valid Python, so it was not linted.",
}

# Codes --select / --ignore accept: the rules and the opt-in unused-suppression report.
SELECTABLE_CODES: tuple[str, ...] = (*RULE_NAMES, UNUSED_NOQA)


class UnknownCodeError(ValueError):
    """A --select/--ignore entry that is neither a known code nor a prefix of one."""

    def __init__(self, code: str) -> None:
        self.code = code
        valid = ", ".join(SELECTABLE_CODES)
        super().__init__(
            f"unknown rule code or prefix {code!r}; valid codes: {valid} (or a prefix such as BRN)"
        )


def normalise_codes(entries: Iterable[str]) -> tuple[str, ...]:
    """Split comma lists, upper-case and validate each entry; ``ALL`` stands for every code."""
    codes: list[str] = []
    for entry in entries:
        for part in entry.split(","):
            code = part.strip().upper()
            if not code:
                continue
            if code != "ALL" and not any(known.startswith(code) for known in SELECTABLE_CODES):
                raise UnknownCodeError(part.strip())
            codes.append("" if code == "ALL" else code)
    return tuple(codes)


def _longest_match(code: str, prefixes: Collection[str]) -> int:
    return max((len(prefix) for prefix in prefixes if code.startswith(prefix)), default=-1)


@dataclass(frozen=True)
class Selection:
    """Selected and ignored prefixes; the more specific prefix wins, as in ruff.

    ``--select BRN --ignore BRN00`` keeps nothing of BRN00x, while ``--ignore BRN
    --select BRN001`` keeps BRN001. BRN900 is reported only when asked for by name or flag.
    """

    select: tuple[str, ...] = ("BRN0",)
    ignore: tuple[str, ...] = ()

    def enables(self, code: str) -> bool:
        selected = _longest_match(code, self.select)
        if code == UNUSED_NOQA and selected < len(UNUSED_NOQA):
            return False
        return selected >= 0 and selected > _longest_match(code, self.ignore)

    def enabled_codes(self, extra_ignore: Collection[str] = ()) -> frozenset[str]:
        """The selectable codes this selection reports, less those a per-file ignore removes."""
        return frozenset(
            code
            for code in SELECTABLE_CODES
            if self.enables(code) and _longest_match(code, extra_ignore) < 0
        )
