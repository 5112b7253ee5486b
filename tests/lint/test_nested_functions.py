"""RNN calls in functions nested inside ``forward`` (closures) count like calls in ``forward``:
``self`` is the enclosing method's, the closure's first parameter is an argument, and a closure
or helper method handed another RNN's padded output runs its own RNN over padding (BRN005)."""

from __future__ import annotations

import pytest

from lint_rules.checker import check_source

READER = """
import torch.nn as nn


class Reader(nn.Module):
    def __init__(self, vocab, dim, hidden):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim{padding})
        self.model_lstm = nn.LSTM(dim, hidden, batch_first=True, bidirectional=True)
        self.output_lstm = nn.LSTM(2 * hidden, hidden, batch_first=True, bidirectional=True)
        self.out = nn.Linear(2 * hidden, 1)

{body}
"""

CLOSURE = """
    def forward(self, words):
        def output_layer(m):
            m2 = self.output_lstm(m)[0]
            return self.out(m2)

        m = self.model_lstm(self.embed(words))[0]
        return output_layer(m)
"""

HELPER_METHOD = """
    def output_layer(self, m):
        m2 = self.output_lstm(m)[0]
        return self.out(m2)

    def forward(self, words):
        m = self.model_lstm(self.embed(words))[0]
        return self.output_layer(m)
"""


def _brn005(source: str) -> list[str]:
    return [f.message for f in check_source(source) if f.code == "BRN005"]


@pytest.mark.parametrize("body", [CLOSURE, HELPER_METHOD], ids=["closure", "helper-method"])
def test_an_rnn_handed_another_rnns_padded_output_reads_padding(body):
    messages = _brn005(READER.format(padding=", padding_idx=0", body=body))
    second = [message for message in messages if "`self.output_lstm`" in message]
    assert len(second) == 1
    assert "the output of `self.model_lstm`, which reads padding too" in second[0]


@pytest.mark.parametrize("body", [CLOSURE, HELPER_METHOD], ids=["closure", "helper-method"])
def test_an_unpadded_first_output_carries_nothing(body):
    assert _brn005(READER.format(padding="", body=body)) == []


LAST_STEP = """
import torch
import torch.nn as nn


class Classifier(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.hidden = hidden
        self.rnn = nn.GRU(dim, hidden, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(2 * hidden, 2)

    def forward(self, x):
        def encode(inputs):
            out, _ = self.rnn(inputs)
            return {summary}

        return self.fc(encode(x))
"""


def test_a_closure_reads_its_rnns_last_step():
    source = LAST_STEP.format(summary="out[:, -1, :]")
    assert [f.code for f in check_source(source)] == ["BRN004"]


def test_a_closure_that_takes_each_half_where_it_belongs_is_quiet():
    summary = "torch.cat((out[:, -1, :self.hidden], out[:, 0, self.hidden:]), dim=1)"
    assert check_source(LAST_STEP.format(summary=summary)) == []


def test_a_closures_first_parameter_is_not_self():
    """``def step(h)`` inside forward: ``h`` is an argument, ``self`` the method's own."""
    source = LAST_STEP.replace("def encode(inputs)", "def encode(self_like)").replace(
        "self.rnn(inputs)", "self.rnn(self_like)"
    )
    source = source.format(summary="out[:, -1, :]")
    assert [f.code for f in check_source(source)] == ["BRN004"]


PADDED_HANDED_OVER = """
import torch.nn as nn


class Tagger(nn.Module):
    def __init__(self, vocab_size, dim, hidden):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, dim{padding})
        self.lstm = nn.LSTM(dim, hidden, batch_first=True, bidirectional=True)

    def encode(self, embedded):
        outputs, _ = self.lstm(embedded)
        return outputs

    def forward(self, words):
        def encode(embedded):
            return self.lstm(embedded)[0]

        return {call}(self.embedding(words))
"""


@pytest.mark.parametrize("call", ["self.encode", "encode"], ids=["helper-method", "closure"])
def test_a_padded_batch_handed_to_a_helper_reaches_its_rnn(call):
    source = PADDED_HANDED_OVER.format(padding=", padding_idx=0", call=call)
    messages = _brn005(source)
    assert len(messages) == 1
    assert "an embedding with `padding_idx`" in messages[0]


@pytest.mark.parametrize("call", ["self.encode", "encode"], ids=["helper-method", "closure"])
def test_an_unpadded_batch_handed_to_a_helper_is_quiet(call):
    assert _brn005(PADDED_HANDED_OVER.format(padding="", call=call)) == []
