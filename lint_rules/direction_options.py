"""Command-line options that can turn a flag on, though their default leaves it off.

``parser.add_argument("--bidir", action="store_true")`` declares a way to run the program
bidirectional: the project offers it, so code that is wrong with it is wrong, as with a
hyper-parameter grid that lists True. This module says how a declaration is switched on, spelled
as a user would type it (``--bidir``, ``--bi_rnn 1``, ``--bidirectional True``), or None when no
value it accepts is true (``choices=[0]``, a ``type=float``, an unknown action or type). Pass 2
counts it for direction flags only (``project_index_resolution``).
"""

from __future__ import annotations

import ast

from lint_rules.ast_names import dotted

_TRUE_TEXTS = frozenset(("true", "yes", "1", "y", "t"))
_SWITCHES = frozenset(("store_true", "BooleanOptionalAction"))


def is_direction_key(key: str) -> bool:
    """A setting whose name says it is the RNN's direction (``bidir``, ``bidirectional``)."""
    return "bidir" in key


def int_switch_default(keywords: dict[str, ast.expr]) -> bool | None:
    """``type=int, default=1`` (or ``choices=[0, 1]``): a switch spelled 0/1, on by default
    when 1; any other default or type, None."""
    default = keywords.get("default")
    if not isinstance(default, ast.Constant) or type(default.value) is not int:
        return None
    kind = keywords.get("type")
    if kind is not None and (dotted(kind) or "") != "int":
        return None
    return {0: False, 1: True}.get(default.value)


def switched_on(option: str, keywords: dict[str, ast.expr]) -> str | None:
    """How ``option`` (``--bidir``) is given on a command line to store a true value."""
    action = keywords.get("action")
    action_name = (dotted(action) or "").rsplit(".", 1)[-1] if action is not None else ""
    if isinstance(action, ast.Constant):
        action_name = str(action.value)
    if action_name in _SWITCHES:
        return option
    if action_name == "store_const":
        const = keywords.get("const")
        return option if isinstance(const, ast.Constant) and const.value is True else None
    if action_name not in ("", "store"):
        return None  # store_false, count, append, a custom action: not a plain switch
    choices = keywords.get("choices")
    if choices is not None:
        return _true_choice(option, choices)
    kind = keywords.get("type")
    if kind is None:
        # no type: any value given is a non-empty string, true to Python; counted only where
        # the default spells a boolean, so the option is meant as a switch
        default = keywords.get("default")
        return f"{option} True" if _is_boolean_default(default) else None
    name = (dotted(kind) or "").rsplit(".", 1)[-1].lower()
    if name == "int":
        return f"{option} 1"
    if "bool" in name or isinstance(kind, ast.Lambda) and _mentions_bool(kind):
        return f"{option} True"  # `type=bool`, `str2bool`, `lambda x: bool(strtobool(x))`
    if name in ("str", "eval", "literal_eval") and _is_boolean_default(keywords.get("default")):
        return f"{option} True"  # a boolean default: the value is spelled True or False
    return None


def _true_choice(option: str, choices: ast.expr) -> str | None:
    """The first true value a ``choices=[...]`` list offers."""
    if not isinstance(choices, (ast.List, ast.Tuple, ast.Set)):
        return None
    for item in choices.elts:
        if not isinstance(item, ast.Constant):
            continue
        value = item.value
        if value is True or (type(value) is int and value != 0):
            return f"{option} {value}"
        if isinstance(value, str) and value.strip().lower() in _TRUE_TEXTS:
            return f"{option} {value}"
    return None


def _is_boolean_default(default: ast.expr | None) -> bool:
    """``default=False`` or ``default="false"``: the option is a switch left off."""
    if not isinstance(default, ast.Constant):
        return False
    if isinstance(default.value, bool):
        return True
    return isinstance(default.value, str) and default.value.strip().lower() in (
        "false",
        "no",
        "0",
        "n",
        "f",
    )


def _mentions_bool(node: ast.AST) -> bool:
    return any(
        "bool" in (dotted(inner) or "").lower()
        for inner in ast.walk(node)
        if isinstance(inner, (ast.Name, ast.Attribute))
    )
