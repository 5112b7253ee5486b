"""BRN004: the output at the last step of a bidirectional RNN used as the sequence summary.

At the last step the forward half has read the whole sequence, but the backward half has read
that one step only; the backward summary is at step 0.
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from lint_rules.entry_points import ENTRY_POINTS
from lint_rules.rules.base import RawFinding, Rule, RuleContext
from lint_rules.values import Sym, keys_match, tri_and

CODE = "BRN004"
NAME = "last-step-output-as-summary"
SUMMARY = (
    "`output[:, -1]` / `output[-1]` of a bidirectional RNN used as the sequence summary: its "
    "backward half has seen one step"
)
MESSAGE = (
    "`{expression}` is the last step of bidirectional `{rnn}`'s output, whose backward half has "
    "seen only that step; take the forward half there and the backward half at step 0: "
    "`{right}` (H = `{hidden}`) if no sequence is padded, else use h_n of packed input or "
    "gather the forward half at each sequence's last real step (lengths - 1)"
)

WRONG = (
    """
import torch.nn as nn


class SentimentRNN(nn.Module):
    def __init__(self, embed_dim, hidden_dim, output_dim):
        super().__init__()
        self.lstm = nn.LSTM(embed_dim, hidden_dim, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(hidden_dim * 2, output_dim)

    def forward(self, embedded):
        output, _ = self.lstm(embedded)
        return self.fc(output[:, -1, :])
""",
    """
import torch.nn as nn


class KeywordSpotter(nn.Module):
    def __init__(self, n_mfcc, hidden, n_keywords):
        super().__init__()
        self.rnn = nn.GRU(n_mfcc, hidden, num_layers=2, bidirectional=True)
        self.classifier = nn.Linear(2 * hidden, n_keywords)

    def forward(self, features):
        outputs, _ = self.rnn(features.transpose(0, 1))
        last = outputs[-1]
        return self.classifier(last)
""",
    """
import torch.nn as nn


class HalvesAveraged(nn.Module):
    def __init__(self, embed_dim, hidden_dim, n_classes):
        super().__init__()
        self.hidden_dim = hidden_dim
        self.rnn = nn.GRU(embed_dim, hidden_dim, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(hidden_dim, n_classes)

    def forward(self, x):
        out, _ = self.rnn(x)
        H = self.hidden_dim
        return self.fc((out[:, -1, :H] + out[:, -1, H:]) / 2)
""",
    """
import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


class CharWordEncoder(nn.Module):
    def __init__(self, char_dim, hidden_dim):
        super().__init__()
        self.lstm = nn.LSTM(char_dim, hidden_dim, batch_first=True, bidirectional=True)

    def forward(self, chars, char_lengths):
        packed = pack_padded_sequence(chars, char_lengths, batch_first=True)
        out, _ = self.lstm(packed)
        out, _ = pad_packed_sequence(out, batch_first=True)
        index = (char_lengths - 1).view(-1, 1, 1).expand(-1, 1, out.size(2))
        return out.gather(1, index).squeeze(1)
""",
    """
import torch.nn as nn


class EmotionCRNN(nn.Module):
    def __init__(self, n_features, hidden, n_classes):
        super().__init__()
        self.lstm = nn.LSTM(n_features, hidden, batch_first=True, bidirectional=True)
        self.classifier = nn.Linear(2 * hidden, n_classes)

    def forward(self, frames):
        out, _ = self.lstm(frames)
        logits = self.classifier(out)
        return logits[:, -1]
""",
    """
import torch.nn as nn


class Encoder(nn.Module):
    def __init__(self, n_features, hidden):
        super().__init__()
        self.rnn = nn.GRU(n_features, hidden, batch_first=True, bidirectional=True)

    def forward(self, x):
        out, _ = self.rnn(x)
        return out


class Forecaster(nn.Module):
    def __init__(self, n_features, hidden):
        super().__init__()
        self.encoder = Encoder(n_features, hidden)
        self.head = nn.Linear(2 * hidden, 1)

    def forward(self, x):
        out = self.encoder(x)
        return self.head(out[:, -1, :])
""",
    """
import torch
import torch.nn as nn


class VisitModel(nn.Module):
    def __init__(self, n_features, hidden):
        super().__init__()
        self.rnn = nn.LSTM(n_features, hidden, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(2 * hidden + 1, 1)

    def forward(self, x, age):
        out, _ = self.rnn(x)
        age = age.unsqueeze(1).expand(-1, out.size(1), 1)
        out = torch.cat((out, age), dim=2)
        return self.fc(out[:, -1, :])
""",
    '''
import torch.nn as nn


class SentenceClassifier(nn.Module):
    """One sentence at a time, time-major; the helper returns its steps with the batch of one
    squeezed away, and the caller reads the last of them."""

    def __init__(self, embed_dim, hidden_dim):
        super().__init__()
        self.lstm = nn.LSTM(embed_dim, hidden_dim // 2, bidirectional=True)
        self.hidden2tag = nn.Linear(hidden_dim, 1)

    def _get_lstm_features(self, embeds):
        lstm_out, _ = self.lstm(embeds.unsqueeze(1))
        return lstm_out.squeeze(1)

    def forward(self, embeds):
        lstm_feats = self._get_lstm_features(embeds)
        return self.hidden2tag(lstm_feats[-1])
''',
    '''
import torch.nn as nn


class SummedEncoder(nn.Module):
    """The two directions summed at every step (as PyTorch's chatbot tutorial does), then the
    last step taken as the summary: the backward half in it has seen one step."""

    def __init__(self, embed_dim, hidden_size, n_classes):
        super().__init__()
        self.hidden_size = hidden_size
        self.gru = nn.GRU(embed_dim, hidden_size, bidirectional=True)
        self.fc = nn.Linear(hidden_size, n_classes)

    def forward(self, embedded):
        outputs, _ = self.gru(embedded)
        outputs = outputs[:, :, : self.hidden_size] + outputs[:, :, self.hidden_size :]
        return self.fc(outputs[-1])
''',
    '''
import torch.nn as nn


class Classifier(nn.Module):
    """The LSTM is built by a factory function and handed to the constructor."""

    def __init__(self, lstm, hidden, n_classes):
        super().__init__()
        self.lstm = lstm
        self.fc = nn.Linear(2 * hidden, n_classes)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.fc(out[:, -1])


def build_classifier(n_features, hidden, n_classes):
    lstm = nn.LSTM(n_features, hidden, batch_first=True, bidirectional=True)
    return Classifier(lstm, hidden, n_classes)
''',
    '''
import torch.nn as nn


class TweetClassifier(nn.Module):
    """The sentiment-RNN tutorial's head: every step's output stacked as rows, a linear layer on
    each row, the rows put back per tweet, and the last step's value kept."""

    def __init__(self, embed_dim, hidden_dim):
        super().__init__()
        self.hidden_dim = hidden_dim
        self.rnn = nn.GRU(embed_dim, hidden_dim, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(hidden_dim * 2, 1)

    def forward(self, embedded):
        batch_size = embedded.size(0)
        out, _ = self.rnn(embedded)
        rows = out.contiguous().view(-1, self.hidden_dim * 2)
        scores = self.fc(rows).view(batch_size, -1)
        return scores[:, -1]
''',
    '''
import torch.nn as nn
import torch.nn.functional as F


class StackedWindowClassifier(nn.Module):
    """Time-major windows through a bidirectional LSTM and then a stack of same-sized ones, the
    output rebound in a loop; the last step is then taken as the window's summary."""

    def __init__(self, n_features, hidden, n_upper, n_classes):
        super().__init__()
        self.n_upper = n_upper
        self.first = nn.LSTM(n_features, hidden, bidirectional=True)
        self.upper = nn.LSTM(2 * hidden, hidden, bidirectional=True)
        self.fc = nn.Linear(2 * hidden, n_classes)

    def forward(self, windows):
        x, _ = self.first(windows.permute(1, 0, 2))
        for _ in range(self.n_upper):
            x, _ = self.upper(x)
            x = F.relu(x)
        return self.fc(x[-1])
''',
    '''
import torch.nn as nn
import torch.nn.functional as F


class ResidualStack(nn.Module):
    """A helper adds each upper layer's input back to its output (a residual connection) and
    returns the sum; the caller takes its last step."""

    def __init__(self, n_features, hidden, n_blocks, n_classes):
        super().__init__()
        self.n_blocks = n_blocks
        self.first = nn.LSTM(n_features, hidden, bidirectional=True)
        self.upper = nn.LSTM(2 * hidden, hidden, bidirectional=True)
        self.fc = nn.Linear(2 * hidden, n_classes)

    def add_residual_blocks(self, x):
        for _ in range(self.n_blocks):
            mid = F.relu(x)
            x, _ = self.upper(mid)
            x += mid
        return x

    def forward(self, frames):
        x, _ = self.first(frames)
        x = self.add_residual_blocks(x)
        return self.fc(x[-1])
''',
    '''
import torch.nn as nn


class ProjectedBlocks(nn.Module):
    """A block projects each step of a bidirectional output (Linear and ReLU in a Sequential),
    adds it to a second LSTM's projected output and batch-normalises the sum; the last step of
    the result is the summary."""

    def __init__(self, n_features, hidden, batch_size, n_classes):
        super().__init__()
        self.lstm = nn.LSTM(n_features, hidden, bidirectional=True)
        self.inner = nn.LSTM(2 * hidden, hidden, bidirectional=True)
        self.project = nn.Sequential(nn.Linear(2 * hidden, 2 * hidden), nn.ReLU())
        self.norm = nn.BatchNorm1d(batch_size)
        self.fc = nn.Linear(2 * hidden, n_classes)

    def block(self, x):
        mid, _ = self.lstm(x)
        mid = self.project(mid)
        out, _ = self.inner(mid)
        return self.norm(mid + self.project(out))

    def forward(self, x):
        x = self.block(x.permute(1, 0, 2))
        return self.fc(x[-1])
''',
    '''
import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


class StayEncoder(nn.Module):
    """Each stay's last real step, picked one sequence at a time with the lengths
    `pad_packed_sequence` returned."""

    def __init__(self, n_features, hidden, n_classes):
        super().__init__()
        self.lstm = nn.LSTM(n_features, hidden, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(2 * hidden, n_classes)

    def forward(self, stays, stay_lengths):
        packed = pack_padded_sequence(stays, stay_lengths, batch_first=True, enforce_sorted=False)
        out, _ = self.lstm(packed)
        out, sizes = pad_packed_sequence(out, batch_first=True)
        last = torch.stack([out[i, int(n) - 1] for i, n in enumerate(sizes)])
        return self.fc(last)
''',
    '''
import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


class ClipEncoder(nn.Module):
    """Each clip's last real step, picked in a loop over the lengths it was packed with."""

    def __init__(self, n_features, hidden, n_classes):
        super().__init__()
        self.gru = nn.GRU(n_features, hidden, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(2 * hidden, n_classes)

    def forward(self, clips, lengths):
        packed = pack_padded_sequence(clips, lengths, batch_first=True, enforce_sorted=False)
        out, _ = pad_packed_sequence(self.gru(packed)[0], batch_first=True)
        rows = []
        for i, n in enumerate(lengths):
            rows.append(out[i, n - 1])
        return self.fc(torch.stack(rows))
''',
)

RIGHT = (
    """
import torch
import torch.nn as nn


class SentimentRNN(nn.Module):
    def __init__(self, embed_dim, hidden_dim, output_dim):
        super().__init__()
        self.hidden_dim = hidden_dim
        self.lstm = nn.LSTM(embed_dim, hidden_dim, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(hidden_dim * 2, output_dim)

    def forward(self, embedded):
        out, _ = self.lstm(embedded)
        H = self.hidden_dim
        summary = torch.cat((out[:, -1, :H], out[:, 0, H:]), dim=1)
        return self.fc(summary)
""",
    '''
import torch.nn as nn


class Decoder(nn.Module):
    """Step-by-step decoding with a unidirectional RNN: out[-1] is fine."""

    def __init__(self, vocab_size, hidden_size):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, hidden_size)
        self.rnn = nn.GRU(hidden_size, hidden_size)
        self.out = nn.Linear(hidden_size, vocab_size)

    def forward(self, token, hidden, max_len=20):
        outputs = []
        for _ in range(max_len):
            output, hidden = self.rnn(self.embedding(token), hidden)
            logits = self.out(output[-1])
            token = logits.argmax(-1).unsqueeze(0)
            outputs.append(logits)
        return outputs
''',
    """
import torch
import torch.nn as nn


class MeanMaxPool(nn.Module):
    def __init__(self, embed_dim, hidden, n_classes):
        super().__init__()
        self.rnn = nn.LSTM(embed_dim, hidden, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(4 * hidden, n_classes)

    def forward(self, x):
        out, _ = self.rnn(x)
        mean = out.mean(1)
        maximum = out.max(1)[0]
        return self.fc(torch.cat([mean, maximum], dim=1))
""",
    """
import torch.nn as nn


class HalvesAveraged(nn.Module):
    def __init__(self, embed_dim, hidden_dim, n_classes):
        super().__init__()
        self.hidden_dim = hidden_dim
        self.rnn = nn.GRU(embed_dim, hidden_dim, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(hidden_dim, n_classes)

    def forward(self, x):
        out, _ = self.rnn(x)
        H = self.hidden_dim
        return self.fc((out[:, -1, :H] + out[:, 0, H:]) / 2)
""",
    """
import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


class CharWordEncoder(nn.Module):
    def __init__(self, char_dim, hidden_dim):
        super().__init__()
        self.hidden_dim = hidden_dim
        self.lstm = nn.LSTM(char_dim, hidden_dim, batch_first=True, bidirectional=True)

    def forward(self, chars, char_lengths):
        packed = pack_padded_sequence(chars, char_lengths, batch_first=True)
        out, _ = self.lstm(packed)
        out, _ = pad_packed_sequence(out, batch_first=True)
        H = self.hidden_dim
        forward_half = out[torch.arange(out.size(0)), char_lengths - 1, :H]
        return torch.cat((forward_half, out[:, 0, H:]), dim=1)
""",
    """
import torch.nn as nn


class EmotionCRNN(nn.Module):
    def __init__(self, n_features, hidden, n_classes):
        super().__init__()
        self.lstm = nn.LSTM(n_features, hidden, batch_first=True, bidirectional=True)
        self.classifier = nn.Linear(2 * hidden, n_classes)

    def forward(self, frames):
        out, _ = self.lstm(frames)
        logits = self.classifier(out)
        return logits.mean(1)
""",
    """
import torch.nn as nn


class Encoder(nn.Module):
    def __init__(self, n_features, hidden):
        super().__init__()
        self.rnn = nn.GRU(n_features, hidden, batch_first=True, bidirectional=True)

    def forward(self, x):
        out, _ = self.rnn(x)
        return out


class Forecaster(nn.Module):
    def __init__(self, n_features, hidden):
        super().__init__()
        self.encoder = Encoder(n_features, hidden)
        self.head = nn.Linear(2 * hidden, 1)

    def forward(self, x):
        out = self.encoder(x)
        return self.head(out.mean(1))
""",
    """
import torch
import torch.nn as nn


class VisitModel(nn.Module):
    def __init__(self, n_features, hidden):
        super().__init__()
        self.hidden = hidden
        self.rnn = nn.LSTM(n_features, hidden, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(2 * hidden + 1, 1)

    def forward(self, x, age):
        out, _ = self.rnn(x)
        H = self.hidden
        summary = torch.cat((out[:, -1, :H], out[:, 0, H:], age.unsqueeze(1)), dim=1)
        return self.fc(summary)
""",
    '''
import torch
import torch.nn as nn


class SentenceClassifier(nn.Module):
    """One sentence at a time: the forward half at the last step, the backward half at 0."""

    def __init__(self, embed_dim, hidden_dim):
        super().__init__()
        self.half = hidden_dim // 2
        self.lstm = nn.LSTM(embed_dim, self.half, bidirectional=True)
        self.hidden2tag = nn.Linear(hidden_dim, 1)

    def _get_lstm_features(self, sentence):
        lstm_out, _ = self.lstm(sentence.unsqueeze(1))
        return lstm_out.view(len(sentence), -1)

    def forward(self, sentence):
        feats = self._get_lstm_features(sentence)
        return self.hidden2tag(torch.cat((feats[-1, : self.half], feats[0, self.half :])))
''',
    '''
import torch.nn as nn


class SummedEncoder(nn.Module):
    """The directions summed where each has read the whole sequence: forward at the last step,
    backward at step 0."""

    def __init__(self, embed_dim, hidden_size, n_classes):
        super().__init__()
        self.hidden_size = hidden_size
        self.gru = nn.GRU(embed_dim, hidden_size, bidirectional=True)
        self.fc = nn.Linear(hidden_size, n_classes)

    def forward(self, embedded):
        outputs, _ = self.gru(embedded)
        H = self.hidden_size
        return self.fc(outputs[-1, :, :H] + outputs[0, :, H:])
''',
    '''
import torch
import torch.nn as nn


class Classifier(nn.Module):
    """The injected LSTM's halves are each taken where they have read the whole sequence."""

    def __init__(self, lstm, hidden, n_classes):
        super().__init__()
        self.hidden = hidden
        self.lstm = lstm
        self.fc = nn.Linear(2 * hidden, n_classes)

    def forward(self, x):
        out, _ = self.lstm(x)
        H = self.hidden
        return self.fc(torch.cat((out[:, -1, :H], out[:, 0, H:]), dim=1))


def build_classifier(n_features, hidden, n_classes):
    lstm = nn.LSTM(n_features, hidden, batch_first=True, bidirectional=True)
    return Classifier(lstm, hidden, n_classes)
''',
    '''
import torch.nn as nn


class TweetTagger(nn.Module):
    """The same per-row head put back per tweet, kept at every step (a score per token): no
    step is taken as the tweet's summary."""

    def __init__(self, embed_dim, hidden_dim):
        super().__init__()
        self.hidden_dim = hidden_dim
        self.rnn = nn.GRU(embed_dim, hidden_dim, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(hidden_dim * 2, 1)

    def forward(self, embedded):
        batch_size = embedded.size(0)
        out, _ = self.rnn(embedded)
        rows = out.contiguous().view(-1, self.hidden_dim * 2)
        return self.fc(rows).view(batch_size, -1)
''',

    '''
import torch
import torch.nn as nn
import torch.nn.functional as F


class StackedWindowClassifier(nn.Module):
    """The stack's output summarised where each direction has read the whole window."""

    def __init__(self, n_features, hidden, n_upper, n_classes):
        super().__init__()
        self.hidden = hidden
        self.n_upper = n_upper
        self.first = nn.LSTM(n_features, hidden, bidirectional=True)
        self.upper = nn.LSTM(2 * hidden, hidden, bidirectional=True)
        self.fc = nn.Linear(2 * hidden, n_classes)

    def forward(self, windows):
        x, _ = self.first(windows.permute(1, 0, 2))
        for _ in range(self.n_upper):
            x, _ = self.upper(x)
            x = F.relu(x)
        H = self.hidden
        return self.fc(torch.cat((x[-1, :, :H], x[0, :, H:]), dim=1))
''',
    '''
import torch.nn as nn
import torch.nn.functional as F


class ResidualStack(nn.Module):
    """The residual stack's output read by a unidirectional LSTM on top: its last step has
    read the whole sequence."""

    def __init__(self, n_features, hidden, n_blocks, n_classes):
        super().__init__()
        self.n_blocks = n_blocks
        self.first = nn.LSTM(n_features, hidden, bidirectional=True)
        self.upper = nn.LSTM(2 * hidden, hidden, bidirectional=True)
        self.top = nn.LSTM(2 * hidden, hidden)
        self.fc = nn.Linear(hidden, n_classes)

    def add_residual_blocks(self, x):
        for _ in range(self.n_blocks):
            mid = F.relu(x)
            x, _ = self.upper(mid)
            x += mid
        return x

    def forward(self, frames):
        x, _ = self.first(frames)
        x, _ = self.top(self.add_residual_blocks(x))
        return self.fc(x[-1])
''',
    '''
import torch.nn as nn


class ProjectedBlocks(nn.Module):
    """The blocks' per-step result averaged over time: every step counts."""

    def __init__(self, n_features, hidden, batch_size, n_classes):
        super().__init__()
        self.lstm = nn.LSTM(n_features, hidden, bidirectional=True)
        self.inner = nn.LSTM(2 * hidden, hidden, bidirectional=True)
        self.project = nn.Sequential(nn.Linear(2 * hidden, 2 * hidden), nn.ReLU())
        self.norm = nn.BatchNorm1d(batch_size)
        self.fc = nn.Linear(2 * hidden, n_classes)

    def block(self, x):
        mid, _ = self.lstm(x)
        mid = self.project(mid)
        out, _ = self.inner(mid)
        return self.norm(mid + self.project(out))

    def forward(self, x):
        x = self.block(x.permute(1, 0, 2))
        return self.fc(x.mean(0))
''',
    '''
import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


class StayEncoder(nn.Module):
    """The forward half at each stay's last real step, the backward half at step 0."""

    def __init__(self, n_features, hidden, n_classes):
        super().__init__()
        self.hidden = hidden
        self.lstm = nn.LSTM(n_features, hidden, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(2 * hidden, n_classes)

    def forward(self, stays, stay_lengths):
        packed = pack_padded_sequence(stays, stay_lengths, batch_first=True, enforce_sorted=False)
        out, _ = self.lstm(packed)
        out, sizes = pad_packed_sequence(out, batch_first=True)
        H = self.hidden
        last = torch.stack(
            [torch.cat((out[i, int(n) - 1, :H], out[i, 0, H:])) for i, n in enumerate(sizes)]
        )
        return self.fc(last)
''',
    '''
import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


class ClipEncoder(nn.Module):
    """The forward half at each clip's last real step, the backward half at step 0."""

    def __init__(self, n_features, hidden, n_classes):
        super().__init__()
        self.hidden = hidden
        self.gru = nn.GRU(n_features, hidden, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(2 * hidden, n_classes)

    def forward(self, clips, lengths):
        packed = pack_padded_sequence(clips, lengths, batch_first=True, enforce_sorted=False)
        out, _ = pad_packed_sequence(self.gru(packed)[0], batch_first=True)
        H = self.hidden
        rows = []
        for i, n in enumerate(lengths):
            rows.append(torch.cat((out[i, n - 1, :H], out[i, 0, H:])))
        return self.fc(torch.stack(rows))
''',
)


def check(context: RuleContext) -> Iterator[RawFinding]:
    steps_read: dict[tuple[int, int], set] = {}
    for index in context.events.indexes:
        fact = index.value
        if (
            index.guard is not False
            and fact.role in _STEPPED_ROLES
            and fact.time_axis is not None
            and len(index.items) > fact.time_axis
        ):
            key = (id(index.scope), id(fact.site))
            steps_read.setdefault(key, set()).add(index.items[fact.time_axis])
    halves: dict[int, tuple[int, cst.Subscript]] | None = None  # walked only when a read needs it
    for index in context.events.indexes:
        fact, result = index.value, index.result
        if reads_last_real_step(index, steps_read):
            if not fed_one_step_at_a_time(context.events, fact):
                yield _last_real_finding(context, index)
            continue
        if reads_last_step_after_a_layer(index, steps_read):
            if not fed_one_step_at_a_time(context.events, fact):
                yield _after_a_layer_finding(context, index)
            continue
        if backward_half_at_last_step(index):
            if not fed_one_step_at_a_time(context.events, fact):
                hidden = context.code(index.node.slice[2].slice.lower)
                yield _backward_half_finding(context, index, index.node, hidden)
            continue
        if fact.role not in _STEPPED_ROLES or fact.time_axis is None:
            continue
        if not _whole_step(result) and not _last_slice_whole(index):
            continue
        if len(index.items) <= fact.time_axis or not is_last_step(index.items[fact.time_axis]):
            continue
        if tri_and(fact.site.bidirectional, index.guard) is not True:
            continue
        if halves is None:
            halves = halves_taken(context.module) if _may_split(context.source) else {}
        half = halves.get(id(index.node))
        if half is not None:
            if half[0] == 1 and not fed_one_step_at_a_time(context.events, fact):
                hidden = fact.site.rnn.output_size
                size = context.code(hidden.node) if hidden and hidden.node is not None else "H"
                yield _backward_half_finding(context, index, half[1], size)
            continue  # half 0 is the forward half, which has read the whole sequence there
        if ("int", 0) in steps_read[(id(index.scope), id(fact.site))]:
            continue  # step 0 is read as well: the two halves are taken where they belong
        if fed_one_step_at_a_time(context.events, fact):
            continue  # a one-step sequence: its last step has read it all in both directions
        output = context.code(index.node.value)
        hidden = fact.site.rnn.output_size
        size = context.code(hidden.node) if hidden is not None and hidden.node is not None else "?"
        if fact.role == "sequence":
            right = f"torch.cat(({output}[-1, :H], {output}[0, H:]), dim=-1)"
        elif fact.time_axis == 1:
            right = f"torch.cat(({output}[:, -1, :H], {output}[:, 0, H:]), dim=-1)"
        else:
            right = f"torch.cat(({output}[-1, :, :H], {output}[0, :, H:]), dim=-1)"
        message = MESSAGE.format(
            expression=context.code(index.node),
            rnn=rnn_name(context.events, index),
            right=right,
            hidden=size,
        )
        yield RawFinding(index.node, message, origin=fact.site.rnn.origin)
    yield from _handed_to_readouts(context, steps_read)


# "sequence": one sequence of a batch-first output (``for o in output``), time first
_STEPPED_ROLES = ("output", "sequence", "per_step")


def rnn_name(events, index) -> str:
    """``self.lstm``, or ``Encoder.lstm`` when another class's ``forward`` returned the output
    (``instances``) and it is read outside the function that calls the RNN."""
    fact = index.value
    label = fact.site.rnn.label
    owner = events.instance_classes.get(id(fact.site))
    call = next((call for call in events.calls if call.site is fact.site), None)
    if owner is None or call is None or call.scope is index.scope:
        return label
    return f"{owner}.{label[5:]}" if label.startswith("self.") else f"{owner}: {label}"


def is_last_step(item: tuple) -> bool:
    """``-1`` or ``-1:`` at the time axis."""
    if item == ("int", -1):
        return True
    return (
        item[0] == "slice" and item[1] is not None and item[1].int_value == -1 and item[2] is None
    )


def _whole_step(result) -> bool:
    """One step with all of the output's features: both halves, alone or beside features another
    tensor added along the feature axis (``extra_features``)."""
    if result is None:
        return False
    return result.width == 2 or (result.width is None and result.extra_features)


def _last_slice_whole(index) -> bool:
    """``out[:, -1:]`` / ``out[-1:, :, :]``: the last step kept as a one-step sequence, with
    every sequence of the batch and all its features."""
    fact, items = index.value, index.items
    if fact.role != "output" or len(items) <= fact.time_axis:
        return False
    padded = list(items) + [("full",)] * (3 - len(items))
    if len(padded) != 3 or padded[fact.time_axis][0] != "slice":
        return False
    return all(padded[axis] in (("full",), ("ellipsis",)) for axis in (1 - fact.time_axis, 2))


def reads_last_step_after_a_layer(index, steps_read: dict) -> bool:
    """``logits[:, -1]`` where ``logits = self.fc(out)``: a layer applied at every step of a
    bidirectional output (``per_step``), then read at the last step, where the backward half
    that went in had seen one step."""
    fact = index.value
    if fact.role != "per_step" or fact.time_axis is None or len(index.items) <= fact.time_axis:
        return False
    if not is_last_step(index.items[fact.time_axis]):
        return False
    batch = 1 - fact.time_axis  # the features, for one sequence's steps (rank 2)
    if len(index.items) > batch and index.items[batch] not in (("full",), ("ellipsis",)):
        return False  # one sequence of the batch, a selection of them, or some features
    if tri_and(fact.site.bidirectional, index.guard) is not True:
        return False
    return ("int", 0) not in steps_read.get((id(index.scope), id(fact.site)), ())


def _after_a_layer_finding(context: RuleContext, index) -> RawFinding:
    fact = index.value
    template = HALVES_MIXED_MESSAGE if fact.halves_mixed else AFTER_A_LAYER_MESSAGE
    message = template.format(
        expression=context.code(index.node),
        rnn=rnn_name(context.events, index),
        step="the last step",
    )
    return RawFinding(index.node, message, origin=fact.site.rnn.origin)


AFTER_A_LAYER_MESSAGE = (
    "`{expression}` is {step} of what a layer computed at every step of bidirectional "
    "`{rnn}`'s output; the backward half that went into it there has seen only that step: "
    "summarise the output before the layer (its forward half at the last step and backward half "
    "at step 0, or h_n of packed input) and apply the layer to that"
)
HALVES_MIXED_MESSAGE = (
    "`{expression}` reads at {step} bidirectional `{rnn}`'s output with its two direction "
    "halves combined at every step (summed or averaged); the backward half in it there has seen "
    "only that step: combine the forward half at {step} with the backward half at step 0, or "
    "use h_n of packed input"
)


def reads_last_real_step(index, steps_read: dict) -> bool:
    """``out[torch.arange(B), lengths - 1]``, ``out.gather(1, lengths - 1 ...)``,
    ``o[real_length - 1]`` of a bidirectional output with all its features: each sequence's
    last real step (``last_steps``), unless step 0 is read beside it."""
    fact = index.value
    if fact.role not in _STEPPED_ROLES or fact.time_axis is None:
        return False
    items = index.items
    if len(items) <= fact.time_axis or items[fact.time_axis] != ("last_real",):
        return False
    feature_axis = 1 if fact.role == "sequence" else 2
    if len(items) > feature_axis and items[feature_axis] not in (("full",), ("ellipsis",)):
        return False  # `[..., :H]`: the forward half, a summary there
    if tri_and(fact.site.bidirectional, index.guard) is not True:
        return False
    return ("int", 0) not in steps_read.get((id(index.scope), id(fact.site)), ())


def _last_real_finding(context: RuleContext, index) -> RawFinding:
    fact = index.value
    node = index.node
    if fact.role == "per_step":
        template = HALVES_MIXED_MESSAGE if fact.halves_mixed else AFTER_A_LAYER_MESSAGE
        step = "each sequence's last real step (lengths - 1)"
        message = template.format(
            expression=context.code(node), rnn=rnn_name(context.events, index), step=step
        )
        return RawFinding(node, message, origin=fact.site.rnn.origin)
    hidden = fact.site.rnn.output_size
    size = context.code(hidden.node) if hidden is not None and hidden.node is not None else "H"
    message = LAST_REAL_MESSAGE.format(
        expression=context.code(node), rnn=rnn_name(context.events, index), hidden=size
    )
    return RawFinding(node, message, origin=fact.site.rnn.origin)


LAST_REAL_MESSAGE = (
    "`{expression}` reads bidirectional `{rnn}`'s output at each sequence's last real step "
    "(lengths - 1), whose backward half has seen only that step; keep the forward half there "
    "(`[..., :H]`, H = `{hidden}`) and take the backward half at step 0, or use h_n of packed "
    "input"
)


def backward_half_at_last_step(index) -> bool:
    """``output[:, -1, H:]`` (``output[-1, :, H:]`` time-major) of a bidirectional RNN, H its
    hidden size: the backward direction after one step, whatever else is read beside it."""
    fact = index.value
    if fact.role != "output" or fact.time_axis is None or len(index.items) != 3:
        return False
    if index.items[fact.time_axis] != ("int", -1):
        return False
    if index.items[1 - fact.time_axis] not in (("full",), ("ellipsis",)):
        return False
    if tri_and(fact.site.bidirectional, index.guard) is not True:
        return False
    feature = index.items[2]
    if feature[0] != "slice" or feature[1] is None or feature[2] is not None:
        return False
    hidden = fact.site.rnn.output_size
    return hidden is not None and same_size(feature[1], hidden)


def same_size(size: Sym, hidden: Sym) -> bool:
    if size.int_value is not None and hidden.int_value is not None:
        return size.int_value == hidden.int_value
    return keys_match(size.key, hidden.key)


def _backward_half_finding(context: RuleContext, index, node, hidden: str) -> RawFinding:
    fact = index.value
    output = context.code(index.node.value)
    if fact.time_axis == 1:
        right = f"{output}[:, 0, {hidden}:]"
    else:
        right = f"{output}[0, :, {hidden}:]"
    message = BACKWARD_HALF_MESSAGE.format(
        expression=context.code(node), rnn=fact.site.rnn.label, right=right
    )
    return RawFinding(node, message, origin=fact.site.rnn.origin)


def halves_taken(module: cst.Module) -> dict[int, tuple[int, cst.Subscript]]:
    """``torch.chunk(t, 2, -1)[k]`` and ``t.chunk(2, dim=-1)[k]`` (``split`` alike, with any
    size): id of ``t``'s node -> (k, the whole subscript), k 0 for the first half, 1 for the
    second. Sizes of ``split`` are not checked here; a two-way split of a bidirectional step's
    features is its two halves in practice."""
    found: dict[int, tuple[int, cst.Subscript]] = {}

    class Finder(cst.CSTVisitor):
        def visit_Subscript(self, node: cst.Subscript) -> None:
            taken = _half_index(node)
            call = node.value
            if taken is None or not isinstance(call, cst.Call):
                return
            if not isinstance(call.func, cst.Attribute):
                return
            method = call.func.attr.value
            if method not in ("chunk", "split"):
                return
            arguments = [arg for arg in call.args if arg.keyword is None]
            if isinstance(call.func.value, cst.Name) and call.func.value.value == "torch":
                if not arguments:
                    return
                tensor, rest = arguments[0].value, call.args[1:]
            else:
                tensor, rest = call.func.value, call.args
            if _splits_features_in_two(method, rest):
                found[id(tensor)] = (taken, node)

    module.visit(Finder())
    return found


def _may_split(source: str | None) -> bool:
    """Whether the text can hold a ``chunk``/``split`` at all: the walk that finds them visits
    every node, so a module without either word is spared it."""
    return source is None or "chunk" in source or "split" in source


def _half_index(node: cst.Subscript) -> int | None:
    if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
        return None
    value = node.slice[0].slice.value
    if isinstance(value, cst.Integer):
        return {"0": 0, "1": 1}.get(value.value)
    if isinstance(value, cst.UnaryOperation) and isinstance(value.operator, cst.Minus):
        return (
            1
            if isinstance(value.expression, cst.Integer) and value.expression.value == "1"
            else None
        )
    return None


def _splits_features_in_two(method: str, arguments) -> bool:
    """``(2, -1)``, ``(2, dim=2)`` for chunk; ``(H, -1)`` for split: the last axis."""
    positional = [arg.value for arg in arguments if arg.keyword is None]
    keywords = {arg.keyword.value: arg.value for arg in arguments if arg.keyword is not None}
    count = (
        positional[0]
        if positional
        else keywords.get("chunks" if method == "chunk" else "split_size_or_sections")
    )
    dim = positional[1] if len(positional) > 1 else keywords.get("dim")
    if count is None or dim is None:
        return False
    if method == "chunk" and not (isinstance(count, cst.Integer) and count.value == "2"):
        return False
    if isinstance(dim, cst.Integer):
        return dim.value == "2"
    return (
        isinstance(dim, cst.UnaryOperation)
        and isinstance(dim.operator, cst.Minus)
        and isinstance(dim.expression, cst.Integer)
        and dim.expression.value == "1"
    )


BACKWARD_HALF_MESSAGE = (
    "`{expression}` is the backward half of bidirectional `{rnn}`'s output at the last step, "
    "which has seen only that step; the backward direction's summary is at step 0: `{right}` "
    "(or h_n of packed input when sequences are padded)"
)


def fed_one_step_at_a_time(events, fact) -> bool:
    """The RNN reads ``forward``'s input as it comes, and every call of the model class found in
    the project (at least one) feeds that input with a time axis of 1 (``x.view(-1, 1, F)``,
    ``x.unsqueeze(1)``): the project index's ``single_step``."""
    if not events.single_step:
        return False
    call = next((call for call in events.calls if call.site is fact.site), None)
    if call is None or call.owner is None:
        return False
    function = call.scope.node
    if not isinstance(function, cst.FunctionDef) or function.name.value not in ENTRY_POINTS:
        return False
    parameters = [param.name.value for param in function.params.params]
    reads_the_input = (
        len(parameters) >= 2
        and isinstance(call.input, Sym)
        and call.input.key == ("name", parameters[1])
    )
    batch_first = fact.site.rnn.batch_first
    time_axis = 1 if batch_first is True else 0 if batch_first is False else None
    if not reads_the_input or time_axis is None:
        return False
    return any(owner == call.owner and time_axis in axes for owner, axes, _ in events.single_step)


NOTES = (
    "stays quiet when every call of the model class found in the project (at least one) feeds "
    "its `forward` input, which the RNN reads as it comes, with a time axis of 1 "
    "(`model(x.view(-1, 1, F))`, `model(row.unsqueeze(0).unsqueeze(0))`, also a model loaded "
    "with `pickle.load` in a module that imports the class; a model's own layer "
    "`self.head(features)` is a call too, fed one step when `features` is what another layer's "
    "`forward` returns as `x.view(-1, 1, F)`): the last step of a one-step "
    "sequence has read it all in both directions. Also finds the output handed to a module "
    "whose `forward` takes its input's last step (`self.readout(out)` with "
    "`LastStep.forward` returning `h[:, -1, :]`, in this module or an imported one), and the "
    "backward half read at the last step on its own (`out[:, -1, H:]`, `out[-1, :, H:]` "
    "time-major, H the RNN's hidden size; `torch.chunk(out[:, -1], 2, -1)[1]`, `split` alike), "
    "even when the forward half beside it is right; the forward half taken with "
    "`out[:, -1].chunk(2, -1)[0]` is right. Each sequence's last real step is a last step too: "
    "`out[torch.arange(B), lengths - 1]`, `out.gather(1, (lengths - 1).view(-1, 1, 1).expand("
    "-1, 1, out.size(2)))` (also after the batch is sorted and the sort undone), and "
    "`o[real_length - 1]` or `o[-1]` for each `o` of a batch-first output (`for o in out`), and "
    "`out[i, int(l) - 1]` for `i, l` of `enumerate(lengths)` (a comprehension or a loop; the "
    "lengths `pad_packed_sequence` returned or a name that says it holds lengths); "
    "`X - 1` counts as such an index when X names a length (an identifier ending in `len`, "
    "`lens`, `length` or `lengths`, `len(...)`, a mask's `.sum(...)`), and the read is right "
    "when it takes the forward half only (`[..., :H]`, a gather index expanded to H). "
    "`out[:, out.size(1) - 1]` and `out[:, x.shape[1] - 1]` are `out[:, -1]` written out. The "
    "last step kept as a sequence (`out[:, -1:]`) is the last step too, and so is the last step "
    "of what a `Linear` or `LayerNorm` computed at every step of the output (`self.fc(out)[:, "
    "-1]`, through dropout, activations and `softmax`/`log_softmax`): both halves went into it "
    "there, so the summary must be taken before the layer; also when the layer runs on the "
    "output's steps stacked as rows and the rows are put back per sequence (`rows = "
    "out.contiguous().view(-1, 2 * H)`, `self.fc(rows).view(batch_size, -1)[:, -1]`, the "
    "sentiment-RNN tutorial's head; the rows must hold the whole width, 2 x H or H times a "
    "direction count). An output another class of the "
    "module returns from its `forward` (`self.encoder = Encoder(...)`; `out = "
    "self.encoder(x)`) is followed into the class that reads it, and so is the output of a "
    "loop over a `ModuleList` of RNNs, and so is the output a helper method of the model returns "
    "to its caller (`lstm_feats = self._get_lstm_features(x)`; `self.hidden2tag(lstm_feats[-1])`), "
    "also the helper of a module that defines `__call__` in place of `forward`. A batch of one "
    "whose batch axis is squeezed away (`out.squeeze(1)` time-major, `out.squeeze(0)` batch-first) "
    "or viewed away (`out.view(len(sentence), -1)` time-major, the first size naming the time "
    "length: `len(...)`, a name ending in `len` or `length`, `out.size(0)`) is one sentence's "
    "steps, so its `[-1]` is the last step; and where one branch applies a layer at every step "
    "and the other does not (`if attention: out = self.combine(torch.cat((out, context), 2))`), "
    "the last step after the join is reported as the layer's. The two direction halves combined "
    "at every step, `out[:, :, :H] + out[:, :, H:]` or `o = out.view(B, T, 2, H)` then "
    "`(o[:, :, 0] + o[:, :, 1]) / 2` or `o.sum(2)` (H the RNN's hidden size), are read like such "
    "a layer's result: their last step, or each sequence's last real step, is reported; the "
    "lengths `pad_packed_sequence` returns beside the output are lengths whatever their name "
    "(`out, bz = pad_packed_sequence(packed)`; `out[rows, bz - 1]`). An RNN built outside the "
    "model class and handed to its constructor (`lstm = nn.LSTM(...)` in a factory function, then "
    "`Classifier(lstm, ...)` storing `self.lstm = lstm`, also handed on to another class of the "
    "module) is the class's RNN, unless the module hands that parameter two different RNNs. "
    "Stacked layers are followed: an output rebound in a loop or a branch to the output of "
    "another RNN alike in direction flag, output size and layout (`for _ in range(n): x, _ = "
    "self.upper(x)`), a residual sum of two such step-by-step tensors (`x += mid`, `mid + "
    "self.project(out)`), `nn.Sequential(nn.Linear(...), nn.ReLU())` as a layer at every step, "
    "and `BatchNorm1d`, which keeps each value at its step; an RNN of another kind in between "
    "(unidirectional, another size), a reduction over time or attention pooling leaves the "
    "chain"
)


def _handed_to_readouts(context: RuleContext, steps_read: dict) -> Iterator[RawFinding]:
    """The output given to a module whose ``forward`` takes its last step (``readouts``)."""
    for handed in context.events.readouts:
        fact = handed.value
        if tri_and(fact.site.bidirectional, handed.guard) is not True:
            continue
        if ("int", 0) in steps_read.get((id(handed.scope), id(fact.site)), ()):
            continue
        if fed_one_step_at_a_time(context.events, fact):
            continue
        readout = handed.readout
        message = READOUT_MESSAGE.format(
            expression=context.code(handed.node),
            rnn=fact.site.rnn.label,
            readout=readout.name,
            taken=readout.expression,
            where=readout.origin,
        )
        yield RawFinding(handed.node, message, origin=fact.site.rnn.origin)


READOUT_MESSAGE = (
    "`{expression}` hands bidirectional `{rnn}`'s output to `{readout}`, whose forward takes "
    "its last step (`{taken}` at {where}); the backward half there has seen only that step: "
    "take the forward half at the last step and the backward half at step 0, or use h_n of "
    "packed input"
)

# The model-level clause that confirms a finding at runtime (docs/SPECIFICATION.md).
MODEL_CHECK = (
    "M1 padding-invariance (`pytest --birnn-model`): on a padded batch the last step is padding"
    " for every shorter sequence (fixtures/models/brn004_*)"
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
