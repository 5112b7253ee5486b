"""Sequence padding written by hand, read one scope at a time (a function, or a module's own
statements): the forms need the scope's assignments, which one node does not show.

The forms, each one that only sequence padding takes:

- a batch preallocated to a maximum length (``torch.zeros(len(seqs), max_len)``, ``np.full``,
  ``torch.ones(max_len, N)``, ``torch.LongTensor(B, max_len).fill_(pad)``, Keras's old
  ``(np.ones((n, maxlen)) * value).astype(dtype)``: ``allocations``) and filled one
  sequence at a time up to that sequence's length: ``padded[i, :len(seq)] = seq``,
  ``padded[i][:lengths[i]] = ...``, or time-major, ``inputs[:len(seq), i] = seq`` (the
  sample's index a name: ``buf[:n, 0]`` fills a column);
- a pad value written into an element of a 2-D batch: ``batch.data[i][j] = padding_id``, or a
  pad id looked up by the pad token, ``batch[i][j] = vocab.stoi['<pad>']``;
- a list padded in front, ``[PAD] * (max_len - len(seq)) + seq``, or behind through a length
  bound to a name (``n = len(seq)``; ``seq + [PAD] * (max_len - n)``);
- a pad width, or a filler block's size, that is a target length minus the current length:
  ``np.pad(x, ((0, 0), (0, max_frames - x.shape[1])))``, ``F.pad(x, (0, max_len - len(x)))``,
  ``np.concatenate([x, np.zeros((max_len - x.shape[0], dim))])``, directly or through a name
  (``pad = max_len - x.shape[1]``, ``pad_len = max(0, max_len - len(x))``), and so a list
  extended by such a run, ``vec += [PAD] * pad_len``;
- a list grown by a constant while it is shorter than a length,
  ``while len(seq) < max_len: seq.append(PAD)`` (also ``rows[-1]``, the list just added, and a
  name the scope binds to a pad token): a loop that appends a computed value (a decoder
  generating tokens) is not padding;
- one sample copied into a buffer as long as the longest sequence, up to its own length:
  ``audio = np.zeros((self.max_len, n_mels))``, ``n = min(self.max_len, mel.shape[0])``,
  ``audio[:n] = mel[:n]``. The buffer's first size must name a maximum sequence length
  (``max`` and ``len``/``frame``/``step``/``time``/``seq``); a buffer filled whole
  (``buf[:] = x``), by column, or in two dimensions (an image on a canvas) is not padding.

The batch may be one sample's worth (``o = torch.zeros(shape)`` with ``shape = (1, H, max_w)``,
then ``o[:, :, :x.shape[2]] = x``): a size bound to a name one statement earlier is read through
it, and a row may be filled up to a measured length (``x.shape[k]``, ``x.size(k)``, capped as
``min(max_len, x.shape[0])``) as well as up to ``len(seq)`` or a ``length`` name, with
whole-dimension slices (or ``...``) after it, or one channel of them
(``padded[i, :f.shape[0], 0] = f``). A length may be unpacked from a shape (``L, D = x.shape``).
The forms written one position at a time in a loop are ``indexed_padding``'s.

Forms that put the padding in front (``[PAD] * n + seq``, widths before the sequence, a filler
block first in a concatenation) say so in their evidence (``padding_sides``).

Not padding: constant pad widths (a convolution's spatial padding, an image border), and a width
that is one tensor's size minus another's (a U-Net aligning feature maps): the target must be a
length, not another tensor's measure.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator

from lint_rules.allocations import ALLOCATORS as _ALLOCATORS
from lint_rules.allocations import allocation_call
from lint_rules.ast_names import dotted, subscript_indices
from lint_rules.indexed_padding import allocated_sizes, capped_fill, guarded_copy
from lint_rules.padding_sides import padded_in_front

# A pad token: `pad`, `PAD`, `pad_id`, `padding_id`, `pad_idx`, `pad_ix`, `PAD_TOKEN`, `padId`,
# `pad_token_id`; not `padding_value`, which fills missing cells of a table as readily as a
# batch's tail.
PAD_NAME = re.compile(r"^_?(pad|padding)(_?(token|tok|word|symbol))?(_?(id|idx|ix|index))?$", re.I)
# A pad token's text, the key a pad id is looked up by: `'<pad>'`, `'[PAD]'`, `'PAD'`, `'<PAD>'`.
PAD_TEXT = re.compile(r"^\W{0,2}(pad|padding)\W{0,2}$", re.I)
# Per-sequence lengths: `len(seq)` or a name such as `length`, `lengths[i]`, `seq_len`.
LENGTH_NAME = re.compile(r"len", re.I)
# A maximum length: `max_len`, `max_length`, `maxlen`, `self.max_frames`, `max(lengths)`.
MAX_NAME = re.compile(r"max", re.I)
# What a maximum sequence length is measured in: `max_len`, `mel_max_len`, `max_frames`.
SEQUENCE_WORD = re.compile(r"len|frame|step|time|seq", re.I)
_PADDERS = frozenset(("np.pad", "numpy.pad", "F.pad", "functional.pad", "nn.functional.pad"))
_PADDERS |= frozenset(("torch.nn.functional.pad",))
# Joins that put blocks one after another along an axis.
_JOINS = frozenset(("concatenate", "cat", "concat", "vstack", "hstack", "row_stack"))
# The node types ``scope_padding`` reads: a caller with nodes filed by type passes only these.
HAND_PADDING_TYPES = (
    (ast.Assign, ast.AugAssign, ast.BinOp, ast.Call, ast.While)
    + (ast.For, ast.If, ast.IfExp)  # `indexed_padding`'s loops
)


def scope_padding(nodes: Iterable[ast.AST]) -> Iterator[tuple[int, str]]:
    """(line, evidence) for each hand-written padding among one scope's nodes."""
    nodes = list(nodes)
    assignments = [node for node in nodes if isinstance(node, ast.Assign)]
    measures = _measures(assignments)
    deficits = _names_bound(assignments, lambda value: _is_deficit(unclamped(value), measures))
    pads = _names_bound(assignments, _is_pad_value)
    sizes = {
        target.id: node.value
        for node in assignments
        if isinstance(node.value, (ast.Tuple, ast.List))
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    batches = {
        dotted(target)
        for node in assignments
        if _max_length_allocation(node.value, sizes)
        for target in node.targets
    } - {None}
    clamped = _names_bound(assignments, lambda value: _is_measure(_unclamped_min(value), measures))
    buffers = {
        name: length
        for node in assignments
        if (length := _sequence_buffer(node.value, sizes))
        for target in node.targets
        if (name := dotted(target))
    }
    leading = _leading_fillers(nodes)
    allocations = allocated_sizes(assignments)
    for node in nodes:
        evidence = None
        if isinstance(node, ast.Assign):
            for target in node.targets:
                evidence = _batch_write(target, node.value, batches, measures) or _sample_fill(
                    target, buffers, measures | clamped
                )
                if evidence:
                    break
        elif isinstance(node, ast.Call):
            evidence = _deficit_call(node, deficits, measures) or _named_extend(node, deficits)
            if evidence and id(node) in leading:
                evidence = padded_in_front(evidence)
        elif isinstance(node, ast.AugAssign) and isinstance(node.op, ast.Add):
            if _pad_run(node.value, set(), deficits, by_name=True):
                evidence = (
                    "`seq += [PAD] * pad_len`, `pad_len` a target length minus the current one"
                )
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            evidence = _list_padding(node, measures, deficits)
        elif isinstance(node, ast.While):
            evidence = _padding_loop(node, pads)
        elif isinstance(node, ast.For):
            evidence = capped_fill(node, allocations)
        elif isinstance(node, (ast.If, ast.IfExp)):
            evidence = guarded_copy(
                node, lambda bound: _is_length(bound) or _is_measure(bound, measures), _fills_in
            )
        if evidence:
            yield node.lineno, evidence


def padded_lengths(nodes: Iterable[ast.AST]) -> Iterator[tuple[int, str]]:
    """(line, name) of the length each pad call or filler of one scope pads to, its last name
    read through a name the scope binds (``length = self.wav_length``; ``F.pad(x, (0, length -
    x.size(1)))`` pads to ``wav_length``): what ``feature_padding`` compares with input sizes."""
    nodes = list(nodes)
    assignments = [node for node in nodes if isinstance(node, ast.Assign)]
    measures = _measures(assignments)
    bound = {
        target.id: node.value
        for node in assignments
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    for call in nodes:
        if not isinstance(call, ast.Call):
            continue
        name = dotted(call.func) or ""
        if name in _PADDERS:
            widths = call.args[1:2] + [
                k.value for k in call.keywords if k.arg in ("pad", "pad_width")
            ]
        elif name.rsplit(".", 1)[-1] in _ALLOCATORS:
            widths = call.args[:1]
        else:
            continue
        for width in widths:
            for part in ast.walk(width):
                deficit = bound.get(part.id) if isinstance(part, ast.Name) else part
                deficit = unclamped(deficit) if deficit is not None else None
                if deficit is not None and _is_deficit(deficit, measures):
                    target = deficit.left  # type: ignore[attr-defined]
                    if isinstance(target, ast.Name) and target.id in bound:
                        target = bound[target.id]
                    last = _last_name(target)
                    if last:
                        yield call.lineno, last


def pads_to_a_length(widths: str) -> bool:
    """Whether pad widths (an expression's source) are a target length minus the current one,
    written out: ``(0, 0, 0, self.max_len - x.size(1))``."""
    expression = _expression(widths)
    return expression is not None and _mentions_deficit(expression, set(), set())


def pads_in_front(widths: str) -> bool:
    """Whether such widths put the padding in front: ``(0, 0, self.max_len - x.size(1), 0)``."""
    expression = _expression(widths)
    return expression is not None and _deficit_in_front(expression.body, set(), set())


def _expression(source: str) -> ast.Expression | None:
    try:
        return ast.parse(source.strip(), mode="eval")
    except SyntaxError:
        return None


def _batch_write(
    target: ast.AST, value: ast.AST, batches: set[str | None], measures: set[str]
) -> str | None:
    """A sequence written into its row of a max-length batch up to its own length (whole
    dimensions after it: ``padded[i, :len(seq), :]``), or a pad value written into an element
    of a 2-D batch."""
    if not isinstance(target, ast.Subscript):
        return None
    indices, base = subscript_indices(target)
    while len(indices) > 1 and _whole(indices[-1]):
        indices = indices[:-1]
    if len(indices) < 2:
        return None  # `boxes[:len(found), :]` fills a table, not one row of a batch
    if dotted(base) in batches and (
        _fills_one_sequence(indices, measures) or _fills_one_channel(indices, measures)
    ):
        return (
            f"`{dotted(base)}`, allocated to a maximum length and filled per sequence up to "
            "its length"
        )
    if any(isinstance(index, ast.Slice) and not _whole(index) for index in indices[:-1]):
        return None  # `canvas[:h, :w] = image` pads an image in two dimensions, not a row
    pad = _last_name(value) or ""
    if PAD_NAME.match(pad):
        return f"`{pad}` written into the elements of a 2-D batch"
    looked_up = _pad_lookup(value)
    if looked_up:
        return f"`{looked_up}` written into the elements of a 2-D batch"
    return None


def _fills_one_channel(indices: list[ast.AST], measures: set[str]) -> bool:
    """``padded[i, :len(seq), 0]``: a row of the batch filled up to the sequence's length in
    one place of its trailing dimensions (a channel); with no row index before the length
    (``buf[:n, 0]``) it fills a column of features instead."""
    core = list(indices)
    while core and (_whole(core[-1]) or _integer(core[-1])):
        core.pop()
    return len(core) >= 2 and len(core) < len(indices) and _fills_one_sequence(core, measures)


def _integer(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) is int


def _pad_lookup(value: ast.AST) -> str | None:
    """A pad id looked up in a vocabulary by the pad token (``vocab.stoi['<pad>']``,
    ``word2id[PAD_TOKEN]``, ``w2i.get('[PAD]')``, ``tokenizer.convert_tokens_to_ids('[PAD]')``):
    its source, or None."""
    key = None
    if isinstance(value, ast.Subscript):
        key = value.slice
    elif isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and value.args:
        key = value.args[0]
    if key is None:
        return None
    if isinstance(key, ast.Constant) and isinstance(key.value, str) and PAD_TEXT.match(key.value):
        return ast.unparse(value)
    if isinstance(key, (ast.Name, ast.Attribute)) and PAD_NAME.match(_last_name(key) or ""):
        return ast.unparse(value)
    return None


def _fills_in(value: ast.AST) -> bool:
    """A value given to the positions past a sequence's end: a constant (not ``None``), a pad
    token's name, or a vocabulary's entry for a token (``w2i['<PAD>']``)."""
    if isinstance(value, ast.Constant) and value.value is None:
        return False
    return _is_pad_value(value) or bool(_pad_lookup(value))


def _fills_one_sequence(indices: list[ast.AST], measures: set[str]) -> bool:
    """The indices (whole dimensions after them dropped) of one sequence's place in a batch,
    filled up to its own length: batch-major ``[i, :len(seq)]`` (any row indices, then the
    length), or time-major ``[:len(seq), i]``, the sample's index a name (a loop's variable:
    ``buf[:n, 0]`` fills a column of features, not a sequence of a batch). A second partial
    slice (``canvas[:h, :w]``) pads an image in two dimensions."""
    partial = [index for index in indices if isinstance(index, ast.Slice) and not _whole(index)]
    if len(partial) != 1:
        return False
    if indices[-1] is partial[0]:
        return _up_to_a_length(partial[0], measures)
    return (
        len(indices) == 2
        and indices[0] is partial[0]
        and isinstance(indices[1], ast.Name)
        and _up_to_a_length(partial[0], measures)
    )


def _up_to_a_length(index: ast.Slice, measures: set[str]) -> bool:
    """``:len(seq)``, ``:lengths[i]``, ``0:n`` with ``n = len(seq)``, ``:min(max_len, x.size(0))``."""
    lower, upper = index.lower, index.upper
    if index.step is not None or upper is None:
        return False
    if lower is not None and not (isinstance(lower, ast.Constant) and lower.value == 0):
        return False
    return (
        _is_length(upper)
        or _is_measure(upper, measures)
        or _is_measure(_unclamped_min(upper), measures)
    )


def _whole(index: ast.AST) -> bool:
    """``:`` or ``...``, whole dimensions."""
    if isinstance(index, ast.Constant):
        return index.value is Ellipsis
    return (
        isinstance(index, ast.Slice)
        and index.lower is None
        and index.upper is None
        and index.step is None
    )


def _sample_fill(target: ast.AST, buffers: dict[str, str], lengths: set[str]) -> str | None:
    """One sample copied into a buffer as long as the longest sequence, up to the sample's own
    length along that first axis (``audio[:L] = mel[:L]``, ``L = min(max_len, mel.shape[0])``;
    ``video[:t, ...] = frames``): the rest of the buffer is padding. A buffer filled whole
    (``buf[:] = x``), in two dimensions (an image crop) or by column is something else."""
    if not isinstance(target, ast.Subscript):
        return None
    indices, base = subscript_indices(target)
    while len(indices) > 1 and _whole(indices[-1]):
        indices = indices[:-1]
    name = dotted(base)
    if len(indices) != 1 or name not in buffers:
        return None
    index = indices[0]
    if (
        isinstance(index, ast.Slice)
        and index.lower is None
        and index.step is None
        and index.upper is not None
        and (_is_measure(index.upper, lengths) or _is_measure(_unclamped_min(index.upper), lengths))
    ):
        return (
            f"`{name}`, a buffer `{buffers[name]}` steps long filled per sample up to the "
            "sample's length"
        )
    return None


def _unclamped_min(node: ast.AST) -> ast.AST:
    """The measure in ``min(max_len, x.shape[0])`` (either order): a length capped at the
    buffer's."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "min"
        and len(node.args) == 2
        and not node.keywords
    ):
        for argument in node.args:
            if _is_measure(argument, set()) or isinstance(argument, ast.Name):
                if not MAX_NAME.search(_last_name(argument) or ""):
                    return argument
    return node


def _shape_names(assignments: list[ast.Assign]) -> set[str]:
    """Names unpacked from a shape, each one a measure: ``L, D = emb.shape``,
    ``t, _ = x.size()``."""
    found: set[str] = set()
    for node in assignments:
        value = node.value
        if isinstance(value, ast.Subscript) and isinstance(value.slice, ast.Slice):
            value = value.value  # `x.shape[:2]`
        shape = (isinstance(value, ast.Attribute) and value.attr == "shape") or (
            isinstance(value, ast.Call)
            and isinstance(value.func, ast.Attribute)
            and value.func.attr == "size"
            and not value.args
        )
        if not shape:
            continue
        for target in node.targets:
            if isinstance(target, (ast.Tuple, ast.List)):
                found.update(
                    item.id for item in target.elts if isinstance(item, ast.Name) and item.id != "_"
                )
    return found


def _measures(assignments: list[ast.Assign]) -> set[str]:
    """Names bound to a sequence's measure (``n = len(seq)``, ``L, D = x.shape``), less those
    named as a maximum: ``max_len = len(ids[0])`` of a batch sorted longest first is the
    length the others are padded to, not one sequence's own."""
    measures = _names_bound(assignments, lambda value: _is_measure(value, set()))
    measures |= _shape_names(assignments)
    return {name for name in measures if not MAX_NAME.search(name)}


def _names_bound(assignments: list[ast.Assign], test) -> set[str]:
    return {
        target.id
        for node in assignments
        if test(node.value)
        for target in node.targets
        if isinstance(target, ast.Name)
    }


def _list_padding(node: ast.BinOp, measures: set[str], deficits: set[str]) -> str | None:
    """``[PAD] * (max_len - len(seq)) + seq`` (padding in front), and ``seq + [PAD] * (max_len -
    n)`` with the length bound to a name (``n = len(seq)``); the project index reads the plain
    ``seq + [PAD] * (max_len - len(seq))`` itself."""
    if _pad_run(node.left, measures, deficits):
        return padded_in_front("`[PAD] * (max_len - len(seq)) + seq`")
    run = node.right
    if _pad_run(run, measures, deficits) and not any(
        _is_measure(part, set()) for part in ast.walk(run)
    ):
        return "`seq + [PAD] * (max_len - n)`, `n` the sequence's length"
    return None


def _named_extend(call: ast.Call, deficits: set[str]) -> str | None:
    """``seq.extend([PAD] * pad_len)``, ``pad_len`` a deficit bound to a name (the written-out
    ``seq.extend([PAD] * (max_len - len(seq)))`` is the data pipeline's)."""
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr == "extend" and len(call.args) == 1:
        if _pad_run(call.args[0], set(), deficits, by_name=True):
            return "`seq.extend([PAD] * pad_len)`, `pad_len` a target length minus the current one"
    return None


def _padding_loop(loop: ast.While, pads: set[str]) -> str | None:
    """``while len(seq) < max_len: seq.append(PAD)``: a list grown by constants (a pad token,
    ``0``, ``vocab['<PAD>']``, or a name the scope binds to one: ``pad = w2i['<pad>']``) up to a
    length that is not a literal (``while len(parts) < 3`` completes a version number). The
    list may be the one just added to a list of lists (``len(rows[-1])``, ``rows[-1].append``).
    Any other statement in the body (a decoder appending the token it generated) makes it
    something else."""
    test = loop.test
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and not loop.orelse):
        return None
    left, op, right = test.left, test.ops[0], test.comparators[0]
    if isinstance(op, (ast.Gt, ast.GtE)):
        left, right = right, left
    elif not isinstance(op, (ast.Lt, ast.LtE)):
        return None
    grown = _len_of(left)
    if grown is None or isinstance(right, ast.Constant):
        return None
    appended = []
    for statement in loop.body:
        call = statement.value if isinstance(statement, ast.Expr) else None
        if not (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Attribute)
            and call.func.attr == "append"
            and len(call.args) == 1
            and not call.keywords
            and (_is_pad_value(call.args[0]) or _bound_name(call.args[0], pads))
        ):
            return None
        appended.append(ast.dump(call.func.value))
    if grown in appended:
        return "`while len(seq) < max_len: seq.append(PAD)`"
    return None


def _bound_name(node: ast.AST, names: set[str]) -> bool:
    return isinstance(node, ast.Name) and node.id in names


def _len_of(node: ast.AST) -> str | None:
    """``x`` of ``len(x)`` as a comparable dump: a name, an attribute, or the list just added to
    a list of lists (``len(self.corpus[-1])``)."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "len"
        and len(node.args) == 1
    ):
        return ast.dump(node.args[0])
    return None


def _is_pad_value(node: ast.AST) -> bool:
    """A constant (``0``, ``'<PAD>'``), a pad token's name (``PAD_ID``, ``vocab.pad_idx``), or
    a vocabulary's entry for a constant or a pad token (``w2i['<PAD>']``, ``vocab[PAD]``)."""
    if isinstance(node, ast.Constant):
        return not isinstance(node.value, bool)
    if isinstance(node, ast.Subscript):
        key = node.slice
        return (isinstance(key, ast.Constant) and isinstance(key.value, str)) or bool(
            PAD_NAME.match(_last_name(key) or "")
        )
    return bool(PAD_NAME.match(_last_name(node) or ""))


def _pad_run(node: ast.AST, measures: set[str], deficits: set[str], by_name: bool = False) -> bool:
    """``[PAD] * (max_len - len(seq))`` in either order: one element repeated up to a length,
    the count written out or a name bound to a deficit (only the latter when ``by_name``)."""
    if not isinstance(node, ast.BinOp) or not isinstance(node.op, ast.Mult):
        return False
    return any(
        isinstance(side, ast.List)
        and len(side.elts) == 1
        and (
            (isinstance(count, ast.Name) and count.id in deficits)
            or (not by_name and _is_deficit(count, measures))
        )
        for side, count in ((node.left, node.right), (node.right, node.left))
    )


def _deficit_call(call: ast.Call, deficits: set[str], measures: set[str]) -> str | None:
    """``np.pad``/``F.pad`` with a width, or an allocation with a size, that is a deficit."""
    name = dotted(call.func) or ""
    if name in _PADDERS:
        widths = call.args[1:2] + [k.value for k in call.keywords if k.arg in ("pad", "pad_width")]
        if any(_mentions_deficit(width, deficits, measures) for width in widths):
            evidence = f"`{name}` by a target length minus the current one"
            if any(_deficit_in_front(width, deficits, measures) for width in widths):
                return padded_in_front(evidence)
            return evidence
    elif name.rsplit(".", 1)[-1] in _ALLOCATORS and call.args:
        if _mentions_deficit(call.args[0], deficits, measures):
            return f"a filler `{name}` sized a target length minus the current one"
    return None


def _deficit_in_front(widths: ast.AST, deficits: set[str], measures: set[str]) -> bool:
    """Pad widths whose deficits are all in "before" places: ``(max_len - len(x), 0)``,
    ``((0, 0), (pad, 0))`` for ``np.pad``, ``(0, 0, max_len - x.size(1), 0)`` for ``F.pad``
    (pairs of before and after, the last dimension's first): even positions of the innermost
    tuple. A single width (``np.pad(x, n)``) pads both ends."""
    places = [
        position % 2 == 0
        for position, width in _width_places(widths)
        if _mentions_deficit(width, deficits, measures)
    ]
    return bool(places) and all(places)


def _width_places(widths: ast.AST) -> Iterator[tuple[int, ast.AST]]:
    """(position in its innermost tuple, width) for each width of a nest of tuples."""
    if isinstance(widths, (ast.Tuple, ast.List)):
        for position, item in enumerate(widths.elts):
            if isinstance(item, (ast.Tuple, ast.List)):
                yield from _width_places(item)
            else:
                yield position, item


def _leading_fillers(nodes: list[ast.AST]) -> set[int]:
    """ids of the blocks put before the rest of a concatenation,
    ``np.concatenate([np.zeros((max_len - len(x), dim)), x])``: a filler there pads in front."""
    return {
        id(call.args[0].elts[0])
        for call in nodes
        if isinstance(call, ast.Call)
        and (_last_name(call.func) or "") in _JOINS
        and call.args
        and isinstance(call.args[0], (ast.List, ast.Tuple))
        and len(call.args[0].elts) > 1
    }


def _mentions_deficit(node: ast.AST, deficits: set[str], measures: set[str]) -> bool:
    return any(
        _is_deficit(part, measures) or (isinstance(part, ast.Name) and part.id in deficits)
        for part in ast.walk(node)
    )


def unclamped(node: ast.AST) -> ast.AST:
    """``x`` of ``max(0, x)`` or ``max(x, 0)``: a deficit kept from going negative."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "max"
        and len(node.args) == 2
        and not node.keywords
    ):
        first, second = node.args
        if isinstance(first, ast.Constant) and first.value == 0:
            return second
        if isinstance(second, ast.Constant) and second.value == 0:
            return first
    return node


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


def _max_length_allocation(value: ast.AST, sizes: dict[str, ast.AST]) -> bool:
    """``torch.zeros(B, max_len)``, ``np.full((B, max_len), pad)``,
    ``torch.LongTensor(B, max(lengths)).fill_(pad)``: a batch as long as its longest member;
    a size may be a tuple bound to a name in the scope (``torch.zeros(shape)``)."""
    value = allocation_call(value)  # `.fill_(pad)`, `(np.ones(...) * pad).astype(int)`
    if value is None:
        return False
    given = value.args if _last_name(value.func) not in ("full", "new_full") else value.args[:1]
    given = [sizes.get(size.id, size) if isinstance(size, ast.Name) else size for size in given]
    return any(
        MAX_NAME.search(_last_name(part) or "")
        for size in given
        for part in ast.walk(size)
        if isinstance(part, (ast.Name, ast.Attribute))
    )


def _sequence_buffer(value: ast.AST, sizes: dict[str, ast.AST]) -> str | None:
    """The first size of ``np.zeros((self.max_frames, n_mels))`` (also ``torch.zeros(a, b)``,
    a shape bound to a name, ``.astype(...)`` after it) when it names a maximum sequence length:
    ``max`` and a word for length or time (``len``, ``frame``, ``step``, ``time``, ``seq``);
    ``max_boxes`` or ``max_objects`` sizes a table of detections, not a sequence."""
    value = allocation_call(value)
    if value is None or not value.args:
        return None
    first = value.args[0]
    first = sizes.get(first.id, first) if isinstance(first, ast.Name) else first
    if isinstance(first, (ast.Tuple, ast.List)):
        if not first.elts:
            return None
        first = first.elts[0]
    name = dotted(first) or ""
    last = name.rsplit(".", 1)[-1]
    if MAX_NAME.search(last) and SEQUENCE_WORD.search(last):
        return name
    return None


def _last_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None
