"""A tokenizer's padded batch that only a transformer's one-vector summary comes out of.

``tokens = tokenizer(texts, padding=True)``, ``outputs = bert(**tokens)`` and then
``outputs.last_hidden_state[:, 0]`` (the [CLS] vector) or ``outputs.pooler_output``: the padding
is the transformer's business (its attention mask goes with it), and what leaves the scope has
no time axis left, so no RNN can read that padding as steps. Such a call is not evidence that a
program feeds padded batches to its RNN. Anything else done with the tokens or the outputs
(returned, stored, handed to another function, its full ``last_hidden_state`` read) keeps the
padding as evidence.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence

_KEEPING = frozenset(("to", "cuda", "cpu"))  # tokens.to(device): the same batch
_SUMMARY_ATTRIBUTES = frozenset(("pooler_output",))
_SEQUENCE_ATTRIBUTES = frozenset(("last_hidden_state",))


def summarised_tokenizer_calls(nodes: Sequence[ast.AST]) -> set[int]:
    """ids of the tokenizer calls among ``nodes`` (one scope) whose padded batch only reaches
    calls whose outputs are read as one vector per text."""
    if not any(isinstance(node, ast.keyword) and node.arg == "padding" for node in nodes):
        return set()  # the common case, spared the walk below
    parents: dict[int, ast.AST] = {}
    loads: dict[str, list[ast.Name]] = {}
    bound: dict[str, int] = {}
    for node in nodes:
        for child in ast.iter_child_nodes(node):
            parents[id(child)] = node
        if isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Load):
                loads.setdefault(node.id, []).append(node)
            else:
                bound[node.id] = bound.get(node.id, 0) + 1
    found: set[int] = set()
    for node in nodes:
        if not isinstance(node, ast.Assign) or len(node.targets) != 1:
            continue
        target, padding_call = node.targets[0], _padding_call(node.value)
        if padding_call is None or not isinstance(target, ast.Name):
            continue
        if _only_summarised(target.id, loads, bound, parents):
            found.add(id(padding_call))
    return found


def _padding_call(value: ast.AST) -> ast.Call | None:
    """``tokenizer(..., padding=...)``, also followed by ``.to(device)``."""
    while (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Attribute)
        and value.func.attr in _KEEPING
    ):
        value = value.func.value
    if isinstance(value, ast.Call) and any(kw.arg == "padding" for kw in value.keywords):
        return value
    return None


def _only_summarised(name: str, loads, bound, parents, depth: int = 0) -> bool:
    """Every read of the tokens ``name`` feeds a call whose output is only summarised; a copy
    moved to a device (``tokens.to(device)``, ``{k: v.to(device) for k, v in tokens.items()}``)
    bound to a name is followed as the tokens themselves."""
    if bound.get(name, 0) != 1 or not loads.get(name) or depth > 2:
        return False
    for use in loads[name]:
        consumer = _consumer(use, parents)
        if consumer is not None:
            if not _output_summarised(consumer, loads, bound, parents):
                return False
            continue
        copy = _device_copy(use, parents)
        if copy is None or not _only_summarised(copy, loads, bound, parents, depth + 1):
            return False
    return True


def _consumer(use: ast.Name, parents) -> ast.Call | None:
    """The call the tokens go into: ``model(**tokens)``, ``model(tokens["input_ids"], ...)``,
    ``model(input_ids=tokens.input_ids)``."""
    parent = parents.get(id(use))
    if isinstance(parent, ast.keyword) and parent.arg is None:
        call = parents.get(id(parent))
        return call if isinstance(call, ast.Call) else None
    if isinstance(parent, (ast.Subscript, ast.Attribute)) and parent.value is use:
        holder = parents.get(id(parent))
        if isinstance(holder, ast.keyword):
            holder = parents.get(id(holder))
        if isinstance(holder, ast.Call) and holder.func is not parent:
            return holder
    return None


def _device_copy(use: ast.Name, parents) -> str | None:
    """The name bound to ``tokens.to(device)`` or to a dict comprehension over
    ``tokens.items()``."""
    node: ast.AST = use
    parent = parents.get(id(node))
    if isinstance(parent, ast.Attribute) and parent.attr in (*_KEEPING, "items"):
        call = parents.get(id(parent))
        if not isinstance(call, ast.Call):
            return None
        node = call
        if parent.attr == "items":
            generator = parents.get(id(call))
            comprehension = parents.get(id(generator))
            if not isinstance(generator, ast.comprehension) or not isinstance(
                comprehension, ast.DictComp
            ):
                return None
            node = comprehension
        assignment = parents.get(id(node))
        if (
            isinstance(assignment, ast.Assign)
            and assignment.value is node
            and len(assignment.targets) == 1
            and isinstance(assignment.targets[0], ast.Name)
        ):
            return assignment.targets[0].id
    return None


def _output_summarised(call: ast.Call, loads, bound, parents) -> bool:
    """The call's output is read as one vector per text only, directly or through the one
    name it is bound to."""
    parent = parents.get(id(call))
    if isinstance(parent, ast.Assign) and parent.value is call:
        if len(parent.targets) != 1 or not isinstance(parent.targets[0], ast.Name):
            return False
        name = parent.targets[0].id
        uses = loads.get(name, [])
        return (
            bound.get(name, 0) == 1
            and bool(uses)
            and all(_summary_read(use, parents) for use in uses)
        )
    return _summary_read(call, parents)


def _summary_read(node: ast.AST, parents) -> bool:
    """``out.pooler_output``, ``out.last_hidden_state[:, 0]`` or
    ``out.last_hidden_state.mean(dim=1)``: a transformer's output by the names its library gives
    them (tuple positions, ``out[0]``, ``out[1]``, could as well be an RNN's output and h_n)."""
    parent = parents.get(id(node))
    if isinstance(parent, ast.Attribute) and parent.attr in _SUMMARY_ATTRIBUTES:
        return True
    if isinstance(parent, ast.Attribute) and parent.attr in _SEQUENCE_ATTRIBUTES:
        return _first_step_or_mean(parent, parents)
    return False


def _first_step_or_mean(sequence: ast.AST, parents) -> bool:
    parent = parents.get(id(sequence))
    if isinstance(parent, ast.Subscript) and isinstance(parent.slice, ast.Tuple):
        items = parent.slice.elts
        return (
            len(items) >= 2
            and isinstance(items[0], ast.Slice)
            and items[0].lower is None
            and items[0].upper is None
            and _constant(items[1]) == 0
        )
    if isinstance(parent, ast.Attribute) and parent.attr == "mean":
        call = parents.get(id(parent))
        if isinstance(call, ast.Call):
            dims = [*call.args, *(kw.value for kw in call.keywords if kw.arg == "dim")]
            return len(dims) == 1 and _constant(dims[0]) == 1
    return False


def _constant(node: ast.AST) -> object:
    return node.value if isinstance(node, ast.Constant) else None
