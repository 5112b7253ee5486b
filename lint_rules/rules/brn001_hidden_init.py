"""BRN001: an initial state for a bidirectional RNN built with the layer count (or 1) rows.

h0/c0 have ``num_layers * 2`` rows for a bidirectional RNN. Built with ``num_layers`` rows, torch
raises at the first call, or, worse, code sized for one layer and one direction is copied into a
bidirectional model and fails far from the cause.
"""

from __future__ import annotations

from collections.abc import Iterator

from lint_rules.rules.base import RawFinding, Rule, RuleContext, doubled
from lint_rules.values import Builder, RnnInfo, builders_in, keys_match, tri_and

CODE = "BRN001"
NAME = "hidden-init-missing-directions"
SUMMARY = (
    "an initial h0/c0 for a bidirectional RNN built with a first dimension of the layer count "
    "or 1 instead of layers × 2"
)
MESSAGE = (
    "initial state for bidirectional `{rnn}` has `{first}` rows, but a bidirectional RNN needs "
    "num_layers * 2 (one per layer and direction); write `{fixed}`"
)
FIX = "multiplies the first dimension by 2 (or by the code's `num_directions` where it has one)"

WRONG = (
    '''
import torch
import torch.nn as nn


class BiLSTMTagger(nn.Module):
    def __init__(self, vocab_size, embedding_dim, hidden_dim, num_layers=2):
        super().__init__()
        self.num_layers = num_layers
        self.hidden_dim = hidden_dim
        self.embedding = nn.Embedding(vocab_size, embedding_dim)
        self.lstm = nn.LSTM(embedding_dim, hidden_dim, num_layers, bidirectional=True)

    def init_hidden(self, batch_size):
        return (torch.zeros(self.num_layers, batch_size, self.hidden_dim),
                torch.zeros(self.num_layers, batch_size, self.hidden_dim))

    def forward(self, tokens):
        hidden = self.init_hidden(tokens.size(1))
        out, hidden = self.lstm(self.embedding(tokens), hidden)
        return out
''',
    '''
import torch
from torch import nn


class Encoder(nn.Module):
    def __init__(self, input_dim, hidden_size):
        super().__init__()
        self.hidden_size = hidden_size
        self.gru = nn.GRU(input_dim, hidden_size, batch_first=True, bidirectional=True)

    def forward(self, x):
        h0 = torch.zeros(1, x.size(0), self.hidden_size, device=x.device)
        out, h_n = self.gru(x, h0)
        return out, h_n
''',
    '''
import torch
import torch.nn as nn
from torch.autograd import Variable


class SpeechEncoder(nn.Module):
    def __init__(self, n_mels, hidden_size, n_layers=3):
        super().__init__()
        self.n_layers = n_layers
        self.hidden_size = hidden_size
        self.rnn = nn.LSTM(n_mels, hidden_size, n_layers, batch_first=True, bidirectional=True)

    def forward(self, features):
        batch = features.size(0)
        h0 = Variable(torch.zeros(self.n_layers, batch, self.hidden_size)).cuda()
        c0 = Variable(torch.zeros(self.n_layers, batch, self.hidden_size)).cuda()
        out, _ = self.rnn(features, (h0, c0))
        return out
''',
    '''
import torch.nn as nn


class Tagger(nn.Module):
    def __init__(self, emb_dim, hidden, layers):
        super().__init__()
        self.layers = layers
        self.hidden = hidden
        self.rnn = nn.GRU(emb_dim, hidden, num_layers=layers, bidirectional=True)

    def forward(self, x):
        h0 = x.new_zeros(self.layers, x.size(1), self.hidden)
        return self.rnn(x, h0)[0]
''',
    '''
import torch
import torch.nn as nn


class PosTagger(nn.Module):
    def __init__(self, embed_dim, hidden_dim, n_tags):
        super().__init__()
        self.hidden_dim = hidden_dim
        self.lstm = nn.LSTM(embed_dim, hidden_dim, bidirectional=True)
        self.fc = nn.Linear(2 * hidden_dim, n_tags)

    def init_hidden(self, batch_size):
        return (torch.zeros(1, batch_size, self.hidden_dim),
                torch.zeros(1, batch_size, self.hidden_dim))

    def forward(self, embedded, hidden):
        out, hidden = self.lstm(embedded, hidden)
        return self.fc(out), hidden
''',
)

RIGHT = (
    '''
import torch
import torch.nn as nn


class BiLSTMTagger(nn.Module):
    def __init__(self, embedding_dim, hidden_dim, num_layers=2):
        super().__init__()
        self.num_layers = num_layers
        self.hidden_dim = hidden_dim
        self.lstm = nn.LSTM(embedding_dim, hidden_dim, num_layers, bidirectional=True)

    def init_hidden(self, batch_size):
        return (torch.zeros(self.num_layers * 2, batch_size, self.hidden_dim),
                torch.zeros(2 * self.num_layers, batch_size, self.hidden_dim))

    def forward(self, embedded):
        out, hidden = self.lstm(embedded, self.init_hidden(embedded.size(1)))
        return out
''',
    '''
import torch
import torch.nn as nn


class Encoder(nn.Module):
    def __init__(self, input_dim, hidden_size, num_layers=1, bidirectional=True):
        super().__init__()
        self.num_layers = num_layers
        self.hidden_size = hidden_size
        self.num_directions = 2 if bidirectional else 1
        self.rnn = nn.GRU(input_dim, hidden_size, num_layers, bidirectional=bidirectional)

    def forward(self, x):
        h0 = torch.zeros(self.num_layers * self.num_directions, x.size(1), self.hidden_size)
        return self.rnn(x, h0)
''',
    '''
import torch
import torch.nn as nn


class Encoder(nn.Module):
    def __init__(self, input_dim, hidden_size, num_layers, bidirectional):
        super().__init__()
        self.bidirectional = bidirectional
        self.num_layers = num_layers
        self.hidden_size = hidden_size
        self.rnn = nn.LSTM(input_dim, hidden_size, num_layers, bidirectional=bidirectional)

    def forward(self, x):
        batch = x.size(1)
        if self.bidirectional:
            shape = (2 * self.num_layers, batch, self.hidden_size)
        else:
            shape = (self.num_layers, batch, self.hidden_size)
        h0 = torch.zeros(shape)
        c0 = torch.zeros(shape)
        return self.rnn(x, (h0, c0))
''',
    '''
import torch
import torch.nn as nn


class Decoder(nn.Module):
    """A unidirectional decoder: num_layers rows are right."""

    def __init__(self, hidden_size, num_layers=2):
        super().__init__()
        self.num_layers = num_layers
        self.hidden_size = hidden_size
        self.rnn = nn.GRU(hidden_size, hidden_size, num_layers)

    def init_hidden(self, batch_size):
        return torch.zeros(self.num_layers, batch_size, self.hidden_size)

    def forward(self, x, hidden):
        return self.rnn(x, hidden)
''',
    '''
import torch
import torch.nn as nn

encoder = nn.LSTM(40, 128, bidirectional=True)
h0 = torch.zeros(2, 8, 128)
c0 = torch.zeros(2, 8, 128)
output, (h_n, c_n) = encoder(torch.randn(50, 8, 40), (h0, c0))
''',
    '''
import torch
import torch.nn as nn


class PosTagger(nn.Module):
    """`init_hidden` is left over: no call of the LSTM takes a state, so its state reaches
    nothing."""

    def __init__(self, embed_dim, hidden_dim, n_tags):
        super().__init__()
        self.hidden_dim = hidden_dim
        self.lstm = nn.LSTM(embed_dim, hidden_dim, bidirectional=True)
        self.fc = nn.Linear(2 * hidden_dim, n_tags)
        self.hidden = self.init_hidden(1)

    def init_hidden(self, batch_size):
        return (torch.zeros(1, batch_size, self.hidden_dim),
                torch.zeros(1, batch_size, self.hidden_dim))

    def forward(self, embedded):
        out, _ = self.lstm(embedded)
        return self.fc(out)
''',
)


def wrong_first_dimension(builder: Builder, rnn: RnnInfo) -> bool:
    """The first dimension is known to be the layer count (or 1) rather than layers * 2."""
    first = builder.first_dim
    if first is None:
        return False
    rows = first.int_value
    layers = rnn.num_layers
    if rows is not None:
        if rows == 1:
            return True
        if layers is not None and layers.int_value is not None:
            return rows == layers.int_value
        return False
    return layers is not None and keys_match(first.key, layers.key)


def _finding(builder: Builder, rnn: RnnInfo, context: RuleContext) -> RawFinding | None:
    node = builder.first_dim.node if builder.first_dim is not None else None
    if node is None:
        return None
    factor = builder.directions_name or "2"
    fixed = doubled(node, context, factor)
    message = MESSAGE.format(rnn=rnn.label, first=context.code(node), fixed=fixed)
    return RawFinding(node, message, ((node, fixed),), origin=rnn.origin)


def never_given_a_state(calls, rnns) -> bool:
    """Every call of the class's RNNs found in the module (at least one) passes no state
    (``self.lstm(x)``): an ``init_hidden`` state, stored in ``self.hidden`` as the PyTorch
    tutorial does or returned to a training loop, can then reach no RNN, whatever its shape."""
    own = [call for call in calls if any(call.site.rnn is rnn for rnn in rnns)]
    return bool(own) and not any(call.state_given for call in own)


def check(context: RuleContext) -> Iterator[RawFinding]:
    reported: set[int] = set()
    for call in context.events.calls:
        for builder in builders_in(call.state):
            if tri_and(call.site.bidirectional, builder.guard) is not True:
                continue
            if id(builder.call) in reported or not wrong_first_dimension(builder, call.site.rnn):
                continue
            finding = _finding(builder, call.site.rnn, context)
            if finding is not None and id(finding.node) not in reported:
                reported.update((id(builder.call), id(finding.node)))
                yield finding
    for stray in context.events.stray_init_states:
        if not all(rnn.bidirectional is True for rnn in stray.rnns):
            continue
        if never_given_a_state(context.events.calls, stray.rnns):
            continue
        for builder in stray.builders:
            if builder.guard is False or id(builder.call) in reported:
                continue
            if all(wrong_first_dimension(builder, rnn) for rnn in stray.rnns):
                finding = _finding(builder, stray.rnns[0], context)
                if finding is not None and id(finding.node) not in reported:
                    reported.update((id(builder.call), id(finding.node)))
                    yield finding


NOTES = (
    "an `init_hidden`-style method's state is checked even where the module never passes it to "
    "the RNN (a training loop calls `model(x, model.init_hidden(B))`), but not when every call "
    "of the class's RNNs found takes no state (`self.lstm(x)`): the tutorial's "
    "`self.hidden = self.init_hidden()` left beside such a call reaches no RNN, whatever its shape"
)

RULE = Rule(CODE, NAME, SUMMARY, MESSAGE, True, FIX, WRONG, RIGHT, check, notes=NOTES)
