"""BRN008: a strided view of a state (sliced past the first dimension, transposed, permuted or
expanded) passed to a torch RNN as h0/c0.

cuDNN requires a contiguous initial state and raises ``RuntimeError: rnn: hx is not contiguous``;
torch's CPU kernels accept any layout. So the code passes every test on a laptop and crashes on
the first GPU run. ``EVIDENCE`` names real projects where it did.

What stays quiet, because it is contiguous or a copy: a slice along the first dimension only
(``h[-2:]``), ``index_select``, indexing with a tensor or an integer, ``repeat``, ``torch.cat``,
``.contiguous()``. A slice or transpose of a state with one row (one layer, one direction) is
contiguous too, so those are reported only for an RNN known to have two rows or more; an
``expand`` (stride 0 along the batch) is reported for any torch RNN. Packed input is left alone:
with ``enforce_sorted=False`` torch reorders h0 with ``index_select``, which copies it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import libcst as cst

from lint_rules import cst_walk
from lint_rules.imports import dotted_name
from lint_rules.rules.base import RawFinding, Rule, RuleContext
from lint_rules.values import CallSite, Packed

CODE = "BRN008"
NAME = "non-contiguous-initial-state"
SUMMARY = (
    "a state sliced along a dimension other than the first, transposed, permuted or expanded, "
    "then passed to a torch RNN as h0/c0 without `.contiguous()`: cuDNN rejects it on GPU only"
)
MESSAGE = (
    "initial state `{state}` of `{rnn}` is {why}, so it is not contiguous: on GPU, cuDNN raises "
    "`rnn: hx is not contiguous` (the CPU accepts it); write `{fixed}`"
)
FIX = "appends `.contiguous()` to the view, where it is built"
EVIDENCE = (
    "fastai's AWD-LSTM, `self.hidden[l][0][:, :bs]` on a bidirectional model meeting a smaller "
    "batch (fastai/fastai2 pull request 141); AllenNLP's encoder base, "
    "`state.index_select(1, ...)[:, :num_valid, :]` (allenai/allennlp issue 1486); darts' "
    "Temporal Fusion Transformer, a static context `expand`ed over the LSTM layers "
    "(unit8co/darts issue 730); a two-layer keyphrase decoder "
    "(kenchan0226/keyphrase-generation-rl issue 8). Each ran on CPU and crashed on GPU."
)

WRONG = (
    '''
import torch
import torch.nn as nn


class AWDLSTMEncoder(nn.Module):
    """Language model whose state is carried between batches and cut to a smaller last batch."""

    def __init__(self, emb_sz, n_hid):
        super().__init__()
        self.rnn = nn.LSTM(emb_sz, n_hid, 1, batch_first=True, bidirectional=True)
        self.hidden = None

    def forward(self, embedded):
        bs = embedded.size(0)
        h, c = self.hidden
        hidden = (h[:, :bs], c[:, :bs])
        output, self.hidden = self.rnn(embedded, hidden)
        return output
''',
    '''
import torch
import torch.nn as nn


class Seq2Seq(nn.Module):
    """The decoder's initial state is computed batch-major from the encoder, then transposed."""

    def __init__(self, emb, hidden):
        super().__init__()
        self.hidden = hidden
        self.encoder = nn.GRU(emb, hidden, batch_first=True, bidirectional=True)
        self.bridge = nn.Linear(2 * hidden, 2 * hidden)
        self.decoder = nn.GRU(emb, hidden, num_layers=2, batch_first=True)

    def forward(self, src, tgt):
        encoded, _ = self.encoder(src)
        summary = torch.tanh(self.bridge(encoded.mean(dim=1)))
        h0 = summary.view(-1, 2, self.hidden).transpose(0, 1)
        output, _ = self.decoder(tgt, h0)
        return output
''',
    """
import torch
import torch.nn as nn


class LearnedInitialState(nn.Module):
    def __init__(self, n_in, hidden, layers=2):
        super().__init__()
        self.rnn = nn.LSTM(n_in, hidden, layers, bidirectional=True)
        self.h0 = nn.Parameter(torch.zeros(layers * 2, 1, hidden))
        self.c0 = nn.Parameter(torch.zeros(layers * 2, 1, hidden))

    def forward(self, x):
        batch = x.size(1)
        h0 = self.h0.expand(-1, batch, -1)
        c0 = self.c0.expand(-1, batch, -1)
        return self.rnn(x, (h0, c0))[0]
""",
    """
import torch.nn as nn

encoder = nn.LSTM(32, 64, num_layers=2, bidirectional=True)
decoder = nn.LSTM(32, 64, num_layers=2)
_, (h_n, c_n) = encoder(source)
forward_rows = (h_n[::2], c_n[::2])  # each layer's forward direction
output, _ = decoder(target, forward_rows)
""",
)

RIGHT = (
    """
import torch
import torch.nn as nn


class AWDLSTMEncoder(nn.Module):
    def __init__(self, emb_sz, n_hid):
        super().__init__()
        self.rnn = nn.LSTM(emb_sz, n_hid, 1, batch_first=True, bidirectional=True)
        self.hidden = None

    def forward(self, embedded):
        bs = embedded.size(0)
        h, c = self.hidden
        hidden = (h[:, :bs].contiguous(), c[:, :bs].contiguous())
        output, self.hidden = self.rnn(embedded, hidden)
        return output
""",
    """
import torch.nn as nn


class Seq2Seq(nn.Module):
    def __init__(self, emb, hidden):
        super().__init__()
        self.encoder = nn.GRU(emb, hidden, num_layers=2, batch_first=True)
        self.decoder = nn.GRU(emb, hidden, num_layers=2, batch_first=True)

    def forward(self, src, tgt, beam_order):
        _, h_n = self.encoder(src)
        output, _ = self.decoder(tgt, h_n[-2:])  # a slice along the first dimension
        output, _ = self.decoder(tgt, h_n.index_select(1, beam_order))  # a copy
        output, h_n = self.decoder(tgt, h_n[:, beam_order])  # a tensor index: a copy
        return output
""",
    """
import torch
import torch.nn as nn


class LearnedInitialState(nn.Module):
    def __init__(self, n_in, hidden, layers=2):
        super().__init__()
        self.rnn = nn.GRU(n_in, hidden, layers, bidirectional=True)
        self.h0 = nn.Parameter(torch.zeros(layers * 2, 1, hidden))

    def forward(self, x):
        h0 = self.h0.expand(-1, x.size(1), -1).contiguous()
        return self.rnn(x, h0)[0]
""",
    '''
import torch.nn as nn


class Decoder(nn.Module):
    """One layer, one direction: a slice or transpose of a one-row state stays contiguous."""

    def __init__(self, emb, hidden):
        super().__init__()
        self.rnn = nn.GRU(emb, hidden)

    def forward(self, x, hidden, batch_major):
        bs = x.size(1)
        output, _ = self.rnn(x, hidden[:, :bs])
        output, _ = self.rnn(x, batch_major.transpose(0, 1))
        return output
''',
)


@dataclass(frozen=True)
class StridedView:
    """An expression whose value is a non-contiguous view, and why."""

    node: Any
    why: str
    needs_several_rows: bool  # contiguous anyway when the state has a single row
    transposed_from: Any = None  # what a transpose or permute was applied to


# Methods that hand back a view with the same strides; anything else (`.to`, `.clone`, ...)
# may copy, so the analysis stops there rather than guess.
_SAME_STRIDES = frozenset(("detach", "detach_", "requires_grad_"))
_TRANSPOSES = frozenset(("transpose", "swapaxes", "swapdims", "movedim", "moveaxis"))
_MAX_NAME_HOPS = 4  # h0 = h; h = state[:, :bs]; ...


def _literal_int(node: Any) -> int | None:
    if isinstance(node, cst.Integer):
        return int(node.value.replace("_", ""), 0)
    if (
        isinstance(node, cst.UnaryOperation)
        and isinstance(node.operator, cst.Minus)
        and isinstance(node.expression, cst.Integer)
    ):
        return -int(node.expression.value.replace("_", ""), 0)
    return None


def _is_whole(piece: cst.Slice) -> bool:
    """``:``, ``::``, ``0:``: the slice keeps the whole dimension."""
    lower = piece.lower is None or _literal_int(piece.lower) == 0
    step = piece.step is None or _literal_int(piece.step) == 1
    return lower and piece.upper is None and step


def _slice_view(node: cst.Subscript) -> StridedView | None:
    """``h[:, :bs]``, ``h[..., :H]``: a partial slice after the first dimension; ``h[::2]``: a
    step along the first. Any integer, tensor or ``None`` index: a copy or another rank, quiet."""
    pieces = [element.slice for element in node.slice]
    for position, piece in enumerate(pieces):
        if isinstance(piece, cst.Index):
            if not isinstance(piece.value, cst.Ellipsis):
                return None
            continue
        if _is_whole(piece):
            continue
        if position > 0:
            return StridedView(node, "a slice along a dimension other than the first", True)
        step = _literal_int(piece.step) if piece.step is not None else 1
        if step is not None and step >= 2:
            return StridedView(node, "a slice with a step along the first dimension", True)
    return None


def _call_view(node: cst.Call) -> StridedView | None:
    func = node.func
    if not isinstance(func, cst.Attribute):
        return None
    method = func.attr.value
    if method in ("expand", "expand_as"):
        return StridedView(node, "an expanded view (stride 0 along the broadcast dimension)", False)
    base = func.value
    arguments = [_literal_int(arg.value) for arg in node.args]
    if dotted_name(base) == "torch":  # torch.transpose(h, 0, 1)
        if not node.args:
            return None
        base, arguments = node.args[0].value, arguments[1:]
    if method == "t":
        return StridedView(node, "a transposed view", True, base)
    if method in _TRANSPOSES:
        if len(arguments) == 2 and arguments[0] is not None and arguments[0] == arguments[1]:
            return None
        return StridedView(node, "a transposed view", True, base)
    if method == "permute":
        if arguments and all(value is not None for value in arguments):
            if arguments == list(range(len(arguments))):
                return None
        return StridedView(node, "a permuted view", True, base)
    return None


def _view(node: Any) -> StridedView | None:
    """The view ``node`` evaluates to, looking through methods that keep its strides."""
    inner = node
    while (
        isinstance(inner, cst.Call)
        and isinstance(inner.func, cst.Attribute)
        and inner.func.attr.value in _SAME_STRIDES
    ):
        inner = inner.func.value
    found = None
    if isinstance(inner, cst.Subscript):
        found = _slice_view(inner)
    elif isinstance(inner, cst.Call):
        found = _call_view(inner)
    elif isinstance(inner, cst.Attribute) and inner.attr.value in ("T", "mT"):
        found = StridedView(inner, "a transposed view", True, inner.value)
    if found is None:
        return None
    return StridedView(node, found.why, found.needs_several_rows, found.transposed_from)


class _Definitions(cst.CSTVisitor):
    """Every value bound to a name (or ``self.x``) in one function, in source order, where the
    anchor (the RNN call, a ``return``) stands in that order, and the function's ``return``
    values: enough to find the assignment that reaches the anchor."""

    def __init__(self, root: Any, anchor: Any) -> None:
        self.root = root
        self.anchor = anchor
        self.order = 0
        self.anchor_order: int | None = None
        self.history: dict[str, list[tuple[int, Any]]] = {}
        self.returns: list[cst.Return] = []

    def bind(self, target: Any, value: Any) -> None:
        if isinstance(target, (cst.Tuple, cst.List)):
            items: list[Any] = [None] * len(target.elements)
            if isinstance(value, (cst.Tuple, cst.List)) and len(value.elements) == len(items):
                if not any(isinstance(e, cst.StarredElement) for e in value.elements):
                    items = [element.value for element in value.elements]
            for element, item in zip(target.elements, items):
                self.bind(element.value, item)
            return
        name = dotted_name(target)
        if name is not None:
            self.order += 1
            self.history.setdefault(name, []).append((self.order, value))

    def reaching(self, name: str, order: int) -> tuple[Any, int]:
        """The value last bound to ``name`` before ``order`` and where (None, 0: not known)."""
        found: tuple[Any, int] = (None, 0)
        for bound_at, bound in self.history.get(name, ()):
            if bound_at >= order:
                break
            found = (bound, bound_at)
        return found

    def on_visit(self, node: cst.CSTNode) -> bool:
        if node is self.anchor and self.anchor_order is None:
            self.order += 1
            self.anchor_order = self.order
        return super().on_visit(node)

    def visit_Return(self, node: cst.Return) -> None:
        self.returns.append(node)

    def leave_Assign(self, original_node: cst.Assign) -> None:
        for target in original_node.targets:
            self.bind(target.target, original_node.value)

    def leave_AnnAssign(self, original_node: cst.AnnAssign) -> None:
        self.bind(original_node.target, original_node.value)

    def leave_AugAssign(self, original_node: cst.AugAssign) -> None:
        self.bind(original_node.target, None)

    def leave_NamedExpr(self, original_node: cst.NamedExpr) -> None:
        self.bind(original_node.target, original_node.value)

    def visit_For(self, node: cst.For) -> None:
        self.bind(node.target, None)

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None:
            self.bind(node.asname.name, None)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return node is self.root  # a nested function has names of its own

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return node is self.root

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False


_BINDS_ON_LEAVE = (cst.Assign, cst.AnnAssign, cst.AugAssign)
_OWN_SCOPES = (cst.FunctionDef, cst.ClassDef, cst.Lambda)


def definitions_of(root: Any, anchor: Any) -> _Definitions:
    """What ``_Definitions`` records for ``root`` up to ``anchor`` (all of it when ``anchor``
    is None), read by ``cst_walk`` instead of libcst's visitor, which cost a tenth of a lint
    run. Nothing bound after the anchor is ever asked for, so the walk stops there. Outside
    ``:=`` every binding is a statement, and ``cst_walk`` meets statements in the visitor's
    order; a ``:=`` met on the way binds inside an expression, where the orders may differ, so
    the visitor does it."""
    definitions = _Definitions(root, anchor)

    def enters(node: Any) -> bool:
        return node is root or not isinstance(node, _OWN_SCOPES)

    for node, leaving in cst_walk.events(root, enters):
        if leaving:
            if isinstance(node, _BINDS_ON_LEAVE):
                if isinstance(node, cst.Assign):
                    definitions.leave_Assign(node)
                elif isinstance(node, cst.AnnAssign):
                    definitions.leave_AnnAssign(node)
                else:
                    definitions.leave_AugAssign(node)
            continue
        if node is anchor:
            definitions.order += 1
            definitions.anchor_order = definitions.order
            return definitions
        if isinstance(node, cst.NamedExpr):
            root.visit(exact := _Definitions(root, anchor))
            return exact
        if isinstance(node, cst.Return):
            definitions.visit_Return(node)
        elif isinstance(node, cst.For):
            definitions.visit_For(node)
        elif isinstance(node, cst.WithItem):
            definitions.visit_WithItem(node)
    return definitions


def _element_views(node: Any) -> list[Any]:
    """The expressions inside a state value: ``(h, c)``, ``[h[:, :bs] for h in hidden]``."""
    if isinstance(node, (cst.Tuple, cst.List)):
        return [element.value for element in node.elements]
    if isinstance(node, (cst.ListComp, cst.GeneratorExp)):
        return [node.elt]
    if (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Name)
        and node.func.value in ("tuple", "list")
        and len(node.args) == 1
        and isinstance(node.args[0].value, (cst.ListComp, cst.GeneratorExp))
    ):
        return [node.args[0].value.elt]
    return []


def strided_views_of_state(
    state: Any, scope: Any, anchor: Any, methods: dict[str, Any], hops: int = 0
) -> list[StridedView]:
    """The non-contiguous views that reach ``anchor`` as (parts of) the initial state ``state``,
    following names through the assignments of the enclosing function and calls of the class's
    own methods (``self.init_hidden(bs)``) through what they return."""
    definitions = definitions_of(scope, anchor)
    found: list[StridedView] = []
    pending: list[tuple[Any, int, int]] = [(state, definitions.anchor_order or 0, hops)]
    while pending:
        node, order, hops = pending.pop()
        if node is None:
            continue
        view = _view(node)
        if view is not None:
            if not _undoes_a_transpose(view, definitions, order):
                found.append(view)
            continue
        parts = _element_views(node)
        if parts:
            pending.extend((part, order, hops) for part in parts)
            continue
        if hops >= _MAX_NAME_HOPS or not order:
            continue
        if isinstance(node, cst.Subscript):
            pending.extend((part, order, hops + 1) for part in _picked(node, definitions, order))
            continue
        method = _own_method(node, methods)
        if method is not None:
            found.extend(_returned_views(method, methods, hops + 1))
            continue
        name = dotted_name(node)
        if name is not None:
            value, bound_at = definitions.reaching(name, order)
            pending.append((value, bound_at, hops + 1))
    return found


def _own_method(node: Any, methods: dict[str, Any]) -> Any:
    """The method of this class that ``self.name(...)`` calls, if any."""
    if not isinstance(node, cst.Call) or not isinstance(node.func, cst.Attribute):
        return None
    if dotted_name(node.func.value) != "self":
        return None
    return methods.get(node.func.attr.value)


def _returned_views(method: Any, methods: dict[str, Any], hops: int) -> list[StridedView]:
    """The views a helper such as ``init_hidden`` returns."""
    returns = definitions_of(method, None)
    found: list[StridedView] = []
    for statement in returns.returns:
        if statement.value is not None:
            found.extend(strided_views_of_state(statement.value, method, statement, methods, hops))
    return found


def class_methods(module: cst.Module) -> dict[int, dict[str, Any]]:
    """``id(method) -> {name: method}`` of its class, for every method in ``module``.

    Walks statements only (classes live in statement bodies): a visitor over every expression
    node cost most of a lint run's time."""
    found: dict[int, dict[str, Any]] = {}
    pending: list[Any] = list(module.body)
    while pending:
        statement = pending.pop()
        if isinstance(statement, cst.ClassDef) and isinstance(statement.body, cst.IndentedBlock):
            body = statement.body.body
            methods = {item.name.value: item for item in body if isinstance(item, cst.FunctionDef)}
            for method in methods.values():
                found[id(method)] = methods
        pending.extend(_nested_statements(statement))
    return found


def _nested_statements(statement: Any) -> list[Any]:
    """The statements inside a compound statement's blocks (if/else, try/except, loops, ...)."""
    nested: list[Any] = []
    for block in (
        getattr(statement, "body", None),
        getattr(statement, "orelse", None),
        getattr(statement, "finalbody", None),
        *getattr(statement, "handlers", ()),
        *getattr(statement, "cases", ()),
    ):
        if isinstance(block, cst.If):  # an elif: a statement with blocks of its own
            nested.append(block)
            continue
        if not isinstance(block, cst.CSTNode):
            continue
        inner = getattr(block, "body", None)
        if isinstance(inner, cst.BaseSuite):
            inner = inner.body
        if isinstance(inner, (list, tuple)):
            nested.extend(item for item in inner if isinstance(item, cst.BaseCompoundStatement))
    return nested


def _undoes_a_transpose(view: StridedView, definitions: _Definitions, order: int) -> bool:
    """``h.transpose(0, 1)`` where ``h`` is itself transposed may well restore the layout: the
    rule cannot show that it does not, so it stays quiet."""
    base = view.transposed_from
    for _ in range(_MAX_NAME_HOPS):
        if base is None:
            return False
        inner = _view(base)
        if inner is not None:
            return inner.transposed_from is not None
        name = dotted_name(base)
        if name is None:
            return False
        base, order = definitions.reaching(name, order)
    return True


def _picked(node: cst.Subscript, definitions: _Definitions, order: int) -> list[Any]:
    """``hidden[0]`` where ``hidden`` is bound to a tuple, a list or a comprehension of views."""
    name = dotted_name(node.value)
    if name is None or len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
        return []
    value, _ = definitions.reaching(name, order)
    parts = _element_views(value)
    index = _literal_int(node.slice[0].slice.value)
    if isinstance(value, (cst.Tuple, cst.List)):
        return [parts[index]] if index is not None and -len(parts) <= index < len(parts) else []
    return parts  # a comprehension: every element is alike


def _state_argument(call: Any) -> Any:
    """The expression passed as ``hx`` (second positional or ``hx=``), if any."""
    for position, arg in enumerate(call.args):
        if arg.star:
            return None
        if (arg.keyword is None and position == 1) or (
            arg.keyword is not None and arg.keyword.value == "hx"
        ):
            return arg.value
    return None


def has_several_rows(site: CallSite) -> bool:
    """The state has two rows or more (bidirectional, or two layers or more), so slicing past
    the first dimension or transposing it really changes its layout."""
    if site.bidirectional is True:
        return True
    layers = site.rnn.num_layers
    return layers is not None and layers.int_value is not None and layers.int_value >= 2


def _finding(view: StridedView, site: CallSite, context: RuleContext) -> RawFinding:
    text = context.code(view.node)
    fixed = f"{text}.contiguous()"
    message = MESSAGE.format(state=text, rnn=site.rnn.label, why=view.why, fixed=fixed)
    return RawFinding(view.node, message, ((view.node, fixed),))


def check(context: RuleContext) -> Iterator[RawFinding]:
    reported: set[int] = set()
    methods_of: dict[int, dict[str, Any]] | None = None  # built once a call passes a state
    for call in context.events.calls:
        if isinstance(call.input, Packed):
            continue
        state = _state_argument(call.site.node)
        if state is None:
            continue
        several_rows = has_several_rows(call.site)
        scope = call.scope.node
        if methods_of is None:
            methods_of = class_methods(context.module)
        methods = methods_of.get(id(scope), {})
        for view in strided_views_of_state(state, scope, call.site.node, methods):
            if id(view.node) in reported or (view.needs_several_rows and not several_rows):
                continue
            reported.add(id(view.node))
            yield _finding(view, call.site, context)


RULE = Rule(CODE, NAME, SUMMARY, MESSAGE, True, FIX, WRONG, RIGHT, check, EVIDENCE)
