"""The exceptions a check raises, and the message format every failure shares."""

from __future__ import annotations

from conformance.clauses import clause


class LayerContractError(Exception):
    """The layer did not behave like a layer at all: raised, returned the wrong type, NaN..."""


class ConformanceFailure(AssertionError):
    """A clause does not hold. The message names the clause, what differed, where, and a hint."""

    def __init__(self, clause_id: str, detail: str, *, hint: str | None = None) -> None:
        self.clause_id = clause_id
        self.detail = detail
        self.hint = hint
        self.context: list[str] = []
        super().__init__(self.render())

    def add_context(self, line: str) -> None:
        """Attach the drawn configuration or the repro snippet once the engine knows them."""
        self.context.append(line)
        self.args = (self.render(),)

    def render(self) -> str:
        found = clause(self.clause_id)
        lines = [f"{found.label}: {found.text}", f"  {self.detail}"]
        if self.hint:
            lines.append(f"  hint: {self.hint}")
        lines.extend(self.context)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.render()
