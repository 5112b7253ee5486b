"""Guards on the direction flag: what a condition says about bidirectionality in each branch.

``if self.bidirectional:`` makes its body bidirectional and its ``else`` unidirectional, so code
written correctly for each case stays quiet. A condition that is not about the direction gives
(None, None).
"""

from __future__ import annotations

from typing import Any

import libcst as cst

from lint_rules.cst_names import literal_int
from lint_rules.imports import dotted_name
from lint_rules.values import Tri

Polarity = tuple[Tri, Tri]  # (bidirectional when true, bidirectional when false)
NOT_A_GUARD: Polarity = (None, None)

_MORE_THAN_ONE = {
    cst.Equal: lambda n: n == 2,
    cst.GreaterThan: lambda n: n >= 1,
    cst.GreaterThanEqual: lambda n: n >= 2,
    cst.NotEqual: lambda n: n == 1,
}
_EXACTLY_ONE = {
    cst.Equal: lambda n: n == 1,
    cst.LessThan: lambda n: n <= 2,
    cst.LessThanEqual: lambda n: n == 1,
    cst.NotEqual: lambda n: n == 2,
}


def _last_name(node: Any) -> str | None:
    dotted = dotted_name(node)
    return dotted.rsplit(".", 1)[-1].lower() if dotted else None


def is_direction_flag(name: str) -> bool:
    return "bidir" in name or name in ("bi", "is_bi", "use_bi", "birnn")


def is_direction_count(name: str) -> bool:
    return "direction" in name and "bidir" not in name or name in ("n_dirs", "num_dirs", "dirs")


def polarity(test: Any) -> Polarity:
    """What ``test`` being true / false says about the direction (None: nothing)."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        when_true, when_false = polarity(test.expression)
        return when_false, when_true
    if isinstance(test, cst.BooleanOperation):
        left, right = polarity(test.left), polarity(test.right)
        if isinstance(test.operator, cst.And):
            return (left[0] if left[0] is not None else right[0]), None
        return None, (left[1] if left[1] is not None else right[1])
    if isinstance(test, (cst.Name, cst.Attribute)):
        name = _last_name(test)
        if name is not None and is_direction_flag(name):
            return True, False
        return NOT_A_GUARD
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        return _comparison_polarity(test)
    return NOT_A_GUARD


def _comparison_polarity(test: cst.Comparison) -> Polarity:
    target = test.comparisons[0]
    name = _last_name(test.left)
    if name is None:
        return NOT_A_GUARD
    operator = type(target.operator)
    if is_direction_flag(name) and isinstance(target.comparator, cst.Name):
        value = target.comparator.value
        if value not in ("True", "False"):
            return NOT_A_GUARD
        positive = (value == "True") == (operator in (cst.Is, cst.Equal))
        return (True, False) if positive else (False, True)
    number = literal_int(target.comparator)
    if number is None or not is_direction_count(name):
        return NOT_A_GUARD
    if operator in _MORE_THAN_ONE and _MORE_THAN_ONE[operator](number):
        return True, False
    if operator in _EXACTLY_ONE and _EXACTLY_ONE[operator](number):
        return False, True
    return NOT_A_GUARD
