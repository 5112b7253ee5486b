"""BRN005: a padded variable-length batch fed to a bidirectional RNN without packing.

The backward direction reads each sequence from its last position, which for every sequence
shorter than the batch is padding: its whole backward pass, and so its output and h_n, depend on
how much padding there is. ``pack_padded_sequence`` makes it start at each sequence's own end.
Padding in front (``[PAD] * n + seq``, Keras's ``pad_sequences`` by default) turns it round: the
forward direction reads the padding first and the backward direction ends on it, and packing
needs the padding moved behind first; the message says which (``padding_sides``).

Evidence that the batch is padded: the analysis follows a padded value (``pad_sequence``, an
embedding with ``padding_idx``, ``F.pad`` by a target length minus the current one) to the RNN
through per-step layers and convolutions, which keep every step and so the padding's too, a
``cat`` with other features along the feature axis, and an ``if`` that pads on one path only. An RNN
that reads another RNN's output, directly or through position-wise layers (an attention block,
a ``Linear``; ``padded_layers``), reads padding where that RNN does, and is reported too. Lengths in
scope count as they are. A padding mask counts only when it goes with what the RNN reads: a
parameter of the same function, or computed from the same data (``mask = x.abs().sum(-1) != 0``
beside ``self.rnn(x)``); a mask that merely exists, another cell's or another batch's, says
nothing about this input, and neither does one made from the RNN's own output.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import libcst as cst

from lint_rules.entry_points import entry_name
from lint_rules.hollow_packing import FIX as HOLLOW_FIX
from lint_rules.hollow_packing import is_hollow
from lint_rules.lineage import Lineage, names_read
from lint_rules.mask_sources import made_from_output, size_names
from lint_rules.one_step_inputs import holds_one_step
from lint_rules.padded_layers import carried_from
from lint_rules.padding_sides import in_front
from lint_rules.rules.base import RawFinding, Rule, RuleContext
from lint_rules.single_sequence_inputs import is_batch_of_one
from lint_rules.values import Packed, Padded, TensorFact

CODE = "BRN005"
NAME = "padded-without-packing"
SUMMARY = (
    "a padded variable-length batch (lengths at hand, `pad_sequence`) fed to a bidirectional RNN "
    "without `pack_padded_sequence`: the backward direction starts on padding (padded in front, "
    "the forward direction reads it first)"
)
MESSAGE = (
    "bidirectional `{rnn}` reads a padded batch ({evidence}) without `pack_padded_sequence`, so "
    "{consequence}"
)
_PACK = (
    "`nn.utils.rnn.pack_padded_sequence(x, lengths.cpu(), batch_first=..., enforce_sorted=False)`"
)
# What the padding does, by the side it is on (``padding_sides``): behind, or not known to be
# in front (``pad_sequence``, a tokenizer, an embedding's ``padding_idx`` pad behind as a rule).
PADDED_BEHIND = f"its backward direction starts on the padding; pack it first: {_PACK}"
PADDED_IN_FRONT = (
    "its forward direction runs over the padding before every shorter sequence and its backward "
    "direction ends on it; pad behind the sequences instead and pack them "
    f"({_PACK} keeps each sequence's first `length` steps)"
)

# A pack in the data code with the padded rows' own lengths (``hollow_packing``) packs nothing.
MESSAGE_HOLLOW = (
    "bidirectional `{rnn}` reads a padded batch ({evidence}) packed with every row's padded "
    "length, which keeps every padded step: {consequence}"
)
PACKED_HOLLOW = f"its backward direction starts on the padding all the same; {HOLLOW_FIX}"

# Per-sequence lengths are plural (`lengths`, `src_lengths`, `x_lens`); `seq_len` is one number.
LENGTHS_NAME = re.compile(r"(lens|lengths)$", re.IGNORECASE)
# A mask per sentence of a pair is numbered: `mask1`, `mask2`.
MASK_NAME = re.compile(r"(^|_)(mask|masks|pad_mask|padding_mask)\d?$", re.IGNORECASE)

WRONG = (
    """
import torch.nn as nn


class Encoder(nn.Module):
    def __init__(self, vocab_size, embed_dim, hidden_size):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim)
        self.rnn = nn.GRU(embed_dim, hidden_size, batch_first=True, bidirectional=True)

    def forward(self, src, src_lengths):
        embedded = self.embedding(src)
        outputs, hidden = self.rnn(embedded)
        return outputs, hidden
""",
    """
import torch.nn as nn
from torch.nn.utils.rnn import pad_sequence


class UtteranceEncoder(nn.Module):
    def __init__(self, n_features, hidden_size):
        super().__init__()
        self.lstm = nn.LSTM(n_features, hidden_size, batch_first=True, bidirectional=True)

    def forward(self, utterances):
        batch = pad_sequence(utterances, batch_first=True)
        out, _ = self.lstm(batch)
        return out
""",
    """
import torch.nn as nn


class Tagger(nn.Module):
    def __init__(self, vocab_size, embed_dim, hidden_dim, num_tags, pad_idx=0):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed_dim, padding_idx=pad_idx)
        self.lstm = nn.LSTM(embed_dim, hidden_dim // 2, bidirectional=True, batch_first=True)
        self.out = nn.Linear(hidden_dim, num_tags)

    def forward(self, tokens):
        features, _ = self.lstm(self.embed(tokens))
        return self.out(features)
""",
    '''
import torch.nn as nn


class Classifier(nn.Module):
    """The embedding is built in either branch; both pad with `pad_id`."""

    def __init__(self, vocab_size, embed_dim, hidden_size, num_classes, pad_id, max_norm=None):
        super().__init__()
        if max_norm is not None:
            self.embed = nn.Embedding(vocab_size, embed_dim, max_norm=max_norm, padding_idx=pad_id)
        else:
            self.embed = nn.Embedding(vocab_size, embed_dim, padding_idx=pad_id)
        self.lstm = nn.LSTM(embed_dim, hidden_size, bidirectional=True)
        self.out = nn.Linear(2 * hidden_size, num_classes)

    def forward(self, tokens):
        features, _ = self.lstm(self.embed(tokens))
        return self.out(features)
''',
    '''
import torch.nn as nn


class SentencePairEncoder(nn.Module):
    """Sentences as word vectors, padded with all-zero rows; the masks find those rows."""

    def __init__(self, embed_dim, hidden_size):
        super().__init__()
        self.lstm = nn.LSTM(embed_dim, hidden_size, batch_first=True, bidirectional=True)

    def forward(self, sent1, sent2):
        mask1 = sent1.abs().sum(dim=-1) != 0
        mask2 = sent2.abs().sum(dim=-1) != 0
        out1, _ = self.lstm(sent1)
        out2, _ = self.lstm(sent2)
        return masked_mean(out1, mask1), masked_mean(out2, mask2)
''',
    '''
import torch
import torch.nn as nn
import torch.nn.functional as F


class ConvBiLSTM(nn.Module):
    """Convolutions over the embedded words keep every step, the padding's too."""

    def __init__(self, vocab_size, embed_dim, hidden_size, pad_id, kernel_sizes=(3, 5)):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed_dim, padding_idx=pad_id)
        self.convs = nn.ModuleList(
            [nn.Conv1d(embed_dim, embed_dim, k, padding=k // 2) for k in kernel_sizes]
        )
        self.lstm = nn.LSTM(2 * embed_dim, hidden_size, batch_first=True, bidirectional=True)

    def forward(self, tokens):
        embedded = self.embed(tokens).transpose(1, 2)
        features = torch.cat([F.relu(conv(embedded)) for conv in self.convs], dim=1)
        out, _ = self.lstm(features.transpose(1, 2))
        return out
''',
    '''
import torch.nn as nn


class WordEncoder(nn.Module):
    class CharEncoder(nn.Module):
        """Takes character ids, or vectors the caller embedded: padded on the first path."""

        def __init__(self, num_chars, dim, pad_id):
            super().__init__()
            self.embed = nn.Embedding(num_chars, dim, padding_idx=pad_id)
            self.rnn = nn.GRU(dim, dim // 2, bidirectional=True)

        def forward(self, x, embedded=False):
            if not embedded:
                x = self.embed(x)
            _, h_n = self.rnn(x)
            return h_n
''',
    '''
import torch.nn as nn
import torch.nn.functional as F


class UtteranceEncoder(nn.Module):
    """The frames are zero-padded up to a fixed number of steps."""

    def __init__(self, n_features, hidden_size, max_frames=300):
        super().__init__()
        self.max_frames = max_frames
        self.lstm = nn.LSTM(n_features, hidden_size, batch_first=True, bidirectional=True)

    def forward(self, frames):
        batch = F.pad(frames, (0, 0, 0, self.max_frames - frames.size(1)))
        out, _ = self.lstm(batch)
        return out
''',
    '''
import torch
import torch.nn as nn
import torch.nn.functional as F


class PairEncoder(nn.Module):
    """The second LSTM reads the first one's padded output through an attention block (softmax
    weights, bmm, cat, Linear: every step kept), unpacked like the first."""

    def __init__(self, vocab_size, dim, pad_id):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, dim, padding_idx=pad_id)
        self.encode = nn.LSTM(dim, dim, batch_first=True, bidirectional=True)
        self.project = nn.Linear(8 * dim, dim)
        self.compose = nn.LSTM(dim, dim, batch_first=True, bidirectional=True)

    def forward(self, premise, hypothesis):
        a, _ = self.encode(self.embed(premise))
        b, _ = self.encode(self.embed(hypothesis))
        aligned = torch.bmm(F.softmax(torch.bmm(a, b.transpose(1, 2)), dim=-1), b)
        m = F.relu(self.project(torch.cat([a, aligned, a - aligned, a * aligned], dim=-1)))
        v, _ = self.compose(m)
        return v
''',
    '''
import torch.nn as nn
import torch.nn.functional as F


class FrontPaddedEncoder(nn.Module):
    """Padded in front up to a fixed number of steps: the forward direction reads the padding
    first, and the backward direction ends on it."""

    def __init__(self, n_features, hidden_size, max_frames=300):
        super().__init__()
        self.max_frames = max_frames
        self.lstm = nn.LSTM(n_features, hidden_size, batch_first=True, bidirectional=True)

    def forward(self, frames):
        batch = F.pad(frames, (0, 0, self.max_frames - frames.size(1), 0))
        out, _ = self.lstm(batch)
        return out
''',
    '''
import torch
import torch.nn as nn


class WordCharTagger(nn.Module):
    """Word embeddings (padded) joined with per-word character features along the feature axis:
    every step is still there, the padded ones too."""

    def __init__(self, vocab_size, dim, char_dim, pad_id):
        super().__init__()
        self.word_embed = nn.Embedding(vocab_size, dim, padding_idx=pad_id)
        self.lstm = nn.LSTM(dim + char_dim, dim, batch_first=True, bidirectional=True)

    def forward(self, words, char_features):
        x = torch.cat((self.word_embed(words), char_features), dim=-1)
        out, _ = self.lstm(x)
        return out
''',
    '''
import torch.nn as nn


class SpanReader(nn.Module):
    """The output layer is a function nested in forward, handed the modelling RNN's output:
    the padded steps are still in it, and the closure's bidirectional LSTM reads them."""

    def __init__(self, vocab_size, dim, pad_id):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, dim, padding_idx=pad_id)
        self.model_lstm = nn.LSTM(dim, dim, batch_first=True)
        self.output_lstm = nn.LSTM(dim, dim, batch_first=True, bidirectional=True)
        self.end = nn.Linear(2 * dim, 1)

    def forward(self, words):
        def output_layer(m):
            m2, _ = self.output_lstm(m)
            return self.end(m2).squeeze(-1)

        m, _ = self.model_lstm(self.embed(words))
        return output_layer(m)
''',
    '''
import torch
import torch.nn as nn


def sort_by_length(batch, lengths):
    """Sorts the batch longest first, as packing needs, but returns it padded."""
    order = torch.argsort(lengths, descending=True)
    return batch[order], torch.argsort(order)


class SortedTagger(nn.Module):
    def __init__(self, vocab_size, dim):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, dim)
        self.lstm = nn.LSTM(dim, dim, batch_first=True, bidirectional=True)

    def forward(self, words, lengths):
        batch, restore = sort_by_length(self.embed(words), lengths)
        out, _ = self.lstm(batch)
        return out[restore]
''',
)

RIGHT = (
    """
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


class Encoder(nn.Module):
    def __init__(self, vocab_size, embed_dim, hidden_size):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        self.rnn = nn.GRU(embed_dim, hidden_size, batch_first=True, bidirectional=True)

    def forward(self, src, src_lengths):
        embedded = self.embedding(src)
        packed = pack_padded_sequence(embedded, src_lengths.cpu(), batch_first=True,
                                      enforce_sorted=False)
        packed_outputs, hidden = self.rnn(packed)
        outputs, _ = pad_packed_sequence(packed_outputs, batch_first=True)
        return outputs, hidden
""",
    '''
import torch.nn as nn


class Encoder(nn.Module):
    """Unidirectional: the forward direction never reads past a sequence's end."""

    def __init__(self, vocab_size, embed_dim, hidden_size):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        self.rnn = nn.LSTM(embed_dim, hidden_size, batch_first=True)

    def forward(self, src, lengths):
        outputs, _ = self.rnn(self.embedding(src))
        return outputs
''',
    '''
import torch.nn as nn


class FixedLengthEncoder(nn.Module):
    """Fixed-length frames, no sign of padding: nothing to pack."""

    def __init__(self, n_features, hidden_size):
        super().__init__()
        self.rnn = nn.LSTM(n_features, hidden_size, batch_first=True, bidirectional=True)

    def forward(self, frames):
        seq_len = frames.size(1)
        out, _ = self.rnn(frames)
        return out[:, seq_len // 2]
''',
    '''
import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence


class Classifier(nn.Module):
    """The embedding is built in either branch, and the padded batch is packed."""

    def __init__(self, vocab_size, embed_dim, hidden_size, num_classes, pad_id, max_norm=None):
        super().__init__()
        if max_norm is not None:
            self.embed = nn.Embedding(vocab_size, embed_dim, max_norm=max_norm, padding_idx=pad_id)
        else:
            self.embed = nn.Embedding(vocab_size, embed_dim, padding_idx=pad_id)
        self.lstm = nn.LSTM(embed_dim, hidden_size, bidirectional=True)
        self.out = nn.Linear(2 * hidden_size, num_classes)

    def forward(self, tokens, lengths):
        packed = pack_padded_sequence(self.embed(tokens), lengths.cpu(), enforce_sorted=False)
        _, (h_n, _) = self.lstm(packed)
        return self.out(torch.cat([h_n[-2], h_n[-1]], dim=1))
''',
    """
import torch
import torch.nn as nn

# A notebook's experiment: the mask belongs to another batch, the toy input has no padding.
batch = next(iter(loader))
for attention_mask in batch["attention_mask"]:
    print(attention_mask.sum())

lstm = nn.LSTM(2, 10, batch_first=True, bidirectional=True)
one_sequence = torch.tensor([[[1.0, 1.0], [0.5, 0.5]]])
print(lstm(one_sequence)[0][0])
""",
    '''
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence


class ConvBiLSTM(nn.Module):
    """The convolved batch is still padded, and is packed before the LSTM."""

    def __init__(self, vocab_size, embed_dim, hidden_size, pad_id, kernel_sizes=(3, 5)):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed_dim, padding_idx=pad_id)
        self.convs = nn.ModuleList(
            [nn.Conv1d(embed_dim, embed_dim, k, padding=k // 2) for k in kernel_sizes]
        )
        self.lstm = nn.LSTM(2 * embed_dim, hidden_size, batch_first=True, bidirectional=True)

    def forward(self, tokens, lengths):
        embedded = self.embed(tokens).transpose(1, 2)
        features = torch.cat([F.relu(conv(embedded)) for conv in self.convs], dim=1)
        packed = pack_padded_sequence(
            features.transpose(1, 2), lengths.cpu(), batch_first=True, enforce_sorted=False
        )
        out, _ = self.lstm(packed)
        return out
''',
    '''
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence


class WordEncoder(nn.Module):
    class CharEncoder(nn.Module):
        """Takes character ids, or vectors the caller embedded, and packs either."""

        def __init__(self, num_chars, dim, pad_id):
            super().__init__()
            self.embed = nn.Embedding(num_chars, dim, padding_idx=pad_id)
            self.rnn = nn.GRU(dim, dim // 2, bidirectional=True)

        def forward(self, x, lengths, embedded=False):
            if not embedded:
                x = self.embed(x)
            _, h_n = self.rnn(pack_padded_sequence(x, lengths.cpu(), enforce_sorted=False))
            return h_n
''',
    '''
import torch.nn as nn


class FrameAttention(nn.Module):
    """A mask made from the LSTM's own output, after the call, says nothing about its input."""

    def __init__(self, n_features, hidden_size):
        super().__init__()
        self.lstm = nn.LSTM(n_features, hidden_size, batch_first=True, bidirectional=True)
        self.attention = nn.MultiheadAttention(2 * hidden_size, 4, batch_first=True)

    def forward(self, frames):
        out, _ = self.lstm(frames)
        mask = out[:, :, 0] == 0
        attended, _ = self.attention(out, out, out, key_padding_mask=mask)
        return attended.sum(dim=1)
''',
    '''
import torch.nn as nn
import torch.nn.functional as F


class FrameEncoder(nn.Module):
    """A convolution's border padding (constant widths) pads space, not sequences."""

    def __init__(self, n_features, hidden_size):
        super().__init__()
        self.conv = nn.Conv1d(n_features, n_features, 3)
        self.lstm = nn.LSTM(n_features, hidden_size, batch_first=True, bidirectional=True)

    def forward(self, frames):
        features = self.conv(F.pad(frames.transpose(1, 2), (1, 1)))
        out, _ = self.lstm(features.transpose(1, 2))
        return out
''',
    '''
import torch
import torch.nn as nn
import torch.nn.functional as F


class PairEncoder(nn.Module):
    """Fixed-length frames, no sign of padding: the attention block between the two LSTMs
    carries none to the second."""

    def __init__(self, dim):
        super().__init__()
        self.encode = nn.LSTM(dim, dim, batch_first=True, bidirectional=True)
        self.project = nn.Linear(8 * dim, dim)
        self.compose = nn.LSTM(dim, dim, batch_first=True, bidirectional=True)

    def forward(self, left, right):
        a, _ = self.encode(left)
        b, _ = self.encode(right)
        aligned = torch.bmm(F.softmax(torch.bmm(a, b.transpose(1, 2)), dim=-1), b)
        m = F.relu(self.project(torch.cat([a, aligned, a - aligned, a * aligned], dim=-1)))
        v, _ = self.compose(m)
        return v


class Separator(nn.Module):
    """The spectral mask is made from the RNN's output (``x`` rebound after the call), and
    the all-ones mask only shares the batch's size: neither says the batch is padded."""

    def __init__(self, n_bins, hidden_size):
        super().__init__()
        self.lstm = nn.LSTM(n_bins, hidden_size, bidirectional=True)
        self.fc = nn.Linear(n_bins + 2 * hidden_size, n_bins)

    def forward(self, x):
        n_frames, n_samples, n_bins = x.shape
        frame_mask = torch.ones(n_frames, n_samples, device=x.device)
        out, _ = self.lstm(x)
        x = torch.cat([x, out], -1)
        x = self.fc(x.reshape(-1, x.shape[-1])).reshape(n_frames, n_samples, n_bins)
        mask = F.relu(x)
        return mask * frame_mask.unsqueeze(-1)
''',
    '''
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence


class BehindPaddedEncoder(nn.Module):
    """Padded behind up to a fixed number of steps, then packed with each utterance's length."""

    def __init__(self, n_features, hidden_size, max_frames=300):
        super().__init__()
        self.max_frames = max_frames
        self.lstm = nn.LSTM(n_features, hidden_size, batch_first=True, bidirectional=True)

    def forward(self, frames, lengths):
        batch = F.pad(frames, (0, 0, 0, self.max_frames - frames.size(1)))
        packed = pack_padded_sequence(batch, lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, _ = self.lstm(packed)
        return out
''',
    '''
import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence


class WordCharTagger(nn.Module):
    """The joined word and character features are packed before the LSTM."""

    def __init__(self, vocab_size, dim, char_dim, pad_id):
        super().__init__()
        self.word_embed = nn.Embedding(vocab_size, dim, padding_idx=pad_id)
        self.lstm = nn.LSTM(dim + char_dim, dim, batch_first=True, bidirectional=True)

    def forward(self, words, char_features, lengths):
        x = torch.cat((self.word_embed(words), char_features), dim=-1)
        packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        _, (h_n, _) = self.lstm(packed)
        return torch.cat((h_n[-2], h_n[-1]), dim=-1)
''',
    '''
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


class SpanReader(nn.Module):
    """The nested output layer packs what it is handed with the lengths before its LSTM."""

    def __init__(self, vocab_size, dim, pad_id):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, dim, padding_idx=pad_id)
        self.model_lstm = nn.LSTM(dim, dim, batch_first=True)
        self.output_lstm = nn.LSTM(dim, dim, batch_first=True, bidirectional=True)
        self.end = nn.Linear(2 * dim, 1)

    def forward(self, words, lengths):
        def output_layer(m):
            packed = pack_padded_sequence(m, lengths.cpu(), batch_first=True, enforce_sorted=False)
            m2, _ = pad_packed_sequence(self.output_lstm(packed)[0], batch_first=True)
            return self.end(m2).squeeze(-1)

        m, _ = self.model_lstm(self.embed(words))
        return output_layer(m)
''',
    '''
import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence


def sort_and_pack(batch, lengths):
    """Packs the batch longest first; the second value restores its order."""
    order = torch.argsort(lengths, descending=True)
    packed = pack_padded_sequence(batch[order], lengths[order].cpu(), batch_first=True)
    return packed, torch.argsort(order)


class SortedTagger(nn.Module):
    """The helper packs (also when it is imported from another module of the project)."""

    def __init__(self, vocab_size, dim):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, dim)
        self.lstm = nn.LSTM(dim, dim, batch_first=True, bidirectional=True)

    def forward(self, words, lengths):
        batch, restore = sort_and_pack(self.embed(words), lengths)
        packed_out, _ = self.lstm(batch)
        return packed_out, restore
''',
)


def _evidence(call, lineages: dict[int, Lineage]) -> str | None:
    if isinstance(call.input, Padded):
        return call.input.evidence
    lengths = sorted(
        name for name in call.scope.names if "." not in name and LENGTHS_NAME.search(name)
    )
    if lengths:
        return f"`{lengths[0]}` is in scope"
    masks = sorted(name for name in call.scope.names if "." not in name and MASK_NAME.search(name))
    for mask in masks:
        relation = _mask_relation(call, mask, lineages)
        if relation:
            return f"`{mask}` {relation}"
    return None


def _mask_relation(call, mask: str, lineages: dict[int, Lineage]) -> str:
    """How a padding mask goes with the batch the RNN reads ("" when it does not): it comes into
    the same function as a parameter, the RNN's input is computed from it, or both are computed
    from the same data. A mask that merely exists (another cell's, another batch's) says nothing
    about this input."""
    function = call.scope.node
    parameters = _parameters(function)
    if mask in parameters:
        return "comes with the batch"
    rnn_input = _input_expression(call.site.node)
    if rnn_input is None:
        return ""
    lineage = _lineage(function, lineages)
    variables = (set(lineage.sources) | parameters) - lineage.literal_only
    read = lineage.ancestors(names_read(rnn_input)) & variables
    if mask in read:
        return "is used to compute the RNN's input"
    # the RNN's own output is no evidence about its input: `(out[:, :, 0] != 0)` after the call
    outputs = lineage.bound_from(call.site.node)
    if made_from_output(function, mask, call.site.node, outputs):
        return ""  # through a name rebound after the call: `x = cat([x, out])`, `relu(x)`
    stop = outputs | size_names(function)  # a shared size is no shared batch
    shared = lineage.ancestors(lineage.sources.get(mask, ()), stop=stop) & read
    if shared:
        return f"is computed from `{sorted(shared)[0]}`, as the RNN's input is"
    return ""


def _parameters(function) -> set[str]:
    if not isinstance(function, cst.FunctionDef):
        return set()
    params = function.params
    every = [*params.posonly_params, *params.params, *params.kwonly_params]
    return {param.name.value for param in every}


def _input_expression(node) -> cst.BaseExpression | None:
    """The batch an RNN call reads: its first positional argument, or ``input=``."""
    if not isinstance(node, cst.Call):
        return None
    for argument in node.args:
        if argument.keyword is None and argument.star == "":
            return argument.value
        if argument.keyword is not None and argument.keyword.value == "input":
            return argument.value
    return None


def _project_evidence(call, events, module: cst.Module) -> tuple[str, str] | None:
    """Padding done in the data code of another module, for an RNN the model's ``forward`` (or
    the ``__call__`` it defines in its place, ``entry_points``) runs on its input (or another method of the model runs on the same input, named as forward names
    it: a CRF's loss method ``log_likelihood(self, x, tags)`` beside ``forward(self, x)``; not
    ``translate(self, sentence)``, which runs one sentence): counted only where no module of the
    project packs where it can reach this RNN (then the packing may well happen before the
    call): outside model classes (data or training code that packs batches), or in the class
    whose method calls the RNN; another model's ``forward`` packs its own RNN's input only."""
    if events.project_padding is None or events.project_packs:
        return None
    owners = events.packing_owners
    if not _packed_hollow(events):
        owners = owners + events.unpacking_owners  # unpacking reads a batch packed elsewhere
    if any(_packing_may_reach(owner, call) for owner in owners):
        return None
    if call.owner is None:
        return None
    if is_batch_of_one(_input_expression(call.site.node), call.site.rnn.batch_first):
        return None  # one sequence per call: no batch-mates to be padded to
    function = call.scope.node
    while id(function) in events.enclosing_functions:
        function = events.enclosing_functions[id(function)]  # a closure runs where it is defined
    name, first = _name(function), _first_parameter(function)
    entry = entry_name(_methods_beside(module, function))
    if name != entry and (
        _is_helper(module, function)
        or not any(
            other.site.rnn is call.site.rnn
            and _name(other.scope.node) == entry
            and first is not None
            and _first_parameter(other.scope.node) == first
            for other in events.calls
        )
    ):
        if not _reached_with_the_batch(module, function):
            return None
    return events.project_padding


def _reached_with_the_batch(module: cst.Module, function) -> bool:
    """``function`` is a method that ``forward``, or a method taking the batch as forward names
    it (``neg_log_likelihood(self, sentence, tags)`` beside ``forward(self, sentence)``), calls
    through ``self.method(...)``, directly or through other methods: it runs on the batch
    (``get_logits(self, x)`` called by ``forward``). ``translate(self, sentence)``, which no such
    method calls, runs on one sentence."""
    methods = _methods_beside(module, function)
    entry = entry_name(methods)
    if entry is None or _name(function) not in methods:
        return False
    batch = _first_parameter(methods[entry])
    helpers = _helpers(methods)
    pending = [
        method
        for name, method in methods.items()
        if name == entry
        or (batch is not None and _first_parameter(method) == batch and name not in helpers)
    ]
    seen = {id(method) for method in pending}
    while pending:
        method = pending.pop()
        if method is function:
            return True
        for called in _self_calls(method):
            target = methods.get(called)
            if target is not None and id(target) not in seen:
                seen.add(id(target))
                pending.append(target)
    return False


def _is_helper(module: cst.Module, function) -> bool:
    """Another method of the class calls ``function`` as ``self.name(...)``: what it runs on
    is what its callers give it, whatever its parameter is named (``inference_crnn(self, x, h)``
    called only by ``predict(self, wav)`` runs on one recording, not the training batch)."""
    methods = _methods_beside(module, function)
    return _name(function) in _helpers(methods)


def _helpers(methods: dict[str, cst.FunctionDef]) -> set[str]:
    """The methods another method of the same class calls through ``self``."""
    return {
        called
        for name, method in methods.items()
        for called in _self_calls(method)
        if called != name and called in methods
    }


def _methods_beside(module: cst.Module, function) -> dict[str, cst.FunctionDef]:
    """The methods of the class that defines ``function`` (empty when none does)."""
    found: dict[str, cst.FunctionDef] = {}

    class Finder(cst.CSTVisitor):
        def visit_ClassDef(self, node: cst.ClassDef) -> None:
            body = [item for item in node.body.body if isinstance(item, cst.FunctionDef)]
            if any(item is function for item in body):
                found.update((item.name.value, item) for item in body)

    module.visit(Finder())
    return found


def _self_calls(function: cst.FunctionDef) -> set[str]:
    """The names of the methods ``function`` calls as ``self.name(...)``."""
    names: set[str] = set()

    class Collector(cst.CSTVisitor):
        def visit_Call(self, node: cst.Call) -> None:
            func = node.func
            if (
                isinstance(func, cst.Attribute)
                and isinstance(func.value, cst.Name)
                and func.value.value == "self"
            ):
                names.add(func.attr.value)

    function.visit(Collector())
    return names


def _packing_may_reach(owner, call) -> bool:
    """Packing done by ``owner`` (a ClassContext, None outside classes) may be what this call
    reads: it is done outside model classes, or in the calling class itself."""
    return owner is None or owner.name == call.owner or not _is_model_class(owner)


def _is_model_class(owner) -> bool:
    """A class defining ``forward`` (or inheriting it in the module), or derived from a
    ``...Module``."""
    if "forward" in owner.methods or any(_is_model_class(base) for base in owner.bases):
        return True
    return any(_last_name(base.value).endswith("Module") for base in owner.node.bases)


def _last_name(node) -> str:
    if isinstance(node, cst.Attribute):
        return node.attr.value
    return node.value if isinstance(node, cst.Name) else ""


def _name(function) -> str:
    return getattr(getattr(function, "name", None), "value", "")


def _first_parameter(function) -> str | None:
    """The first parameter after ``self`` of a method (libcst)."""
    parameters = getattr(getattr(function, "params", None), "params", ())
    return parameters[1].name.value if len(parameters) > 1 else None


def check(context: RuleContext) -> Iterator[RawFinding]:
    lineages: dict[int, Lineage] = {}
    for call in context.events.calls:
        if call.site.bidirectional is not True:
            continue
        evidence = _call_evidence(call, context, lineages, frozenset())
        if evidence is None or _one_step_per_call(call):
            continue
        consequence = PADDED_IN_FRONT if in_front(evidence) else PADDED_BEHIND
        template = MESSAGE
        if is_hollow(evidence):
            template, consequence = MESSAGE_HOLLOW, PACKED_HOLLOW
        message = template.format(
            rnn=call.site.rnn.label, evidence=evidence, consequence=consequence
        )
        yield RawFinding(call.site.node, message, origin=call.site.rnn.origin)


def _one_step_per_call(call) -> bool:
    """The call reads one time step of its batch (``one_step_inputs``), as a loop stepping the
    RNN frame by frame does: no direction reads padding before real steps in it."""
    batch_first = call.site.rnn.batch_first
    if batch_first not in (True, False):
        return False
    time_axis = 1 if batch_first else 0
    return holds_one_step(_input_expression(call.site.node), time_axis, call.scope.node)


def _call_evidence(call, context: RuleContext, lineages, seen: frozenset) -> str | None:
    """What shows that an RNN call (of either direction) reads a padded batch unpacked."""
    if call.scope.packs or isinstance(call.input, Packed):
        return None
    if call.scope.unpacks and not _packed_hollow(context.events):
        return None  # the batch comes packed from elsewhere
    seen = seen | {id(call)}
    if isinstance(call.input, TensorFact):
        # another RNN's output: padded where that RNN's input is
        return _carried_evidence(call, context, lineages, seen)
    evidence = _evidence(call, lineages)
    if evidence is None:
        carried = _carried_evidence(call, context, lineages, seen)
        if carried is not None:
            return carried
        project = _project_evidence(call, context.events, context.module)
        return None if project is None else f"{project[0]} in {project[1]}"
    if context.events.module_packs and not isinstance(call.input, Padded):
        # names alone are weak evidence where the module packs elsewhere
        return _carried_evidence(call, context, lineages, seen)
    return evidence


def _packed_hollow(events) -> bool:
    """The program's only packing is a pack of the data code that packs nothing
    (``hollow_packing``): a ``pad_packed_sequence`` beside the RNN unpacks what is still
    padded."""
    padding = events.project_padding
    return padding is not None and not events.project_packs and is_hollow(padding[0])


def _carried_evidence(call, context: RuleContext, lineages, seen: frozenset) -> str | None:
    """The input is an earlier RNN's output, directly or through position-wise layers
    (``padded_layers``), and that RNN reads a padded batch: the padded steps are still there."""
    function = call.scope.node
    if isinstance(call.input, TensorFact):
        if call.input.role != "output":
            return None
        firsts = [other for other in context.events.calls if other.site is call.input.site]
    else:
        rnn_input = _input_expression(call.site.node)
        if rnn_input is None or not isinstance(function, cst.FunctionDef):
            return None
        lineage = _lineage(function, lineages)
        returned = _helper_output_names(context.events, function, lineage)
        firsts = [
            other
            for other in context.events.calls
            if id(other) not in seen
            and (
                (
                    other.scope.node is function
                    and carried_from(lineage, rnn_input, lineage.first_bound_from(other.site.node))
                )
                or carried_from(lineage, rnn_input, returned.get(id(other.site), set()))
            )
        ]
    for other in firsts:
        if id(other) in seen:
            continue
        evidence = _call_evidence(other, context, lineages, seen)
        if evidence is not None:
            return f"the output of `{other.site.rnn.label}`, which reads padding too: {evidence}"
    return None


def _helper_output_names(events, function, lineage: Lineage) -> dict[int, set[str]]:
    """id(call site) -> the names ``function`` binds to what a helper returns, when that is the
    RNN's output (``x = self.embedding(words)`` with ``embedding`` returning
    ``self.lstm(...)[0]``): the first RNN of a chain may run in a method of its own."""
    found: dict[int, set[str]] = {}
    for node, scope, site in events.helper_outputs:
        if scope is function:
            found.setdefault(id(site), set()).update(lineage.bound_to(node))
    return found


def _lineage(function, lineages: dict[int, Lineage]) -> Lineage:
    lineage = lineages.get(id(function))
    if lineage is None:
        lineage = lineages[id(function)] = Lineage(function)
    return lineage


NOTES = (
    "an RNN call whose input is one time step of the batch (`x[:, t:t+1]`, `x[:, :1]`, "
    "`x[:, t].unsqueeze(1)`, `x[t:t+1]` time-major, or a name bound only to such slices), as in "
    "a loop that steps the RNN frame by frame, reads no padding before real steps and is not "
    "reported (stepping a bidirectional RNN is BRN007's pitfall); "
    "padding in the project's data code says nothing of an RNN whose input is one sequence "
    "made a batch of one (`embeds.unsqueeze(1)` time-major, `x.unsqueeze(0)` batch-first, "
    "`embeds.view(len(sentence), 1, -1)`): it has no batch-mates to be padded to; "
    "besides padding seen in the module itself (lengths in scope; a padding mask that is a "
    "parameter of the same function or is computed from the same data as the RNN's input, such as "
    "`mask1 = sent1.abs().sum(-1) != 0`, but not a mask that merely exists elsewhere, such as "
    "another notebook cell's, nor one made from the RNN's own output after the call (also "
    "through a name rebound after it, `x = torch.cat([x, out], -1)`), nor one that shares only "
    "the batch's size or device (`torch.ones(x.shape[:2])`); "
    "`pad_sequence`; an embedding with `padding_idx`; `F.pad` whose widths are a target length "
    "minus the current one, such as `(0, 0, 0, max_len - x.size(1))`, followed through "
    "convolutions, per-step layers, a `torch.cat` with other features along the feature axis "
    "(`torch.cat((self.word_embed(words), char_features), -1)`), an `if` that embeds on one "
    "path only, and into a helper method or a function nested in `forward` that is handed the "
    "padded batch and runs the RNN on it (`self.encode(self.embed(words))`); and for an RNN that "
    "reads another RNN's output, directly or through position-wise layers such as an attention "
    "block's `bmm`/`softmax`/`cat`, a `Linear` or `masked_fill`, the padding that RNN reads (also "
    "when that RNN runs in a helper method whose returned output the function binds, `c = "
    "self.encode(context)`, and when the second RNN runs in a function nested in `forward` or in "
    "a helper method that is handed the first one's output, `output_layer(m)`), unless "
    "a step on the way reshapes, reduces, pools or indexes the time axis), padding done in the "
    "data code of the same program counts "
    '(`pad_sequence`, a tokenizer called with `padding="max_length"`, unless its batch only '
    "goes into a transformer whose `pooler_output` or `last_hidden_state[:, 0]` is read, "
    "torchtext's "
    "`Field(fix_length=...)`, `Field(include_lengths=True)`, `BucketIterator` or "
    "`BucketIterator.splits`, `seq + [PAD] * (max_len - len(seq))`, `seq += ...` or "
    "`seq.extend(...)`; Keras's `pad_sequences` imported from `keras` or `tensorflow` (a "
    "project's own function of that name is not), which pads in front unless called with "
    "`padding='post'`; a batch allocated to a maximum length (`torch.zeros`, `torch.ones`, "
    "`torch.full`, `np.full`, a pad value times ones, `(np.ones((n, maxlen)) * value)"
    ".astype(dtype)` as in copies of Keras's old `pad_sequences`...) and filled per sequence "
    "up to its length, "
    "`padded[i, :len(seq)] = seq`, or time-major, `padded[:len(seq), i] = seq` with the "
    "sample's index a name (not `buf[:n, 0]`, a column), also one channel of the row, "
    "`padded[i, :f.shape[0], 0] = f`; a pad id written into a 2-D batch, "
    "`batch[i][j] = pad_id`, or one looked up by the pad token, `vocab.stoi['<pad>']`, "
    "`w2i['[PAD]']`; a buffer allocated at the length a per-token loop stops at, "
    "`ids = np.zeros([limit])`, `for i, w in enumerate(tokens): if i >= limit: break`, "
    "`ids[i] = word2id[w]` (not a loop without that stop, nor one writing what is not the "
    "token); each position of a fixed length copied while the sequence lasts and given a pad "
    "value after it, `if i < len(seq): out.append(seq[i]) else: out.append(pad)`, the same with "
    "`out[i] = ...`, or `seq[i] if i < len(seq) else PAD` (not the last frame repeated); "
    "a list padded in front, `[PAD] * (max_len - len(seq)) + seq`, or "
    "behind through a length bound to a name; `np.pad`/`F.pad`, or a filler `np.zeros`, sized a target length "
    "minus the current one, `(0, max_frames - x.shape[1])`, directly or through a name (also "
    "one unpacked from a shape, `L, D = emb.shape`, `torch.zeros((max_len - L, D))`), but not "
    "constant widths nor one tensor's size minus another's, nor a length that the program "
    "gives an RNN as its input size, directly or through the model's constructor argument "
    "that reaches it (`F.pad` to `self.wav_length`, the model built with "
    "`input_size=dataset.wav_length` and its `nn.LSTM(input_size, ...)`: each step's features "
    "are padded, not steps); "
    "a list extended by a run whose count is such a name, `pad_len = max(0, n - len(vec))`, `vec += [PAD] * pad_len`; "
    "`while len(seq) < max_len: seq.append(PAD)`, a loop that appends only constants (or a "
    "name bound to a pad token) up to a length that is not a literal, also to `rows[-1]`; a "
    "sample zero-filled to the batch's widest, "
    "`o = torch.zeros(shape)` with `shape = (1, H, max_w)`, then `o[:, :, :x.shape[2]] = x`; "
    "one sample copied into a buffer whose first size names a maximum sequence length, up to "
    "its own length, `audio = np.zeros((max_len, n_mels))`, `audio[:n] = mel[:n]` with "
    "`n = min(max_len, mel.shape[0])`, but not a buffer filled whole, by column or as an image; "
    "but not padding merged away, the members of one item padded to a common length and then "
    "reduced across them into one sequence and not read again unreduced (the tracks of a MIDI "
    "file merged by `np.array(tracks).max(axis=0)`, audio stems mixed by "
    "`np.sum(padded, axis=0)`); "
    "nor padding that serves evaluation: a padded value only scored, compared, measured or "
    "printed (`criterion(out, pad_sequence(targets))`, `confusion_matrix(padded_preds, "
    "padded_targets)`, `padded.size(1)`), or the model's own predictions padded (derived in "
    "the same function from an `argmax`, a decoding call such as `crf.decode(...)` or a model "
    "call) and handed to no call but a scoring one; padding handed to any other call (a model, "
    "a decoder's teacher-forced targets, a rescorer) or returned from data code still counts; "
    "in a module that imports the model's module, is imported by it, or shares "
    "an importer with it (a module loaded by a computed name, "
    '`importlib.import_module("models." + name)`, is imported with its whole package); '
    "a notebook's own data cells; a model package imported by the program "
    "offers its models of the same `forward` shape too), and so does a data file (`.pkl`, `.npy`, "
    "`.npz`) that a padding function saves and the model's program loads (its path a "
    "literal, a module constant, or a configuration class's attribute read through the class "
    "or a module-level instance of it, `opt.pickle_path` with `opt = DefaultConfig()`); for an RNN a model's "
    "`forward` (or the `__call__` a module defines in its place) runs, also in a function nested in it, or another of its methods that takes forward's input (such as a CRF loss) "
    "or that `forward` or such a method calls (`self.get_logits(x)`), not one only "
    "`translate(self, sentence)` reaches, nor one that only other methods call with something "
    "else, whatever its parameters are named (`predict(self, wav)` calling `self.step(chunk, h)` "
    "on one recording's chunks); a data "
    "module with a syntax error counts by the parts that parse alone, and the message says it "
    "has one; where no packing can reach that RNN: a batch packed by a function of the "
    "project (of the module, a method, or imported from another module: one that calls "
    "`pack_padded_sequence` and returns the packed batch, alone or in the tuple it returns, "
    "such as `packed, order = pack_rnn_input(embedded, lengths)`, also through another such "
    "function up to three deep) is packed; a pack in the data code whose lengths are read "
    "off the rows `pad_sequence(..., batch_first=True)` returned, `padded = pad_sequence(xs, "
    "batch_first=True)`, `pack_padded_sequence(padded, [len(p) for p in padded], "
    "batch_first=True)` (also `p.size(0)`, `p.shape[0]`, in a tensor), packs nothing: every "
    "length is the longest, and the message says so "
    f'("{MESSAGE_HOLLOW.format(rnn="...", evidence="...", consequence=PACKED_HOLLOW)}"), also '
    "for a model that unpacks such a batch with `pad_packed_sequence`; packing in data "
    "or training code (outside model classes) or in the calling class silences it, another "
    "model class's `forward` packing its own input does not; the message names the padding "
    "module; the message says what the padding does by the side it is on: behind (or not known "
    f'to be in front), "{PADDED_BEHIND}"; in front (`[PAD] * n + seq`, Keras\'s '
    "`pad_sequences` by default, `pad_sequence(..., padding_side='left')`, `np.pad`/`F.pad` "
    "widths or a filler block before the "
    f'sequence), "{PADDED_IN_FRONT}"'
)

# The model-level clause that confirms a finding at runtime (docs/SPECIFICATION.md).
MODEL_CHECK = (
    "M1 padding-invariance (`pytest --birnn-model`): the backward direction reads the padding "
    "first, so a sequence's results change when it is padded (fixtures/models/brn005_*)"
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
