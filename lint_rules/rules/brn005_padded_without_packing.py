"""BRN005: a padded variable-length batch fed to a bidirectional RNN without packing.

The backward direction reads each sequence from its last position, which for every sequence
shorter than the batch is padding: its whole backward pass, and so its output and h_n, depend on
how much padding there is. ``pack_padded_sequence`` makes it start at each sequence's own end.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from lint_rules.rules.base import RawFinding, Rule, RuleContext
from lint_rules.values import Packed, Padded, TensorFact

CODE = "BRN005"
NAME = "padded-without-packing"
SUMMARY = (
    "a padded variable-length batch (lengths at hand, `pad_sequence`) fed to a bidirectional RNN "
    "without `pack_padded_sequence`: the backward direction starts on padding"
)
MESSAGE = (
    "bidirectional `{rnn}` reads a padded batch ({evidence}) without `pack_padded_sequence`, so "
    "its backward direction starts on the padding; pack it first: "
    "`nn.utils.rnn.pack_padded_sequence(x, lengths.cpu(), batch_first=..., enforce_sorted=False)`"
)

# Per-sequence lengths are plural (`lengths`, `src_lengths`, `x_lens`); `seq_len` is one number.
LENGTHS_NAME = re.compile(r"(lens|lengths)$", re.IGNORECASE)
MASK_NAME = re.compile(r"(^|_)(mask|masks|pad_mask|padding_mask)$", re.IGNORECASE)

WRONG = (
    '''
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
''',
    '''
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
''',
    '''
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
''',
)

RIGHT = (
    '''
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
''',
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
)


def _evidence(call) -> str | None:
    if isinstance(call.input, Padded):
        return call.input.evidence
    lengths = sorted(
        name for name in call.scope.names if "." not in name and LENGTHS_NAME.search(name)
    )
    if lengths:
        return f"`{lengths[0]}` is in scope"
    masks = sorted(name for name in call.scope.names if "." not in name and MASK_NAME.search(name))
    if masks:
        return f"`{masks[0]}` is in scope"
    return None


def _project_evidence(call, events) -> tuple[str, str] | None:
    """Padding done in the data code of another module, for an RNN the model's ``forward`` runs
    on its input (or another method of the model runs on the same input, named as forward names
    it: a CRF's loss method ``log_likelihood(self, x, tags)`` beside ``forward(self, x)``; not
    ``translate(self, sentence)``, which runs one sentence): counted only where no module of the
    project packs (then the packing may well happen before the call)."""
    if events.project_padding is None or events.project_packs or events.module_packs:
        return None
    if call.owner is None:
        return None
    name, first = _name(call.scope.node), _first_parameter(call.scope.node)
    if name != "forward" and not any(
        other.site.rnn is call.site.rnn
        and _name(other.scope.node) == "forward"
        and first is not None
        and _first_parameter(other.scope.node) == first
        for other in events.calls
    ):
        return None
    return events.project_padding


def _name(function) -> str:
    return getattr(getattr(function, "name", None), "value", "")


def _first_parameter(function) -> str | None:
    """The first parameter after ``self`` of a method (libcst)."""
    parameters = getattr(getattr(function, "params", None), "params", ())
    return parameters[1].name.value if len(parameters) > 1 else None


def check(context: RuleContext) -> Iterator[RawFinding]:
    for call in context.events.calls:
        if call.site.bidirectional is not True or call.scope.packs:
            continue
        if isinstance(call.input, (Packed, TensorFact)):
            continue  # packed already, or fed by another RNN (the first one is the one to fix)
        evidence = _evidence(call)
        if evidence is None:
            project = _project_evidence(call, context.events)
            if project is None:
                continue
            evidence = f"{project[0]} in {project[1]}"
        elif context.events.module_packs and not isinstance(call.input, Padded):
            continue  # names alone are weak evidence where the module packs elsewhere
        message = MESSAGE.format(rnn=call.site.rnn.label, evidence=evidence)
        yield RawFinding(call.site.node, message, origin=call.site.rnn.origin)


NOTES = (
    "besides padding seen in the module itself (lengths or a mask in scope, `pad_sequence`, an "
    "embedding with `padding_idx`), padding done in the data code of the same program counts "
    "(`pad_sequence`, a tokenizer called with `padding=\"max_length\"`, torchtext's "
    "`Field(fix_length=...)`, `Field(include_lengths=True)` or `BucketIterator`, "
    "`seq + [PAD] * (max_len - len(seq))`, `seq += ...` or `seq.extend(...)` in a module "
    "that imports the model's module, is imported by it, or shares an importer with it; a model "
    "package imported by the program offers its models of the same `forward` shape too), and so "
    "does a data file (`.pkl`, `.npy`, `.npz`) that a padding function saves and the model's "
    "program loads; for an RNN a model's `forward` runs (or another of its methods that takes "
    "forward's input, such as a CRF loss), where no module of that program packs; the message "
    "names the padding module"
)

# The model-level clause that confirms a finding at runtime (docs/SPECIFICATION.md).
MODEL_CHECK = (
    "M1 padding-invariance (`pytest --birnn-model`): the backward direction reads the padding "
    "first, so a sequence's results change when it is padded (fixtures/models/brn005_*)"
)
RULE = Rule(
    CODE, NAME, SUMMARY, MESSAGE, False, "", WRONG, RIGHT, check, notes=NOTES,
    model_check=MODEL_CHECK,
)
