"""BRN002: a consumer of a bidirectional RNN's output sized for H instead of 2H.

A bidirectional RNN's output concatenates both directions, so its last dimension is
``2 * hidden_size``. A head built with ``hidden_size`` inputs raises a shape error, or, behind a
``view(-1, hidden_size)``, silently mixes time steps and directions.
"""

from __future__ import annotations

from collections.abc import Iterator

from lint_rules.rules.base import RawFinding, Rule, RuleContext, doubled, is_direction_count
from lint_rules.values import keys_match, tri_and

CODE = "BRN002"
NAME = "output-size-not-doubled"
SUMMARY = (
    "a consumer of a bidirectional RNN's output sized for H instead of 2H: `nn.Linear(hidden_size, "
    "...)`, a following RNN's `input_size`, a `view`/`reshape` to hidden_size, a CRF/classifier head"
)
MESSAGE = (
    "`{consumer}` is sized `{size}`, but it receives bidirectional `{rnn}`'s {what}, which has "
    "2 * `{hidden}` features (forward and backward concatenated); write `{fixed}`"
)
FIX = "doubles the consumer's input size (`hidden_size * 2`); reshapes are reported, not fixed"

_LAYER_NAMES = {
    "Linear": "nn.Linear",
    "LayerNorm": "nn.LayerNorm",
    "MultiheadAttention": "nn.MultiheadAttention",
    "rnn": "the next RNN's input_size",
}
_WHAT = {"output": "output", "step": "output", "summary": "both directions", "packed": "output"}

WRONG = (
    '''
import torch.nn as nn


class SentimentClassifier(nn.Module):
    def __init__(self, vocab_size, embed_dim, hidden_dim, num_classes):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim)
        self.lstm = nn.LSTM(embed_dim, hidden_dim, batch_first=True, bidirectional=True)
        self.dropout = nn.Dropout(0.5)
        self.fc = nn.Linear(hidden_dim, num_classes)

    def forward(self, tokens):
        out, _ = self.lstm(self.embedding(tokens))
        pooled = out.mean(dim=1)
        return self.fc(self.dropout(pooled))
''',
    '''
import torch.nn as nn
from torchcrf import CRF


class BiLSTMCRF(nn.Module):
    def __init__(self, vocab_size, num_tags, embedding_dim=100, hidden_dim=256):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_dim)
        self.bilstm = nn.LSTM(embedding_dim, hidden_dim, num_layers=1, bidirectional=True,
                              batch_first=True)
        self.hidden2tag = nn.Linear(hidden_dim, num_tags)
        self.crf = CRF(num_tags, batch_first=True)

    def forward(self, tokens, tags, mask):
        lstm_out, _ = self.bilstm(self.embedding(tokens))
        emissions = self.hidden2tag(lstm_out)
        return -self.crf(emissions, tags, mask=mask)
''',
    '''
import torch.nn as nn


class StackedEncoder(nn.Module):
    def __init__(self, input_size, hidden_size):
        super().__init__()
        self.first = nn.GRU(input_size, hidden_size, bidirectional=True)
        self.second = nn.GRU(hidden_size, hidden_size)

    def forward(self, x):
        out, _ = self.first(x)
        out, h = self.second(out)
        return out
''',
    '''
import torch.nn as nn


class FrameClassifier(nn.Module):
    def __init__(self, n_features, hidden_size, n_classes):
        super().__init__()
        self.hidden_size = hidden_size
        self.rnn = nn.LSTM(n_features, hidden_size, num_layers=2, bidirectional=True)
        self.out = nn.Linear(hidden_size * 2, n_classes)

    def forward(self, x):
        seq_len, batch, _ = x.shape
        output, _ = self.rnn(x)
        flat = output.view(seq_len * batch, self.hidden_size)
        return self.out(flat)
''',
)

RIGHT = (
    '''
import torch.nn as nn


class BiLSTMTagger(nn.Module):
    """hidden_dim // 2 per direction, so the concatenated output has hidden_dim features."""

    def __init__(self, embedding_dim, hidden_dim, tagset_size):
        super().__init__()
        self.lstm = nn.LSTM(embedding_dim, hidden_dim // 2, num_layers=1, bidirectional=True)
        self.hidden2tag = nn.Linear(hidden_dim, tagset_size)

    def forward(self, embeds):
        lstm_out, _ = self.lstm(embeds)
        return self.hidden2tag(lstm_out)
''',
    '''
import torch
import torch.nn as nn


class GRUClassifier(nn.Module):
    """A head on one row of h_n takes hidden_size features: that is right."""

    def __init__(self, input_size, hidden_size, n_classes):
        super().__init__()
        self.rnn = nn.GRU(input_size, hidden_size, batch_first=True, bidirectional=True)
        self.backward_head = nn.Linear(hidden_size, n_classes)
        self.head = nn.Linear(hidden_size * 2, n_classes)

    def forward(self, x):
        out, h_n = self.rnn(x)
        both = torch.cat((h_n[-2], h_n[-1]), dim=1)
        return self.head(both) + self.backward_head(h_n[-2])
''',
    '''
import torch
import torch.nn as nn
import torch.nn.functional as F


class AttentionPooling(nn.Module):
    def __init__(self, embed_dim, hidden_size, n_classes):
        super().__init__()
        self.lstm = nn.LSTM(embed_dim, hidden_size, batch_first=True, bidirectional=True)
        self.attention = nn.Linear(2 * hidden_size, 1)
        self.classifier = nn.Linear(2 * hidden_size, n_classes)

    def forward(self, x):
        out, _ = self.lstm(x)
        weights = F.softmax(self.attention(out), dim=1)
        context = torch.sum(weights * out, dim=1)
        max_pooled, _ = torch.max(out, dim=1)
        return self.classifier(context + max_pooled)
''',
    '''
import torch.nn as nn


class Encoder(nn.Module):
    def __init__(self, input_size, hidden_size, num_layers, bidirectional=True):
        super().__init__()
        self.num_directions = 2 if bidirectional else 1
        self.rnn = nn.LSTM(input_size, hidden_size, num_layers, bidirectional=bidirectional)
        self.proj = nn.Linear(hidden_size * self.num_directions, hidden_size)
        self.next_rnn = nn.LSTM(hidden_size * self.num_directions, hidden_size)

    def forward(self, x):
        out, _ = self.rnn(x)
        out, _ = self.next_rnn(out)
        return self.proj(out)
''',
)


def check(context: RuleContext) -> Iterator[RawFinding]:
    reported: set[int] = set()
    for use in context.events.layer_uses:
        fact = use.value
        rnn = fact.site.rnn
        hidden, size = rnn.output_size, use.layer.in_size
        if fact.width != 2 or hidden is None or size is None or size.node is None:
            continue
        if tri_and(fact.site.bidirectional, use.guard) is not True:
            continue
        if not keys_match(size.key, hidden.key) or id(size.node) in reported:
            continue
        reported.add(id(size.node))
        fixed = doubled(size.node, context)
        consumer = _LAYER_NAMES.get(use.layer.kind, use.layer.kind)
        message = MESSAGE.format(
            consumer=consumer, size=context.code(size.node), rnn=rnn.label,
            what=_WHAT.get(fact.role, "output"), hidden=_hidden_text(hidden, context), fixed=fixed,
        )
        yield RawFinding(size.node, message, ((size.node, fixed),), origin=rnn.origin)
    for reshape in context.events.reshapes:
        fact = reshape.value
        hidden = fact.site.rnn.output_size
        if fact.width != 2 or fact.role not in ("output", "step", "summary") or hidden is None:
            continue
        if tri_and(fact.site.bidirectional, reshape.guard) is not True or not reshape.sizes:
            continue
        last = reshape.sizes[-1]
        if last is None or last.node is None or not keys_match(last.key, hidden.key):
            continue
        if len(reshape.sizes) >= 2 and is_direction_count(reshape.sizes[-2]):
            continue  # view(..., 2, H): splitting the directions, which is right
        if id(last.node) in reported:
            continue
        reported.add(id(last.node))
        method = context.code(reshape.node.func).rsplit(".", 1)[-1]
        message = MESSAGE.format(
            consumer=f".{method}(...)", size=context.code(last.node), rnn=fact.site.rnn.label,
            what=_WHAT.get(fact.role, "output"), hidden=_hidden_text(hidden, context),
            fixed=doubled(last.node, context),
        )
        yield RawFinding(last.node, message, origin=fact.site.rnn.origin)


def _hidden_text(hidden, context: RuleContext) -> str:
    return context.code(hidden.node) if hidden.node is not None else "hidden_size"


RULE = Rule(CODE, NAME, SUMMARY, MESSAGE, True, FIX, WRONG, RIGHT, check)
