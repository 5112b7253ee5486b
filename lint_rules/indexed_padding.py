"""Sequence padding written one position at a time, the forms ``hand_padding`` reads in loops:

- a buffer allocated at a length the loop stops at, filled token by token from a sequence:
  ``ids = np.zeros([limit])``, ``for i, w in enumerate(tokens): if i >= limit: break;
  ids[i] = word2id[w]`` (or ``enumerate(tokens[:limit])``). The stop at the buffer's own length
  says the sequence may be longer or shorter than the buffer: shorter, the rest stays zero,
  which is padding whatever the length is named (``sent_limit``, ``max_len``, ``n_steps``);
- each position of a fixed length copied from the sequence while it lasts and given a pad value
  after its end: ``if i < len(seq): out.append(seq[i]) else: out.append(pad)``, the same with
  ``out[i] = ...`` on both sides, or ``seq[i] if i < len(seq) else PAD``.

Not padding: a loop that fills a buffer with no stop at its length (the buffer is as long as
the data), one whose value does not come from the loop's element (a counter, a canvas), and a
guarded copy whose other side is not a pad value (``else: out.append(seq[-1])`` repeats the
last frame).
"""

from __future__ import annotations

import ast
from collections.abc import Callable

from lint_rules.allocations import allocation_call
from lint_rules.ast_names import dotted, last_name, subscript_indices

Test = Callable[[ast.AST], bool]


def allocated_sizes(assignments: list[ast.Assign]) -> dict[str, set[str]]:
    """For each name bound to an allocation (``np.zeros([limit])``, ``torch.zeros(1, n, 4)``,
    ``np.full((n,), pad)``), the dumps of its sizes that are names or attributes."""
    found: dict[str, set[str]] = {}
    for node in assignments:
        value = allocation_call(node.value)  # `.astype(int)`, `np.ones(n) * pad`
        if value is None:
            continue
        given = value.args[:1] if last_name(value.func) in ("full", "new_full") else value.args
        given += [k.value for k in value.keywords if k.arg in ("shape", "size")]
        sizes = {
            ast.dump(item)
            for size in given
            for item in (size.elts if isinstance(size, (ast.Tuple, ast.List)) else [size])
            if isinstance(item, (ast.Name, ast.Attribute))
        }
        for target in node.targets:
            name = dotted(target)
            if name and sizes:
                found[name] = sizes
    return found


def capped_fill(loop: ast.For, allocations: dict[str, set[str]]) -> str | None:
    """``for i, tok in enumerate(seq)`` that stops at a buffer's length (``if i >= limit:
    break`` first in its body, or ``enumerate(seq[:limit])``) and writes ``buf[..., i, ...]``
    from ``tok``, ``buf`` allocated ``limit`` long: a sequence copied into a fixed-length
    buffer, padded where it ends first."""
    target, iterator = loop.target, loop.iter
    if not (
        isinstance(target, ast.Tuple)
        and len(target.elts) == 2
        and all(isinstance(item, ast.Name) for item in target.elts)
        and isinstance(iterator, ast.Call)
        and isinstance(iterator.func, ast.Name)
        and iterator.func.id == "enumerate"
        and len(iterator.args) == 1
        and not loop.orelse
    ):
        return None
    index, element = (item.id for item in target.elts)  # type: ignore[attr-defined]
    limit = _sliced_limit(iterator.args[0]) or _stop_at(loop.body, index)
    if limit is None:
        return None
    writes = (node for statement in loop.body for node in ast.walk(statement))
    for statement in writes:
        if not isinstance(statement, ast.Assign) or len(statement.targets) != 1:
            continue
        written = statement.targets[0]
        if not isinstance(written, ast.Subscript):
            continue
        indices, base = subscript_indices(written)
        name = dotted(base)
        if (
            name in allocations
            and ast.dump(limit) in allocations[name]
            and any(isinstance(item, ast.Name) and item.id == index for item in indices)
            and _reads(statement.value, element)
        ):
            return (
                f"`{name}`, allocated `{ast.unparse(limit)}` long and filled token by token "
                "up to the sequence's end"
            )
    return None


def guarded_copy(node: ast.If | ast.IfExp, is_length: Test, is_pad: Test) -> str | None:
    """``if i < len(seq): out.append(seq[i]) else: out.append(PAD)`` (also ``out[i] = ...``
    on both sides, and ``seq[i] if i < len(seq) else PAD``): a position past the sequence's end
    given a pad value."""
    index = _index_below_length(node.test, is_length)
    if index is None:
        return None
    if isinstance(node, ast.IfExp):
        if _indexed_by(node.body, index) and is_pad(node.orelse):
            return "`seq[i] if i < len(seq) else PAD`"
        return None
    if len(node.body) != 1 or len(node.orelse) != 1:
        return None
    copied, padded = _write(node.body[0]), _write(node.orelse[0])
    if copied is None or padded is None or copied[0] != padded[0]:
        return None
    if _indexed_by(copied[1], index) and is_pad(padded[1]):
        if copied[0].startswith("append"):
            return "`if i < len(seq): out.append(seq[i]) else: out.append(PAD)`"
        return "`if i < len(seq): out[i] = seq[i] else: out[i] = PAD`"
    return None


def _index_below_length(test: ast.AST, is_length: Test) -> str | None:
    """``i`` of ``i < len(seq)``, ``i < n`` with ``n`` a length, or ``len(seq) > i``."""
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1):
        return None
    left, op, right = test.left, test.ops[0], test.comparators[0]
    if isinstance(op, ast.Gt):
        left, right = right, left
    elif not isinstance(op, ast.Lt):
        return None
    if isinstance(left, ast.Name) and is_length(right):
        return left.id
    return None


def _write(statement: ast.stmt) -> tuple[str, ast.AST] | None:
    """(what is written, the value) for ``out.append(value)`` or ``out[...] = value``."""
    if isinstance(statement, ast.Expr):
        call = statement.value
        if (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Attribute)
            and call.func.attr == "append"
            and len(call.args) == 1
            and not call.keywords
        ):
            return "append " + ast.dump(call.func.value), call.args[0]
    if (
        isinstance(statement, ast.Assign)
        and len(statement.targets) == 1
        and isinstance(statement.targets[0], ast.Subscript)
    ):
        return "store " + ast.dump(statement.targets[0]), statement.value
    return None


def _indexed_by(value: ast.AST, index: str) -> bool:
    """The value reads an element at ``index``: ``seq[i]``, ``vocab[words[i]]``."""
    return any(
        isinstance(part, ast.Subscript)
        and isinstance(part.slice, ast.Name)
        and part.slice.id == index
        for part in ast.walk(value)
    )


def _sliced_limit(sequence: ast.AST) -> ast.AST | None:
    """``limit`` of ``seq[:limit]``."""
    if isinstance(sequence, ast.Subscript) and isinstance(sequence.slice, ast.Slice):
        bounds = sequence.slice
        if bounds.lower is None and bounds.step is None and bounds.upper is not None:
            if isinstance(bounds.upper, (ast.Name, ast.Attribute)):
                return bounds.upper
    return None


def _stop_at(body: list[ast.stmt], index: str) -> ast.AST | None:
    """``limit`` of ``if i >= limit: break`` (or ``i == limit``, ``limit <= i``) as the loop's
    first statement."""
    first = body[0] if body else None
    if not (
        isinstance(first, ast.If)
        and len(first.body) == 1
        and isinstance(first.body[0], ast.Break)
        and not first.orelse
    ):
        return None
    test = first.test
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1):
        return None
    left, op, right = test.left, test.ops[0], test.comparators[0]
    if isinstance(op, ast.LtE):
        left, right = right, left
    elif not isinstance(op, (ast.GtE, ast.Eq)):
        return None
    if isinstance(left, ast.Name) and left.id == index:
        if isinstance(right, (ast.Name, ast.Attribute)):
            return right
    return None


def _reads(value: ast.AST, name: str) -> bool:
    return any(isinstance(part, ast.Name) and part.id == name for part in ast.walk(value))
