"""Sequence padding written by hand, read one scope at a time (a function, or a module's own
statements): the forms need the scope's assignments, which one node does not show.

Three forms, each one that only sequence padding takes:

- a batch preallocated to a maximum length (``torch.zeros(len(seqs), max_len)``, ``np.full``,
  ``torch.LongTensor(B, max_len).fill_(pad)``) and filled one sequence at a time up to that
  sequence's length: ``padded[i, :len(seq)] = seq``, ``padded[i][:lengths[i]] = ...``;
- a pad value written into an element of a 2-D batch: ``batch.data[i][j] = padding_id``;
- a list padded in front, ``[PAD] * (max_len - len(seq)) + seq``, or behind through a length
  bound to a name (``n = len(seq)``; ``seq + [PAD] * (max_len - n)``);
- a pad width, or a filler block's size, that is a target length minus the current length:
  ``np.pad(x, ((0, 0), (0, max_frames - x.shape[1])))``, ``F.pad(x, (0, max_len - len(x)))``,
  ``np.concatenate([x, np.zeros((max_len - x.shape[0], dim))])``, directly or through a name
  (``pad = max_len - x.shape[1]``).

Not padding: constant pad widths (a convolution's spatial padding, an image border), and a width
that is one tensor's size minus another's (a U-Net aligning feature maps): the target must be a
length, not another tensor's measure.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator

from lint_rules.ast_names import dotted

# A pad token: `pad`, `PAD`, `pad_id`, `padding_id`, `pad_idx`, `pad_ix`, `PAD_TOKEN`, `padId`;
# not `padding_value`, which fills missing cells of a table as readily as a batch's tail.
PAD_NAME = re.compile(r"^_?(pad|padding)(_?(id|idx|ix|index|token|tok|word|symbol))?$", re.I)
# Per-sequence lengths: `len(seq)` or a name such as `length`, `lengths[i]`, `seq_len`.
LENGTH_NAME = re.compile(r"len", re.I)
# A maximum length: `max_len`, `max_length`, `maxlen`, `self.max_frames`, `max(lengths)`.
MAX_NAME = re.compile(r"max", re.I)
_ALLOCATORS = frozenset(
    ("zeros", "ones", "full", "empty", "new_zeros", "new_full", "new_ones")
    + ("Tensor", "LongTensor", "FloatTensor", "IntTensor")
)
_PADDERS = frozenset(("np.pad", "numpy.pad", "F.pad", "functional.pad", "nn.functional.pad"))
_PADDERS |= frozenset(("torch.nn.functional.pad",))


def scope_padding(nodes: Iterable[ast.AST]) -> Iterator[tuple[int, str]]:
    """(line, evidence) for each hand-written padding among one scope's nodes."""
    nodes = list(nodes)
    assignments = [node for node in nodes if isinstance(node, ast.Assign)]
    measures = _names_bound(assignments, lambda value: _is_measure(value, set()))
    deficits = _names_bound(assignments, lambda value: _is_deficit(value, measures))
    batches = {
        dotted(target)
        for node in assignments
        if _max_length_allocation(node.value)
        for target in node.targets
    } - {None}
    for node in nodes:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                evidence = _batch_write(target, node.value, batches)
                if evidence:
                    yield node.lineno, evidence
                    break
        elif isinstance(node, ast.Call):
            evidence = _deficit_call(node, deficits, measures)
            if evidence:
                yield node.lineno, evidence
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            evidence = _list_padding(node, measures)
            if evidence:
                yield node.lineno, evidence


def pads_to_a_length(widths: str) -> bool:
    """Whether pad widths (an expression's source) are a target length minus the current one,
    written out: ``(0, 0, 0, self.max_len - x.size(1))``."""
    try:
        expression = ast.parse(widths.strip(), mode="eval")
    except SyntaxError:
        return False
    return _mentions_deficit(expression, set(), set())


def _batch_write(target: ast.AST, value: ast.AST, batches: set[str | None]) -> str | None:
    """A sequence written into its row of a max-length batch up to its own length, or a pad
    value written into an element of a 2-D batch."""
    if not isinstance(target, ast.Subscript):
        return None
    indices, base = _indices(target)
    if len(indices) < 2:
        return None
    last = indices[-1]
    if (
        isinstance(last, ast.Slice)
        and last.lower is None
        and last.upper is not None
        and _is_length(last.upper)
        and dotted(base) in batches
    ):
        return (
            f"`{dotted(base)}`, allocated to a maximum length and filled per sequence up to "
            "its length"
        )
    pad = _last_name(value) or ""
    if PAD_NAME.match(pad):
        return f"`{pad}` written into the elements of a 2-D batch"
    return None


def _indices(target: ast.Subscript) -> tuple[list[ast.AST], ast.AST]:
    """The indices of ``x[i][j]`` or ``x[i, j]`` in order, and ``x`` (``.data`` dropped)."""
    indices: list[ast.AST] = []
    node: ast.AST = target
    while isinstance(node, ast.Subscript):
        index = node.slice
        indices[:0] = index.elts if isinstance(index, ast.Tuple) else [index]
        node = node.value
    if isinstance(node, ast.Attribute) and node.attr == "data":
        node = node.value
    return indices, node


def _names_bound(assignments: list[ast.Assign], test) -> set[str]:
    return {
        target.id
        for node in assignments
        if test(node.value)
        for target in node.targets
        if isinstance(target, ast.Name)
    }


def _list_padding(node: ast.BinOp, measures: set[str]) -> str | None:
    """``[PAD] * (max_len - len(seq)) + seq`` (padding in front), and ``seq + [PAD] * (max_len -
    n)`` with the length bound to a name (``n = len(seq)``); the project index reads the plain
    ``seq + [PAD] * (max_len - len(seq))`` itself."""
    if _pad_run(node.left, measures):
        return "`[PAD] * (max_len - len(seq)) + seq`"
    run = node.right
    if _pad_run(run, measures) and not any(_is_measure(part, set()) for part in ast.walk(run)):
        return "`seq + [PAD] * (max_len - n)`, `n` the sequence's length"
    return None


def _pad_run(node: ast.AST, measures: set[str]) -> bool:
    """``[PAD] * (max_len - len(seq))`` in either order: one element repeated up to a length."""
    if not isinstance(node, ast.BinOp) or not isinstance(node.op, ast.Mult):
        return False
    return any(
        isinstance(side, ast.List) and len(side.elts) == 1 and _is_deficit(count, measures)
        for side, count in ((node.left, node.right), (node.right, node.left))
    )


def _deficit_call(call: ast.Call, deficits: set[str], measures: set[str]) -> str | None:
    """``np.pad``/``F.pad`` with a width, or an allocation with a size, that is a deficit."""
    name = dotted(call.func) or ""
    if name in _PADDERS:
        widths = call.args[1:2] + [k.value for k in call.keywords if k.arg in ("pad", "pad_width")]
        if any(_mentions_deficit(width, deficits, measures) for width in widths):
            return f"`{name}` by a target length minus the current one"
    elif name.rsplit(".", 1)[-1] in _ALLOCATORS and call.args:
        if _mentions_deficit(call.args[0], deficits, measures):
            return f"a filler `{name}` sized a target length minus the current one"
    return None


def _mentions_deficit(node: ast.AST, deficits: set[str], measures: set[str]) -> bool:
    return any(
        _is_deficit(part, measures) or (isinstance(part, ast.Name) and part.id in deficits)
        for part in ast.walk(node)
    )


def _is_deficit(node: ast.AST, measures: set[str]) -> bool:
    """``target - len(x)``, ``target - x.shape[k]``, ``target - x.size(k)`` (or a name bound to
    one: ``n_frames = x.shape[1]``) where the target is a length, not another tensor's measure."""
    return (
        isinstance(node, ast.BinOp)
        and isinstance(node.op, ast.Sub)
        and _is_measure(node.right, measures)
        and not any(_is_measure(part, measures) for part in ast.walk(node.left))
    )


def _is_measure(node: ast.AST, measures: set[str]) -> bool:
    """``len(x)``, ``x.shape[k]``, ``x.size(k)``, ``x.size()[k]``, or a name bound to one."""
    if isinstance(node, ast.Name):
        return node.id in measures
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Name) and func.id == "len":
            return True
        return isinstance(func, ast.Attribute) and func.attr == "size" and bool(node.args)
    if isinstance(node, ast.Subscript):
        value = node.value
        if isinstance(value, ast.Attribute) and value.attr == "shape":
            return True
        return (
            isinstance(value, ast.Call)
            and isinstance(value.func, ast.Attribute)
            and (value.func.attr == "size")
        )
    return False


def _is_length(node: ast.AST) -> bool:
    """A sequence's length: ``len(seq)``, ``length``, ``lengths[i]``, ``seq_len``."""
    if isinstance(node, ast.Call):
        return isinstance(node.func, ast.Name) and node.func.id == "len"
    while isinstance(node, ast.Subscript):
        node = node.value
    return bool(LENGTH_NAME.search(_last_name(node) or ""))


def _max_length_allocation(value: ast.AST) -> bool:
    """``torch.zeros(B, max_len)``, ``np.full((B, max_len), pad)``,
    ``torch.LongTensor(B, max(lengths)).fill_(pad)``: a batch as long as its longest member."""
    while isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute):
        if value.func.attr in _ALLOCATORS:
            break
        value = value.func.value  # `.fill_(pad)`, `.long()`, `.to(device)` on the allocation
    if not isinstance(value, ast.Call):
        return False
    if (_last_name(value.func) or "") not in _ALLOCATORS:
        return False
    sizes = value.args if _last_name(value.func) not in ("full", "new_full") else value.args[:1]
    return any(
        MAX_NAME.search(_last_name(part) or "")
        for size in sizes
        for part in ast.walk(size)
        if isinstance(part, (ast.Name, ast.Attribute))
    )


def _last_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None
