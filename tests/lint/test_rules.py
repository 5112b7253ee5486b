"""Every rule's examples, its fixes, and realistic model code that must stay quiet."""

from __future__ import annotations

import libcst
import pytest

from lint_rules.checker import check_source
from lint_rules.model import Edit
from lint_rules.rules import ALL_RULES

WRONG = [
    (rule.code, index, code) for rule in ALL_RULES for index, code in enumerate(rule.wrong_examples)
]
RIGHT = [
    (rule.code, index, code) for rule in ALL_RULES for index, code in enumerate(rule.right_examples)
]


def apply_edits(source: str, edits: list[Edit]) -> str:
    for edit in sorted(set(edits), key=lambda edit: edit.start, reverse=True):
        source = source[: edit.start] + edit.replacement + source[edit.end :]
    return source


def codes(source: str, **options) -> list[str]:
    return [finding.code for finding in check_source(source, **options)]


@pytest.mark.parametrize(
    ("code", "index", "source"), WRONG, ids=[f"{c}-wrong-{i}" for c, i, _ in WRONG]
)
def test_wrong_example_fires_its_rule(code: str, index: int, source: str) -> None:
    assert code in codes(source)


@pytest.mark.parametrize(
    ("code", "index", "source"), RIGHT, ids=[f"{c}-right-{i}" for c, i, _ in RIGHT]
)
def test_right_example_is_quiet(code: str, index: int, source: str) -> None:
    assert check_source(source) == []


def test_rules_are_ordered_and_documented() -> None:
    assert [rule.code for rule in ALL_RULES] == [f"BRN00{n}" for n in range(1, 9)]
    for rule in ALL_RULES:
        assert rule.wrong_examples and rule.right_examples
        assert "write" in rule.message or "use" in rule.message or "pack" in rule.message
    assert {rule.code for rule in ALL_RULES if rule.fixable} == {"BRN001", "BRN002", "BRN008"}


FIXABLE = [
    (code, index, source) for code, index, source in WRONG if code in ("BRN001", "BRN002", "BRN008")
]


@pytest.mark.parametrize(
    ("code", "index", "source"), FIXABLE, ids=[f"{c}-fix-{i}" for c, i, _ in FIXABLE]
)
def test_fix_removes_the_finding_and_is_idempotent(code: str, index: int, source: str) -> None:
    findings = [finding for finding in check_source(source, select={code}) if finding.code == code]
    edits = [edit for finding in findings for edit in finding.fix]
    if code == "BRN002" and not edits:
        pytest.skip("a reshape: reported, not fixed")
    assert edits
    fixed = apply_edits(source, edits)
    libcst.parse_module(fixed)
    again = check_source(fixed, select={code})
    assert [finding for finding in again if finding.fix] == []
    assert code not in [finding.code for finding in again]


def test_brn001_fix_keeps_comments_and_uses_num_directions() -> None:
    source = """
import torch
import torch.nn as nn


class Encoder(nn.Module):
    def __init__(self, n_in, hidden, layers):
        super().__init__()
        self.layers = layers
        self.hidden = hidden
        self.num_directions = 2
        self.rnn = nn.LSTM(n_in, hidden, layers, bidirectional=True)

    def forward(self, x):
        h0 = torch.zeros(self.layers,  # rows
                         x.size(1), self.hidden)
        return self.rnn(x, (h0, h0))
"""
    [finding] = check_source(source)
    assert (finding.code, finding.line, finding.column) == ("BRN001", 15, 26)
    fixed = apply_edits(source, list(finding.fix))
    assert "torch.zeros(self.layers * self.num_directions,  # rows" in fixed
    assert check_source(fixed) == []


def test_brn001_fix_of_a_literal_one_is_two() -> None:
    source = (
        "import torch\nfrom torch import nn\nrnn = nn.GRU(8, 16, bidirectional=True)\n"
        "out, h = rnn(torch.randn(5, 3, 8), torch.zeros(1, 3, 16))\n"
    )
    [finding] = check_source(source)
    assert finding.fix == (
        Edit(source.index("(1, 3, 16)") + 1, source.index("(1, 3, 16)") + 2, "2"),
    )
    assert check_source(apply_edits(source, list(finding.fix))) == []


def test_brn002_fix_doubles_the_linear_input() -> None:
    source = WRONG[[c for c, _, _ in WRONG].index("BRN002")][2]
    [finding] = [f for f in check_source(source) if f.code == "BRN002"]
    fixed = apply_edits(source, list(finding.fix))
    assert "nn.Linear(hidden_dim * 2, num_classes)" in fixed
    assert "fc = nn.Linear(hidden_dim, num_classes)" in source


def test_findings_are_sorted_and_selectable() -> None:
    source = "\n".join(rule.wrong_examples[0] for rule in ALL_RULES[:1])
    findings = check_source(source)
    assert findings == sorted(findings, key=lambda f: (f.line, f.column, f.code))
    assert check_source(source, select={"BRN003"}) == []


def test_messages_name_the_rnn_and_the_evidence() -> None:
    brn005 = ALL_RULES[4]
    messages = [f.message for f in check_source(brn005.wrong_examples[0])]
    assert any("`self.rnn`" in m and "`src_lengths` is in scope" in m for m in messages)
    messages = [f.message for f in check_source(brn005.wrong_examples[1])]
    assert any("pad_sequence" in m for m in messages)
    messages = [f.message for f in check_source(brn005.wrong_examples[2])]
    assert any("padding_idx" in m for m in messages)


# Realistic model code, in the shapes public projects write it, that is correct and must stay quiet.
REALISTIC_RIGHT = {
    "pytorch-tutorial-bilstm-crf": """
import torch
import torch.nn as nn


class BiLSTM_CRF(nn.Module):
    def __init__(self, vocab_size, tag_to_ix, embedding_dim, hidden_dim):
        super(BiLSTM_CRF, self).__init__()
        self.embedding_dim = embedding_dim
        self.hidden_dim = hidden_dim
        self.tagset_size = len(tag_to_ix)
        self.word_embeds = nn.Embedding(vocab_size, embedding_dim)
        self.lstm = nn.LSTM(embedding_dim, hidden_dim // 2, num_layers=1, bidirectional=True)
        self.hidden2tag = nn.Linear(hidden_dim, self.tagset_size)
        self.hidden = self.init_hidden()

    def init_hidden(self):
        return (torch.randn(2, 1, self.hidden_dim // 2), torch.randn(2, 1, self.hidden_dim // 2))

    def _get_lstm_features(self, sentence):
        self.hidden = self.init_hidden()
        embeds = self.word_embeds(sentence).view(len(sentence), 1, -1)
        lstm_out, self.hidden = self.lstm(embeds, self.hidden)
        lstm_out = lstm_out.view(len(sentence), self.hidden_dim)
        return self.hidden2tag(lstm_out)
""",
    "seq2seq-bidirectional-encoder-unidirectional-decoder": """
import random
import torch
import torch.nn as nn
import torch.nn.functional as F


class Encoder(nn.Module):
    def __init__(self, input_dim, emb_dim, enc_hid_dim, dec_hid_dim, dropout):
        super().__init__()
        self.embedding = nn.Embedding(input_dim, emb_dim)
        self.rnn = nn.GRU(emb_dim, enc_hid_dim, bidirectional=True)
        self.fc = nn.Linear(enc_hid_dim * 2, dec_hid_dim)
        self.dropout = nn.Dropout(dropout)

    def forward(self, src, src_len):
        embedded = self.dropout(self.embedding(src))
        packed_embedded = nn.utils.rnn.pack_padded_sequence(embedded, src_len.to("cpu"))
        packed_outputs, hidden = self.rnn(packed_embedded)
        outputs, _ = nn.utils.rnn.pad_packed_sequence(packed_outputs)
        hidden = torch.tanh(self.fc(torch.cat((hidden[-2, :, :], hidden[-1, :, :]), dim=1)))
        return outputs, hidden


class Attention(nn.Module):
    def __init__(self, enc_hid_dim, dec_hid_dim):
        super().__init__()
        self.attn = nn.Linear((enc_hid_dim * 2) + dec_hid_dim, dec_hid_dim)
        self.v = nn.Linear(dec_hid_dim, 1, bias=False)

    def forward(self, hidden, encoder_outputs, mask):
        src_len = encoder_outputs.shape[0]
        hidden = hidden.unsqueeze(1).repeat(1, src_len, 1)
        encoder_outputs = encoder_outputs.permute(1, 0, 2)
        energy = torch.tanh(self.attn(torch.cat((hidden, encoder_outputs), dim=2)))
        attention = self.v(energy).squeeze(2)
        return F.softmax(attention.masked_fill(mask == 0, -1e10), dim=1)


class Decoder(nn.Module):
    def __init__(self, output_dim, emb_dim, enc_hid_dim, dec_hid_dim, dropout, attention):
        super().__init__()
        self.attention = attention
        self.embedding = nn.Embedding(output_dim, emb_dim)
        self.rnn = nn.GRU((enc_hid_dim * 2) + emb_dim, dec_hid_dim)
        self.fc_out = nn.Linear((enc_hid_dim * 2) + dec_hid_dim + emb_dim, output_dim)
        self.dropout = nn.Dropout(dropout)

    def forward(self, input, hidden, encoder_outputs, mask):
        input = input.unsqueeze(0)
        embedded = self.dropout(self.embedding(input))
        a = self.attention(hidden, encoder_outputs, mask).unsqueeze(1)
        encoder_outputs = encoder_outputs.permute(1, 0, 2)
        weighted = torch.bmm(a, encoder_outputs).permute(1, 0, 2)
        rnn_input = torch.cat((embedded, weighted), dim=2)
        output, hidden = self.rnn(rnn_input, hidden.unsqueeze(0))
        prediction = self.fc_out(torch.cat((output.squeeze(0), weighted.squeeze(0), embedded.squeeze(0)), dim=1))
        return prediction, hidden.squeeze(0), a.squeeze(1)


class Seq2Seq(nn.Module):
    def __init__(self, encoder, decoder, src_pad_idx):
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder
        self.src_pad_idx = src_pad_idx

    def forward(self, src, src_len, trg, teacher_forcing_ratio=0.5):
        encoder_outputs, hidden = self.encoder(src, src_len)
        input = trg[0, :]
        mask = src != self.src_pad_idx
        outputs = []
        for t in range(1, trg.shape[0]):
            output, hidden, _ = self.decoder(input, hidden, encoder_outputs, mask)
            outputs.append(output)
            input = trg[t] if random.random() < teacher_forcing_ratio else output.argmax(1)
        return outputs
""",
    "chatbot-tutorial-summed-directions": """
import torch.nn as nn


class EncoderRNN(nn.Module):
    def __init__(self, hidden_size, embedding, n_layers=1, dropout=0):
        super(EncoderRNN, self).__init__()
        self.n_layers = n_layers
        self.hidden_size = hidden_size
        self.embedding = embedding
        self.gru = nn.GRU(hidden_size, hidden_size, n_layers,
                          dropout=(0 if n_layers == 1 else dropout), bidirectional=True)

    def forward(self, input_seq, input_lengths, hidden=None):
        embedded = self.embedding(input_seq)
        packed = nn.utils.rnn.pack_padded_sequence(embedded, input_lengths)
        outputs, hidden = self.gru(packed, hidden)
        outputs, _ = nn.utils.rnn.pad_packed_sequence(outputs)
        outputs = outputs[:, :, :self.hidden_size] + outputs[:, :, self.hidden_size:]
        return outputs, hidden
""",
    "text-classifier-packed-cat-of-last-two-rows": """
import torch
import torch.nn as nn


class RNN(nn.Module):
    def __init__(self, vocab_size, embedding_dim, hidden_dim, output_dim, n_layers,
                 bidirectional, dropout, pad_idx):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=pad_idx)
        self.rnn = nn.LSTM(embedding_dim, hidden_dim, num_layers=n_layers,
                           bidirectional=bidirectional, dropout=dropout)
        self.fc = nn.Linear(hidden_dim * 2, output_dim)
        self.dropout = nn.Dropout(dropout)

    def forward(self, text, text_lengths):
        embedded = self.dropout(self.embedding(text))
        packed_embedded = nn.utils.rnn.pack_padded_sequence(embedded, text_lengths.to('cpu'))
        packed_output, (hidden, cell) = self.rnn(packed_embedded)
        output, output_lengths = nn.utils.rnn.pad_packed_sequence(packed_output)
        hidden = self.dropout(torch.cat((hidden[-2, :, :], hidden[-1, :, :]), dim=1))
        return self.fc(hidden)
""",
    "deepspeech-batch-rnn": """
import torch.nn as nn


class BatchRNN(nn.Module):
    def __init__(self, input_size, hidden_size, rnn_type=nn.LSTM, bidirectional=False,
                 batch_norm=True):
        super(BatchRNN, self).__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bidirectional = bidirectional
        self.batch_norm = nn.BatchNorm1d(input_size) if batch_norm else None
        self.rnn = rnn_type(input_size=input_size, hidden_size=hidden_size,
                            bidirectional=bidirectional, bias=True)

    def forward(self, x, output_lengths):
        x = nn.utils.rnn.pack_padded_sequence(x, output_lengths)
        x, h = self.rnn(x)
        x, _ = nn.utils.rnn.pad_packed_sequence(x)
        if self.bidirectional:
            x = x.view(x.size(0), x.size(1), 2, -1).sum(2).view(x.size(0), x.size(1), -1)
        return x
""",
    "fairseq-lstm-encoder-with-factory": """
import torch.nn as nn


def LSTM(input_size, hidden_size, **kwargs):
    m = nn.LSTM(input_size, hidden_size, **kwargs)
    for name, param in m.named_parameters():
        if "weight" in name or "bias" in name:
            param.data.uniform_(-0.1, 0.1)
    return m


def Linear(in_features, out_features, bias=True, dropout=0.0):
    m = nn.Linear(in_features, out_features, bias=bias)
    m.weight.data.uniform_(-0.1, 0.1)
    return m


class LSTMEncoder(nn.Module):
    def __init__(self, embed_dim=512, hidden_size=512, num_layers=1, bidirectional=False,
                 padding_idx=1):
        super().__init__()
        self.num_layers = num_layers
        self.bidirectional = bidirectional
        self.hidden_size = hidden_size
        self.lstm = LSTM(input_size=embed_dim, hidden_size=hidden_size, num_layers=num_layers,
                         bidirectional=bidirectional)
        self.output_units = hidden_size
        if bidirectional:
            self.output_units *= 2

    def forward(self, x, src_lengths):
        bsz, seqlen = x.size(1), x.size(0)
        packed_x = nn.utils.rnn.pack_padded_sequence(x, src_lengths.cpu())
        if self.bidirectional:
            state_size = 2 * self.num_layers, bsz, self.hidden_size
        else:
            state_size = self.num_layers, bsz, self.hidden_size
        h0 = x.new_zeros(*state_size)
        c0 = x.new_zeros(*state_size)
        packed_outs, (final_hiddens, final_cells) = self.lstm(packed_x, (h0, c0))
        x, _ = nn.utils.rnn.pad_packed_sequence(packed_outs, padding_value=0.0)
        if self.bidirectional:
            final_hiddens = self.combine_bidir(final_hiddens, bsz)
        return x, final_hiddens

    def combine_bidir(self, outs, bsz: int):
        out = outs.view(self.num_layers, 2, bsz, -1).transpose(1, 2).contiguous()
        return out.view(self.num_layers, bsz, -1)
""",
    "attention-bilstm-summed-halves": """
import torch
import torch.nn as nn
import torch.nn.functional as F


class AttBiLSTM(nn.Module):
    def __init__(self, vocab, embed, hidden_size, n_classes):
        super().__init__()
        self.hidden_size = hidden_size
        self.embedding = nn.Embedding(vocab, embed)
        self.lstm = nn.LSTM(embed, hidden_size, batch_first=True, bidirectional=True)
        self.w = nn.Parameter(torch.randn(hidden_size))
        self.fc = nn.Linear(hidden_size, n_classes)

    def forward(self, x):
        out, _ = self.lstm(self.embedding(x))
        h = out[:, :, :self.hidden_size] + out[:, :, self.hidden_size:]
        alpha = F.softmax(torch.matmul(torch.tanh(h), self.w), dim=1).unsqueeze(-1)
        return self.fc((h * alpha).sum(1))
""",
    "max-pool-over-time-conv-style": """
import torch.nn as nn
import torch.nn.functional as F


class RCNN(nn.Module):
    def __init__(self, embed_dim, hidden_size, n_classes):
        super().__init__()
        self.lstm = nn.LSTM(embed_dim, hidden_size, batch_first=True, bidirectional=True)
        self.W2 = nn.Linear(2 * hidden_size + embed_dim, hidden_size)
        self.fc = nn.Linear(hidden_size, n_classes)

    def forward(self, embedded):
        out, _ = self.lstm(embedded)
        out = torch.cat((out, embedded), 2)
        y = F.tanh(self.W2(out)).transpose(1, 2)
        y = F.max_pool1d(y, y.size(2)).squeeze(2)
        return self.fc(y)
""",
    "unidirectional-lm-with-tbptt": """
import torch
import torch.nn as nn


class RNNModel(nn.Module):
    def __init__(self, ntoken, ninp, nhid, nlayers, dropout=0.5):
        super().__init__()
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = nn.LSTM(ninp, nhid, nlayers, dropout=dropout)
        self.decoder = nn.Linear(nhid, ntoken)
        self.nhid = nhid
        self.nlayers = nlayers

    def forward(self, input, hidden):
        output, hidden = self.rnn(self.encoder(input), hidden)
        return self.decoder(output.view(-1, self.nhid)), hidden

    def init_hidden(self, bsz):
        weight = next(self.parameters())
        return (weight.new_zeros(self.nlayers, bsz, self.nhid),
                weight.new_zeros(self.nlayers, bsz, self.nhid))
""",
    "siamese-bigru-first-and-last-rows": """
import torch
import torch.nn as nn


class SiameseEncoder(nn.Module):
    def __init__(self, embed_dim, hidden):
        super().__init__()
        self.gru = nn.GRU(embed_dim, hidden, batch_first=True, bidirectional=True)
        self.proj = nn.Linear(2 * hidden, hidden)

    def encode(self, x):
        _, h_n = self.gru(x)
        return self.proj(torch.cat([h_n[0], h_n[1]], dim=-1))

    def forward(self, a, b):
        return torch.cosine_similarity(self.encode(a), self.encode(b))
""",
    "bidirectional-flag-guards-both-branches": """
import torch
import torch.nn as nn


class Encoder(nn.Module):
    def __init__(self, input_size, hidden_size, num_layers, bidirectional, batch_first=True):
        super().__init__()
        self.bidirectional = bidirectional
        self.num_layers = num_layers
        self.hidden_size = hidden_size
        self.rnn = nn.LSTM(input_size, hidden_size, num_layers, batch_first=batch_first,
                           bidirectional=bidirectional)
        self.out = nn.Linear(hidden_size * 2 if bidirectional else hidden_size, 10)

    def forward(self, x):
        if self.bidirectional:
            h0 = torch.zeros(self.num_layers * 2, x.size(0), self.hidden_size)
        else:
            h0 = torch.zeros(self.num_layers, x.size(0), self.hidden_size)
        output, (h_n, _) = self.rnn(x, (h0, h0.clone()))
        if not self.bidirectional:
            return self.out(h_n[-1])
        return self.out(torch.cat((h_n[-2], h_n[-1]), dim=1))
""",
    "speech-encoder-mask-and-packing-helper": """
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


class Listener(nn.Module):
    def __init__(self, input_dim, hidden_dim, num_layers=3):
        super().__init__()
        self.blstm = nn.LSTM(input_dim, hidden_dim, num_layers, batch_first=True,
                             bidirectional=True)
        self.proj = nn.Linear(2 * hidden_dim, hidden_dim)

    def run_packed(self, features, lengths):
        packed = pack_padded_sequence(features, lengths.cpu(), batch_first=True,
                                      enforce_sorted=False)
        return packed

    def forward(self, features, lengths, mask):
        out, _ = self.blstm(self.run_packed(features, lengths))
        out, _ = pad_packed_sequence(out, batch_first=True)
        return self.proj(out) * mask.unsqueeze(-1)
""",
    "elmo-style-two-unidirectional-lstms": """
import torch
import torch.nn as nn


class BiLM(nn.Module):
    def __init__(self, dim, layers):
        super().__init__()
        self.forward_lm = nn.LSTM(dim, dim, layers, batch_first=True)
        self.backward_lm = nn.LSTM(dim, dim, layers, batch_first=True)
        self.out = nn.Linear(dim, 1000)

    def forward(self, x, lengths):
        fwd, (h_f, _) = self.forward_lm(x)
        bwd, (h_b, _) = self.backward_lm(torch.flip(x, [1]))
        return self.out(fwd[:, -1]) + self.out(h_b[-1])
""",
    "stacked-bidirectional-doubled-input": """
import torch.nn as nn


class BiDAFModeling(nn.Module):
    def __init__(self, hidden):
        super().__init__()
        self.modeling = nn.LSTM(8 * hidden, hidden, num_layers=2, bidirectional=True,
                                batch_first=True)
        self.output = nn.LSTM(2 * hidden, hidden, bidirectional=True, batch_first=True)
        self.p1 = nn.Linear(10 * hidden, 1)

    def forward(self, g):
        m, _ = self.modeling(g)
        m2, _ = self.output(m)
        return self.p1(m2.new_zeros(1))
""",
    "torch-nn-linear-on-h-n-row": """
import torch
from torch.nn import GRU, Linear, Module


class Classifier(Module):
    def __init__(self, n_in, hidden, n_out):
        super().__init__()
        self.rnn = GRU(n_in, hidden, bidirectional=True, batch_first=True)
        self.forward_head = Linear(hidden, n_out)

    def forward(self, x):
        _, h_n = self.rnn(x)
        return self.forward_head(h_n[-2]) + self.forward_head(h_n[-1])
""",
}


@pytest.mark.parametrize("name", sorted(REALISTIC_RIGHT))
def test_realistic_right_code_is_quiet(name: str) -> None:
    assert check_source(REALISTIC_RIGHT[name]) == []


def _brn008_model(body: str, rnn: str = "nn.LSTM(8, 16, bidirectional=True)") -> str:
    """A module whose ``forward`` runs ``body`` (indented by eight spaces) around ``self.rnn``."""
    return f"""
import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = {rnn}

    def forward(self, x, h, c, bs, lengths, order):
{body}
"""


BRN008_WRONG = {
    "slice-of-batch-in-tuple": "        return self.rnn(x, (h[:, :bs], c[:, :bs]))",
    "keyword-hx": "        return self.rnn(x, hx=(h[:, -bs:], c))",
    "last-dimension-slice": "        return self.rnn(x, (h[..., :16], c))",
    "torch-transpose-function": "        return self.rnn(x, (torch.transpose(h, 0, 1), c))",
    "permute-then-detach": "        return self.rnn(x, (h.permute(1, 0, 2).detach(), c))",
    "view-assigned-in-a-branch": (
        "        if h.size(1) != bs:\n            h = h[:, :bs]\n        return self.rnn(x, (h, c))"
    ),
    "through-two-names": "        h0 = h.expand(2, bs, 16)\n        first = h0\n        return self.rnn(x, (first, c))",
    "comprehension": "        state = tuple(s[:, :bs] for s in (h, c))\n        return self.rnn(x, state)",
    "element-of-a-tuple": "        pair = (h[:, :bs], c)\n        return self.rnn(x, (pair[0], c))",
}

BRN008_RIGHT = {
    "contiguous": "        return self.rnn(x, (h[:, :bs].contiguous(), c.transpose(0, 1).contiguous()))",
    "first-dimension-slice": "        return self.rnn(x, (h[-2:], c[0:2, :]))",
    "copies": "        return self.rnn(x, (h.index_select(1, order), c[:, order]))",
    "repeat-and-cat": "        return self.rnn(x, (h.repeat(1, bs, 1), torch.cat([c, c], dim=1)))",
    "made-contiguous-before-the-call": (
        "        h = h[:, :bs]\n        h = h.contiguous()\n        return self.rnn(x, (h, c))"
    ),
    "view-assigned-after-the-call": (
        "        out = self.rnn(x, (h, c))\n        h = h[:, :bs]\n        return out, h"
    ),
    "transpose-undone": (
        "        batch_major = h.transpose(0, 1)\n        return self.rnn(x, (batch_major.transpose(0, 1), c))"
    ),
    "identity-permute-and-transpose": "        return self.rnn(x, (h.permute(0, 1, 2), c.transpose(1, 1)))",
    "tensor-index": "        return self.rnn(x, (h[:, torch.arange(bs)], c[:, order > 0]))",
    "packed-input-reorders-the-state": (
        "        packed = pack_padded_sequence(x, lengths, enforce_sorted=False)\n"
        "        return self.rnn(packed, (h[:, :bs], c[:, :bs]))"
    ),
    "nested-function-has-its-own-names": (
        "        def cut(h):\n            h = h[:, :bs]\n            return h\n"
        "        return self.rnn(x, (h, c))"
    ),
}


def brn008_findings(body: str, rnn: str = "nn.LSTM(8, 16, bidirectional=True)") -> list[str]:
    """The source text of each view BRN008 reports in ``body``."""
    return [
        finding.fix[0].replacement.removesuffix(".contiguous()")
        for finding in check_source(_brn008_model(body, rnn), select={"BRN008"})
    ]


@pytest.mark.parametrize("name", sorted(BRN008_WRONG))
def test_brn008_finds_a_strided_state(name: str) -> None:
    reported = brn008_findings(BRN008_WRONG[name])
    assert reported and all(text in BRN008_WRONG[name] for text in reported)


@pytest.mark.parametrize("name", sorted(BRN008_RIGHT))
def test_brn008_is_quiet_on_contiguous_states(name: str) -> None:
    assert brn008_findings(BRN008_RIGHT[name]) == []


def test_brn008_slices_of_a_single_row_state_are_contiguous_but_expand_is_not() -> None:
    one_row = "nn.GRU(8, 16)"
    sliced = "        return self.rnn(x, h[:, :bs]) or self.rnn(x, c.transpose(0, 1))"
    assert brn008_findings(sliced, one_row) == []
    two_rows = "nn.GRU(8, 16, num_layers=2)"
    assert brn008_findings(sliced, two_rows) == ["h[:, :bs]", "c.transpose(0, 1)"]
    expanded = "        return self.rnn(x, h.expand(1, bs, 16))"
    assert brn008_findings(expanded, one_row) == ["h.expand(1, bs, 16)"]


def test_brn008_fix_appends_contiguous_where_the_view_is_built() -> None:
    body = "        state = tuple(s[:, :bs] for s in (h, c))\n        return self.rnn(x, state)"
    source = _brn008_model(body)
    [finding] = check_source(source, select={"BRN008"})
    assert "write `s[:, :bs].contiguous()`" in finding.message
    fixed = apply_edits(source, list(finding.fix))
    assert "state = tuple(s[:, :bs].contiguous() for s in (h, c))" in fixed
    assert check_source(fixed, select={"BRN008"}) == []


def test_brn008_follows_the_state_through_the_class_own_helper() -> None:
    source = """
import torch
import torch.nn as nn


class Tagger(nn.Module):
    def __init__(self, n_in, hidden):
        super().__init__()
        self.rnn = nn.GRU(n_in, hidden, bidirectional=True)
        self.h0 = nn.Parameter(torch.zeros(2, 1, hidden))

    def init_hidden(self, batch):
        return self.h0.expand(-1, batch, -1)

    def init_hidden_copied(self, batch):
        hidden = self.h0.expand(-1, batch, -1)
        hidden = hidden.contiguous()
        return hidden

    def forward(self, x):
        output, _ = self.rnn(x, self.init_hidden_copied(x.size(1)))
        hidden = self.init_hidden(x.size(1))
        return self.rnn(output, hidden)
"""
    [finding] = check_source(source)
    assert finding.code == "BRN008" and finding.line == 13
    assert "write `self.h0.expand(-1, batch, -1).contiguous()`" in finding.message


def test_brn008_follows_helpers_of_classes_nested_in_any_block() -> None:
    helper = """
    class Tagger(nn.Module):
        def __init__(self, n_in, hidden):
            super().__init__()
            self.rnn = nn.GRU(n_in, hidden, bidirectional=True)
            self.h0 = nn.Parameter(torch.zeros(2, 1, hidden))

        def init_hidden(self, batch):
            return self.h0.expand(-1, batch, -1)

        def forward(self, x):
            return self.rnn(x, self.init_hidden(x.size(1)))
"""
    for opening in ("if USE_GRU:", "try:", "def build():", "with context():"):
        closing = "\nexcept ImportError:\n    pass\n" if opening == "try:" else "\n"
        source = f"import torch\nimport torch.nn as nn\n{opening}{helper}{closing}"
        [finding] = check_source(source, select={"BRN008"})
        assert "self.h0.expand(-1, batch, -1).contiguous()" in finding.message, opening
