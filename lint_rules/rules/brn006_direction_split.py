"""BRN006: states or outputs split with directions before layers.

h_n is ``(num_layers * 2, B, H)`` with row ``2 * layer + direction``: ``view(num_layers, 2, B, H)``
separates layers from directions, while ``view(2, num_layers, B, H)``, ``h_n[:num_layers]`` or
``h_n.chunk(2)`` mix layers and directions as soon as there is more than one layer. The output's
features are ``[forward H; backward H]``: ``view(..., 2, H)``, not ``view(..., H, 2)``.
Flattening h_n batch-major without a transpose first (``h_n.view(B, -1)``,
``view(-1, 2 * H, 1)``) puts several batch elements in one row.
"""

from __future__ import annotations

from collections.abc import Iterator

from lint_rules.rules.base import RawFinding, Rule, RuleContext, is_direction_count
from lint_rules.values import Sym, TensorFact, keys_match, tri_and

CODE = "BRN006"
NAME = "direction-split-order"
SUMMARY = (
    "states or outputs split with directions before layers, e.g. `h_n.view(2, num_layers, B, H)` "
    "instead of `view(num_layers, 2, B, H)`"
)
MESSAGE = (
    "`{expression}` splits bidirectional `{rnn}`'s {what} in the wrong order: {layout}; "
    "write `{right}`"
)
_STATE_LAYOUT = "h_n's rows are layer-major (row 2 * layer + direction)"
_OUTPUT_LAYOUT = "the output's features are [forward H; backward H]"
_FLATTEN_LAYOUT = (
    "h_n is (layers * directions, B, H), so a batch-major view without a transpose first puts "
    "several batch elements in one row"
)

_JOIN_LAYOUT = (
    "h_n is (layers * directions, B, H) with each row holding the whole batch, so a view to "
    "(layers, B, 2H) joins two batch elements' states instead of a layer's two directions"
)

WRONG = (
    """
import torch.nn as nn


class Encoder(nn.Module):
    def __init__(self, input_size, hidden_size, num_layers=2):
        super().__init__()
        self.num_layers = num_layers
        self.hidden_size = hidden_size
        self.rnn = nn.GRU(input_size, hidden_size, num_layers, bidirectional=True)

    def forward(self, x):
        _, h_n = self.rnn(x)
        h_n = h_n.view(2, self.num_layers, x.size(1), self.hidden_size)
        return h_n[:, -1]
""",
    """
import torch
import torch.nn as nn


class Encoder(nn.Module):
    def __init__(self, input_size, hidden_size, num_layers=3):
        super().__init__()
        self.num_layers = num_layers
        self.rnn = nn.LSTM(input_size, hidden_size, num_layers, bidirectional=True)

    def forward(self, x):
        _, (h_n, _) = self.rnn(x)
        forward_states = h_n[:self.num_layers]
        backward_states = h_n[self.num_layers:]
        return torch.cat((forward_states[-1], backward_states[-1]), dim=1)
""",
    """
import torch.nn as nn


class Classifier(nn.Module):
    def __init__(self, input_size, hidden_size, num_classes):
        super().__init__()
        self.rnn = nn.GRU(input_size, hidden_size, batch_first=True, bidirectional=True)
        self.head = nn.Linear(2 * hidden_size, num_classes)

    def forward(self, x):
        _, h_n = self.rnn(x)
        return self.head(h_n.view(x.size(0), -1))
""",
    """
import torch.nn as nn


class VisualEncoder(nn.Module):
    def __init__(self, n_features, hidden, num_layers=1):
        super().__init__()
        self.num_layers = num_layers
        self.gru = nn.GRU(n_features, hidden, num_layers, batch_first=True, bidirectional=True)

    def forward(self, x):
        out, hn = self.gru(x)
        hn = hn.reshape(self.num_layers, hn.size(1), -1)
        return out, hn
""",
)

RIGHT = (
    """
import torch.nn as nn


class Encoder(nn.Module):
    def __init__(self, input_size, hidden_size, num_layers=2):
        super().__init__()
        self.num_layers = num_layers
        self.hidden_size = hidden_size
        self.rnn = nn.GRU(input_size, hidden_size, num_layers, bidirectional=True)

    def forward(self, x):
        out, h_n = self.rnn(x)
        h_n = h_n.view(self.num_layers, 2, x.size(1), self.hidden_size)
        halves = out.view(x.size(0), x.size(1), 2, self.hidden_size)
        return h_n[-1], halves[:, :, 0]
""",
    '''
import torch.nn as nn


class Encoder(nn.Module):
    """One layer: the two rows of h_n are exactly the two directions."""

    def __init__(self, input_size, hidden_size):
        super().__init__()
        self.rnn = nn.LSTM(input_size, hidden_size, bidirectional=True)

    def forward(self, x):
        _, (h_n, _) = self.rnn(x)
        forward_state, backward_state = h_n.chunk(2, 0)
        return forward_state + backward_state
''',
    '''
import torch.nn as nn


class Classifier(nn.Module):
    """Batch first before flattening: each row holds one sequence's two directions."""

    def __init__(self, input_size, hidden_size, num_classes):
        super().__init__()
        self.rnn = nn.GRU(input_size, hidden_size, batch_first=True, bidirectional=True)
        self.head = nn.Linear(2 * hidden_size, num_classes)

    def forward(self, x):
        _, h_n = self.rnn(x)
        return self.head(h_n.transpose(0, 1).reshape(x.size(0), -1))
''',
    """
import torch.nn as nn


class VisualEncoder(nn.Module):
    def __init__(self, n_features, hidden, num_layers=1):
        super().__init__()
        self.num_layers = num_layers
        self.gru = nn.GRU(n_features, hidden, num_layers, batch_first=True, bidirectional=True)

    def forward(self, x):
        out, hn = self.gru(x)
        batch = hn.size(1)
        hn = hn.view(self.num_layers, 2, batch, -1).transpose(1, 2)
        return out, hn.reshape(self.num_layers, batch, -1)
""",
)


def _batch_size_of_another_tensor(node, reshape) -> bool:
    """The batch size read off a tensor: ``x.size(0)``, ``x.shape[0]``, or the state's own
    ``h_n.size(1)`` / ``h_n.size()[1]`` / ``h_n.shape[1]`` (its rows are ``h_n.size(0)``)."""
    import libcst as cst

    state = reshape.func.value if isinstance(reshape.func, cst.Attribute) else None
    of, position = _sized(node)
    if of is None:
        return False
    if state is not None and of.deep_equals(state):
        return position == 1
    return position in (0, 1)


def _sized(node) -> tuple:
    """(tensor, dimension) for ``t.size(k)``, ``t.size()[k]``, ``t.shape[k]``; else (None, None)."""
    import libcst as cst

    def integer(expression) -> int | None:
        return int(expression.value) if isinstance(expression, cst.Integer) else None

    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
        if node.func.attr.value == "size" and len(node.args) == 1:
            return node.func.value, integer(node.args[0].value)
    if isinstance(node, cst.Subscript) and len(node.slice) == 1:
        index = node.slice[0].slice
        position = integer(index.value) if isinstance(index, cst.Index) else None
        base = node.value
        if isinstance(base, cst.Attribute) and base.attr.value == "shape":
            return base.value, position
        if (
            isinstance(base, cst.Call)
            and isinstance(base.func, cst.Attribute)
            and base.func.attr.value == "size"
            and not base.args
        ):
            return base.func.value, position
    return None, None


def _flattens_across_the_batch(sizes: tuple, rnn, node) -> bool:
    """``h_n.view(B, -1)``, ``view(batch, H * num_directions)``, ``view(-1, 2 * H, 1)``: the
    rows of h_n are (layer, direction) pairs, each holding the whole batch, so a batch-major
    view without a transpose first puts several batch elements in one row."""
    if len(sizes) not in (2, 3) or not node.args:
        return False
    first, second = sizes[0], sizes[1]
    if first is None:
        if not _batch_size_of_another_tensor(node.args[0].value, node):
            return False
        first = Sym(("batch",))
    if is_direction_count(first) or first.int_value in (1, 2):
        return False  # rows by direction or layer: not batch-major
    if rnn.num_layers is not None and keys_match(first.key, rnn.num_layers.key):
        return False
    if first.key[0] == "bin":
        return False  # view(num_layers * 2, -1) and the like keep the rows
    if len(sizes) == 2 and second is not None and second.int_value == -1:
        return first.int_value != -1
    return second is not None and _is_both_directions(second, rnn)


def _joins_directions_across_the_batch(sizes: tuple, rnn, node) -> bool:
    """``h_n.reshape(num_layers, B, -1)`` / ``view(num_layers, B, 2 * H)``: meant to put each
    layer's two directions side by side, but h_n's rows are (layer, direction) pairs each holding
    the whole batch, so row b of the result joins batch elements 2b and 2b + 1 of one direction."""
    if len(sizes) != 3 or len(node.args) != 3 or rnn.num_layers is None:
        return False
    layers, batch, features = sizes
    if layers is None or not (
        keys_match(layers.key, rnn.num_layers.key)
        or (layers.int_value is not None and layers.int_value == rnn.num_layers.int_value)
    ):
        return False
    if features is None:
        return False
    if features.int_value == -1:
        if batch is None:
            return _batch_size_of_another_tensor(node.args[1].value, node)
        return False  # (layers, k, -1): a split of the rows' contents, not a join
    if not _is_both_directions(features, rnn):
        return False
    return (
        batch is None
        or batch.int_value == -1
        or not (is_direction_count(batch) or batch.int_value is not None or batch.key[0] == "bin")
    )


def _is_both_directions(size, rnn) -> bool:
    """``2 * H``, ``H * 2``, ``H * num_directions``; ``10`` when H is the literal 5 (module
    constants fold)."""
    hidden = rnn.output_size
    key = size.key
    if hidden is not None and hidden.int_value and size.int_value is not None:
        return size.int_value == 2 * hidden.int_value
    if hidden is None or key[0] != "bin" or key[1] != "*":
        return False
    first, second = Sym(key[2]), Sym(key[3])
    return (is_direction_count(first) and keys_match(second.key, hidden.key)) or (
        is_direction_count(second) and keys_match(first.key, hidden.key)
    )


def check(context: RuleContext) -> Iterator[RawFinding]:
    for reshape in context.events.reshapes:
        fact, sizes = reshape.value, reshape.sizes
        if not _bidirectional_here(fact, reshape.guard):
            continue
        rnn = fact.site.rnn
        if fact.role == "state" and _flattens_across_the_batch(sizes, rnn, reshape.node):
            state = context.code(reshape.node.func.value)
            arguments = ", ".join(context.code(arg.value) for arg in reshape.node.args)
            right = f"{state}.transpose(0, 1).reshape({arguments})"
            yield _finding(context, reshape.node, fact, "state", _FLATTEN_LAYOUT, right)
        elif fact.role == "state" and _joins_directions_across_the_batch(sizes, rnn, reshape.node):
            state = context.code(reshape.node.func.value)
            arguments = [context.code(arg.value) for arg in reshape.node.args]
            right = (
                f"{state}.view({arguments[0]}, 2, {arguments[1]}, -1).transpose(1, 2)"
                f".reshape({', '.join(arguments)})"
            )
            yield _finding(context, reshape.node, fact, "state", _JOIN_LAYOUT, right)
        elif fact.role == "state" and len(sizes) >= 3 and not rnn.has_single_layer:
            if is_direction_count(sizes[0]) and sizes[1] is not None and rnn.num_layers is not None:
                if keys_match(sizes[1].key, rnn.num_layers.key):
                    right = _swapped(context, reshape.node, 0, 1)
                    yield _finding(context, reshape.node, fact, "state", _STATE_LAYOUT, right)
        elif fact.role in ("output", "step") and len(sizes) >= 2 and rnn.output_size is not None:
            if is_direction_count(sizes[-1]) and sizes[-2] is not None:
                if keys_match(sizes[-2].key, rnn.output_size.key):
                    right = _swapped(context, reshape.node, len(sizes) - 2, len(sizes) - 1)
                    yield _finding(context, reshape.node, fact, "output", _OUTPUT_LAYOUT, right)
    for index in context.events.indexes:
        fact = index.value
        if fact.role != "state" or not index.items or index.items[0][0] != "slice":
            continue
        rnn = fact.site.rnn
        if rnn.has_single_layer or rnn.num_layers is None:
            continue
        if tri_and(fact.site.bidirectional, index.guard) is not True:
            continue
        _, lower, upper = index.items[0]
        bound = upper if lower is None or lower.int_value == 0 else lower
        if bound is not None and keys_match(bound.key, rnn.num_layers.key):
            state = context.code(index.node.value)
            right = f"{state}.view(num_layers, 2, batch, hidden)[:, 0]"
            yield _finding(context, index.node, fact, "state", _STATE_LAYOUT, right)
    for chunk in context.events.chunks:
        fact = chunk.value
        layers = fact.site.rnn.num_layers
        if layers is None or layers.int_value == 1:
            continue
        if tri_and(fact.site.bidirectional, chunk.guard) is True:
            state = (
                context.code(chunk.node.func.value) if hasattr(chunk.node.func, "value") else "h_n"
            )
            right = f"{state}.view(num_layers, 2, batch, hidden)"
            yield _finding(context, chunk.node, fact, "state", _STATE_LAYOUT, right)


def _bidirectional_here(fact: TensorFact, guard) -> bool:
    return tri_and(fact.site.bidirectional, guard) is True


def _swapped(context: RuleContext, call, first: int, second: int) -> str:
    arguments = [context.code(arg.value) for arg in call.args]
    if len(arguments) > max(first, second):
        arguments[first], arguments[second] = arguments[second], arguments[first]
    return f"{context.code(call.func)}({', '.join(arguments)})"


def _finding(
    context: RuleContext, node, fact: TensorFact, what: str, layout: str, right: str
) -> RawFinding:
    message = MESSAGE.format(
        expression=context.code(node),
        rnn=fact.site.rnn.label,
        what=what,
        layout=layout,
        right=right,
    )
    return RawFinding(node, message, origin=fact.site.rnn.origin)


NOTES = (
    "also finds h_n flattened batch-major without a transpose first: `h_n.view(B, -1)`, "
    "`hidden.view(batch, H * num_directions)`, `final_state.view(-1, 2 * H, 1)`; its rows are "
    "(layer, direction) pairs holding the whole batch, so such a view puts several batch elements "
    "in one row. Write `h_n.transpose(0, 1).reshape(B, -1)`. Also `h_n.reshape(num_layers, "
    "h_n.size(1), -1)` and `view(num_layers, B, 2 * H)`, meant to join each layer's two "
    "directions, join two batch elements instead: write `h_n.view(num_layers, 2, B, H)"
    ".transpose(1, 2).reshape(num_layers, B, 2 * H)`. A state handed to a method or "
    "function of the same module (`self.attention(output, h_n)`) is followed into it"
)

# The model-level clause that confirms a finding at runtime (docs/SPECIFICATION.md).
MODEL_CHECK = (
    "M2 batch-independence for a batch-major view of the state (`h_n.view(B, -1)` puts several "
    "batch elements in one row); none for a direction-first split, whose wrong rows still "
    "belong to the same sequence (fixtures/models/brn006_*)"
)
RULE = Rule(
    CODE,
    NAME,
    SUMMARY,
    MESSAGE,
    False,
    "",
    WRONG,
    RIGHT,
    check,
    notes=NOTES,
    model_check=MODEL_CHECK,
)
