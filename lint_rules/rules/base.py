"""What a rule is: its identity, its documentation and examples, and a filter over the facts."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import libcst as cst

from lint_rules.events import Events
from lint_rules.values import Sym


@dataclass(frozen=True)
class RawFinding:
    """A finding before positions are known: the node to report and edits as (node, new text)."""

    node: Any
    message: str
    fix: tuple[tuple[Any, str], ...] = ()
    origin: str = ""  # the other module the finding rests on: "bidirectional=True from train.py:41"


@dataclass
class RuleContext:
    """What a rule gets: the analysis' events and a way to quote the source."""

    module: cst.Module
    events: Events
    source: str | None = None  # the module's text, for cheap "can this occur at all" checks

    def code(self, node: Any) -> str:
        return self.module.code_for_node(node).strip()


@dataclass(frozen=True)
class Rule:
    """A rule and its evidence, Fixit-style: code that must fire and code that must not."""

    code: str
    name: str
    summary: str
    message: str  # the template of the message, as the documentation shows it
    fixable: bool
    fix: str  # what the fix does, for the documentation ("" when there is none)
    wrong_examples: tuple[str, ...]
    right_examples: tuple[str, ...]
    check: Callable[[RuleContext], Iterable[RawFinding]]
    evidence: str = ""  # where real code met the pitfall, for the documentation
    model_check: str = ""  # the model-level clause that confirms a finding at runtime (M1-M3)
    notes: str = ""  # what else it finds, and what it reads from other modules, for the documentation


def doubled(node: Any, context: RuleContext, factor_name: str = "2") -> str:
    """``node`` times two as source text: ``1`` -> ``2``, ``h`` -> ``h * 2``, ``a + b`` ->
    ``(a + b) * 2``."""
    if isinstance(node, cst.Integer) and not node.lpar and factor_name == "2":
        try:
            return str(int(node.value.replace("_", ""), 0) * 2)
        except ValueError:
            pass
    text = context.code(node)
    simple = (cst.Name, cst.Attribute, cst.Integer, cst.Call, cst.Subscript)
    multiplicative = (cst.Multiply, cst.FloorDivide, cst.Divide, cst.Modulo, cst.Power)
    if not (
        isinstance(node, simple)
        or node.lpar
        or (isinstance(node, cst.BinaryOperation) and isinstance(node.operator, multiplicative))
    ):
        text = f"({text})"
    return f"{text} * {factor_name}"


def is_direction_count(size: Sym | None) -> bool:
    """2, ``num_directions``, ``2 if bidirectional else 1``."""
    if size is None:
        return False
    if size.int_value == 2 or size.key == ("directions",):
        return True
    if size.key[0] == "name":
        last = size.key[1].rsplit(".", 1)[-1].lower()
        return "direction" in last or last in ("n_dirs", "num_dirs", "dirs", "ndirs")
    return False
