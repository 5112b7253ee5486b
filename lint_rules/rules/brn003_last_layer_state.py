"""BRN003: ``h_n[-1]`` of a bidirectional RNN used as the sequence summary.

h_n's rows are layer-major, direction-minor (row ``2 * layer + direction``), so its last row is the
last layer's *backward* direction only; the forward direction's summary is ``h_n[-2]``.

The same order undoes ``encoder_hidden[:decoder.n_layers]`` (PyTorch's chatbot tutorial and its
copies), where the encoder's forward returns a bidirectional RNN's h_n to a training script: a
layer count of leading rows is layer 0's forward and backward states, not one state per layer
nor the last layer. The project index follows the encoder instance from where it is built to the
call whose result is sliced (``project_index_states``). With a one-layer encoder the slice
``[:n_layers]`` may be the whole state (a decoder with twice the layers), so only ``[:1]``, the
forward direction alone, is reported there, as ``h_n[-1]`` is.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import libcst as cst

from lint_rules.rules.base import RawFinding, Rule, RuleContext
from lint_rules.unpacked_states import state_slices
from lint_rules.values import tri_and

CODE = "BRN003"
NAME = "last-layer-state-misread"
SUMMARY = (
    "`h_n[-1]` (or `hidden[-1]`, `h_n[-1, :, :]`) used as the sequence summary of a bidirectional "
    "RNN: it is only the backward direction of the last layer"
)
MESSAGE = (
    "`{expression}` of bidirectional `{rnn}` is only the last layer's backward direction; "
    "use both directions: `torch.cat(({state}[-2], {state}[-1]), dim=-1)`"
)

SLICE_MESSAGE = (
    "`{expression}` takes {which} rows of bidirectional `{rnn}`'s h_n, whose rows run [layer 0 "
    "forward, layer 0 backward, layer 1 forward, ...]: {what}, not one state per layer; use "
    "`{state}.view(num_layers, 2, batch, hidden)[-{count}:].sum(1)` for the last layers with "
    "both directions summed (or concatenate the directions)"
)
ONE_LAYER_MESSAGE = (
    "`{expression}` of one-layer bidirectional `{rnn}` is only its forward direction; "
    "use both directions: `torch.cat(({state}[0], {state}[1]), dim=-1)` or their sum"
)
_NOT_A_LAYER_COUNT = re.compile(r"idx|index|size|dim|norm|drop", re.IGNORECASE)

WRONG = (
    '''
import torch.nn as nn


class TextClassifier(nn.Module):
    def __init__(self, vocab_size, embed_dim, hidden_dim, n_classes):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim)
        self.rnn = nn.LSTM(embed_dim, hidden_dim, num_layers=2, batch_first=True,
                           bidirectional=True)
        self.fc = nn.Linear(hidden_dim, n_classes)

    def forward(self, tokens):
        _, (hidden, _) = self.rnn(self.embedding(tokens))
        return self.fc(hidden[-1])
''',
    '''
import torch.nn as nn


class SpeakerEncoder(nn.Module):
    def __init__(self, n_mels=40, hidden=256):
        super().__init__()
        self.gru = nn.GRU(n_mels, hidden, batch_first=True, bidirectional=True)

    def forward(self, mels):
        _, h_n = self.gru(mels)
        embedding = h_n[-1, :, :]
        return embedding / embedding.norm(dim=1, keepdim=True)
''',
)

RIGHT = (
    '''
import torch
import torch.nn as nn


class TextClassifier(nn.Module):
    def __init__(self, embed_dim, hidden_dim, n_classes):
        super().__init__()
        self.rnn = nn.LSTM(embed_dim, hidden_dim, num_layers=2, bidirectional=True)
        self.fc = nn.Linear(hidden_dim * 2, n_classes)

    def forward(self, embedded):
        _, (hidden, _) = self.rnn(embedded)
        return self.fc(torch.cat((hidden[-2], hidden[-1]), 1))
''',
    '''
import torch.nn as nn


class LanguageModel(nn.Module):
    """Unidirectional: h_n[-1] and out[-1] are the whole summary."""

    def __init__(self, vocab_size, hidden_size):
        super().__init__()
        self.rnn = nn.GRU(hidden_size, hidden_size, num_layers=2)
        self.decoder = nn.Linear(hidden_size, vocab_size)

    def forward(self, x):
        out, h_n = self.rnn(x)
        return self.decoder(out[-1]) + self.decoder(h_n[-1])
''',
    '''
import torch
import torch.nn as nn


class Encoder(nn.Module):
    def __init__(self, input_size, hidden_size, bidirectional):
        super().__init__()
        self.bidirectional = bidirectional
        self.rnn = nn.GRU(input_size, hidden_size, bidirectional=bidirectional)

    def forward(self, x):
        _, h_n = self.rnn(x)
        if self.bidirectional:
            return torch.cat([h_n[-2, :, :], h_n[-1, :, :]], dim=1)
        return h_n[-1]
''',
    '''
import torch.nn as nn


class Encoder(nn.Module):
    def __init__(self, input_size, hidden_size, num_layers):
        super().__init__()
        self.num_layers = num_layers
        self.hidden_size = hidden_size
        self.rnn = nn.LSTM(input_size, hidden_size, num_layers, bidirectional=True)

    def forward(self, x):
        _, (h_n, _) = self.rnn(x)
        by_layer = h_n.view(self.num_layers, 2, x.size(1), self.hidden_size)
        last = by_layer[-1]
        return last.transpose(0, 1).reshape(x.size(1), 2 * self.hidden_size)
''',
)


def check(context: RuleContext) -> Iterator[RawFinding]:
    rows_read: dict[tuple[int, int, str], set] = {}
    for index in context.events.indexes:
        fact = index.value
        if index.guard is not False and fact.role == "state" and index.items:
            key = (id(index.scope), id(fact.site), fact.part)
            rows_read.setdefault(key, set()).add(index.items[0])
    for index in context.events.indexes:
        fact = index.value
        if fact.role != "state" or index.result is None or index.items[0] != ("int", -1):
            continue
        if tri_and(fact.site.bidirectional, index.guard) is not True:
            continue
        if rows_read[(id(index.scope), id(fact.site), fact.part)] - {("int", -1)}:
            continue  # the other direction is read too: a concatenation written out by hand
        state = context.code(index.node.value)
        message = MESSAGE.format(
            expression=context.code(index.node), rnn=fact.site.rnn.label, state=state
        )
        yield RawFinding(index.node, message, origin=fact.site.rnn.origin)
    yield from _layer_count_slices(context)


def _layer_count_slices(context: RuleContext) -> Iterator[RawFinding]:
    """``h[:n_layers]`` / ``h[-n_layers:]`` of a bidirectional h_n another module's forward
    returned (the project index's ``bidirectional_states``)."""
    states = {(s.scope, s.callee, s.position): s for s in context.events.bidirectional_states}
    for found in state_slices(context.module, states):
        state = states[(found.scope, found.callee, found.position)]
        lower, upper = found.lower, found.upper
        if lower is None or _is_zero(lower):
            bound, which = upper, "the first"
            what = (
                "they are the first layers' two directions (2 rows: layer 0 forward and "
                "backward; 1 row: the forward direction alone)"
            )
        elif upper is None and _negated(lower) is not None:
            bound, which = _negated(lower), "the last"
            what = "they are the last layers' two directions, interleaved"
        else:
            continue
        fields = {
            "expression": context.code(found.node),
            "rnn": state.rnn,
            "state": context.code(found.node.value),
        }
        if state.layers == 1:
            if which == "the first" and _is_one(bound):
                message = ONE_LAYER_MESSAGE.format(**fields)
                yield RawFinding(found.node, message, origin=state.origin)
            continue
        if bound is None or not _is_layer_count(bound):
            continue
        count = context.code(bound)
        message = SLICE_MESSAGE.format(**fields, which=which, what=what, count=count)
        yield RawFinding(found.node, message, origin=state.origin)


def _is_layer_count(node) -> bool:
    """``n_layers``, ``decoder.n_layers``, ``self.num_layers``: a name that counts layers."""
    while isinstance(node, cst.Attribute):
        node = node.attr
    if not isinstance(node, cst.Name):
        return False
    name = node.value
    return "layer" in name.lower() and not _NOT_A_LAYER_COUNT.search(name)


def _negated(node):
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        return node.expression
    return None


def _is_zero(node) -> bool:
    return isinstance(node, cst.Integer) and node.evaluated_value == 0


def _is_one(node) -> bool:
    return isinstance(node, cst.Integer) and node.evaluated_value == 1


# The model-level clause that confirms a finding at runtime (docs/SPECIFICATION.md).
MODEL_CHECK = (
    "none: with packing, `h_n[-1]` is a wrong but legal function of each sequence alone, so "
    "M1-M3 hold (fixtures/models/brn003_*)"
)
NOTES = (
    "it also reports `encoder_hidden[:decoder.n_layers]` (or `[-n_layers:]`), a layer count of "
    "rows of the h_n that a bidirectional encoder's `forward` returns to another function or "
    "module (PyTorch's chatbot tutorial and its copies): the rows run [layer 0 forward, layer 0 "
    "backward, layer 1 forward, ...], so they are layer 0's two directions, not one state per "
    "layer. The message names the encoder's RNN and where it is bidirectional. The encoder is "
    "followed from where the project builds it (a local or module-level `EncoderRNN(...)`, "
    "`self.encoder` set in `__init__`, a function's return value, a parameter every call site of "
    "which passes such an instance); anything else on the way and it stays quiet. With a "
    "one-layer encoder only `[:1]`, the forward direction alone, is reported: `[:n_layers]` may "
    "then be the whole state. Slices with a direction-aware bound (`[-2:]`, `[:2 * n_layers]`) "
    "or after `.view(num_layers, 2, B, H)` are right"
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
    model_check=MODEL_CHECK,
    notes=NOTES,
)
