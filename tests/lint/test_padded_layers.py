"""BRN005 follows padding through the layers between two RNNs of one function
(lint_rules/padded_layers.py): position-wise steps keep the padded steps, axis changes do not."""

from __future__ import annotations

import pytest

from lint_rules.checker import check_source

HEAD = """
import torch
import torch.nn as nn
import torch.nn.functional as F


class Model(nn.Module):
    def __init__(self, vocab_size, dim, pad_id):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, dim, padding_idx=pad_id)
        self.first = nn.GRU(dim, dim, batch_first=True, bidirectional={first})
        self.second = nn.GRU(2 * dim, dim, batch_first=True, bidirectional=True)
        self.attend = nn.Linear(2 * dim, 1)

    def forward(self, tokens):
        out, h_n = self.first(self.embed(tokens))
"""


def second_rnn_findings(body: str, first: bool = True) -> list[str]:
    source = HEAD.format(first=first) + "".join(f"        {line}\n" for line in body.splitlines())
    return [
        finding.message
        for finding in check_source(source)
        if finding.code == "BRN005" and "`self.second`" in finding.message
    ]


@pytest.mark.parametrize(
    "body",
    [
        "m, _ = self.second(out)",
        "m, _ = self.second(F.dropout(torch.relu(out)))",
        "weights = F.softmax(torch.bmm(out, out.transpose(1, 2)), dim=-1)\n"
        "m, _ = self.second(torch.cat([out, torch.bmm(weights, out)], dim=2))",
        "x = out.masked_fill(tokens.unsqueeze(-1) == 0, 0)\nm = self.second(x)[0]",
    ],
)
def test_a_second_rnn_over_the_padded_output_kept_step_by_step_fires(body):
    messages = second_rnn_findings(body)
    assert len(messages) == 1
    assert "the output of `self.first`, which reads padding too" in messages[0]
    assert "padding_idx" in messages[0]


def test_the_first_rnn_need_not_be_bidirectional_to_carry_padding():
    assert len(second_rnn_findings("m, _ = self.second(self.attend(out) * out)", False)) == 1


@pytest.mark.parametrize(
    "body",
    [
        "m, _ = self.second(h_n.transpose(0, 1))",  # the state, not the output
        "sentences = out.mean(dim=1).view(4, -1, out.size(-1))\nm, _ = self.second(sentences)",
        "pooled = F.max_pool1d(out.transpose(1, 2), 3)\nm, _ = self.second(pooled.transpose(1, 2))",
        "last = out[:, -1]\nm, _ = self.second(torch.stack([last, last], dim=1))",
    ],
)
def test_a_step_that_changes_the_time_axis_breaks_the_chain(body):
    assert second_rnn_findings(body) == []


HELPER = """
import torch
import torch.nn as nn
import torch.nn.functional as F


class Reader(nn.Module):
    def __init__(self, vocab_size, dim, pad_id):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, dim{padding})
        self.first = nn.GRU(dim, dim, batch_first=True, bidirectional=True)
        self.second = nn.GRU(6 * dim, dim, batch_first=True, bidirectional=True)

    def encode(self, words):
        return self.first(self.embed(words))[0]

    def {entry}(self, context, query):
        c = self.encode(context)
        q = self.encode(query)
        aligned = torch.bmm(F.softmax(torch.bmm(c, q.transpose(1, 2)), dim=-1), q)
        return self.second(torch.cat([c, aligned, c * aligned], dim=-1))[0]
"""


@pytest.mark.parametrize("entry", ["forward", "__call__"])
def test_the_first_rnn_may_run_in_a_helper_whose_output_the_function_binds(entry):
    source = HELPER.format(padding=", padding_idx=pad_id", entry=entry)
    messages = [
        finding.message
        for finding in check_source(source)
        if finding.code == "BRN005" and "`self.second`" in finding.message
    ]
    assert len(messages) == 1
    assert "the output of `self.first`, which reads padding too: an embedding" in messages[0]


def test_a_helper_output_over_unpadded_input_carries_nothing():
    source = HELPER.format(padding="", entry="forward")
    assert [finding for finding in check_source(source) if finding.code == "BRN005"] == []
