"""BRN004 follows a bidirectional output whose two direction halves are combined at every step
(lint_rules/direction_halves.py), and the lengths ``pad_packed_sequence`` returns, whatever
their name, as each sequence's real length (lint_rules/last_real_steps.py)."""

from __future__ import annotations

import pytest

from lint_rules.checker import check_source

MODEL = """
import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


class Sketch(nn.Module):
    def __init__(self, n_in, hidden_size, n_out):
        super().__init__()
        self.hidden_size = hidden_size
        self.rnn = nn.GRU(n_in, hidden_size, batch_first=True, bidirectional={bidirectional})
        self.out = nn.Linear(hidden_size, n_out)

    def forward(self, x, lengths):
        packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        output, _ = self.rnn(packed)
        output, bz = pad_packed_sequence(output, batch_first=True)
{body}
"""

MIXED_LAST_REAL = [
    "        o = output.view(output.shape[0], output.shape[1], 2, self.hidden_size)\n"
    "        o = (o[:, :, 0, :] + o[:, :, 1, :]) / 2\n"
    "        return self.out(o[torch.arange(o.shape[0]), bz - 1, :])",
    "        o = output.view(output.size(0), output.size(1), 2, self.hidden_size).sum(2)\n"
    "        return self.out(o[torch.arange(o.shape[0]), bz - 1])",
    "        H = self.hidden_size\n"
    "        o = output[:, :, :H] + output[:, :, H:]\n"
    "        return self.out(o[:, -1])",
]


def _brn004(body: str, bidirectional: bool = True) -> list[str]:
    source = MODEL.format(body=body, bidirectional=bidirectional)
    return [f.message for f in check_source(source) if f.code == "BRN004"]


@pytest.mark.parametrize("body", MIXED_LAST_REAL)
def test_the_last_step_of_halves_combined_per_step_fires(body):
    messages = _brn004(body)
    assert len(messages) == 1
    assert "two direction halves combined at every step" in messages[0]
    assert "`self.rnn`" in messages[0]


@pytest.mark.parametrize("body", MIXED_LAST_REAL)
def test_a_unidirectional_rnn_has_no_halves_to_mix(body):
    assert _brn004(body, bidirectional=False) == []


@pytest.mark.parametrize(
    "body",
    [
        # each half where it has read the whole sequence, then combined
        "        H = self.hidden_size\n"
        "        last = output[torch.arange(output.shape[0]), bz - 1, :H]\n"
        "        return self.out(last + output[:, 0, H:])",
        # the combined steps pooled over time, not read at one step
        "        H = self.hidden_size\n"
        "        o = output[:, :, :H] + output[:, :, H:]\n"
        "        return self.out(o.mean(1))",
        # one half alone is not a mix
        "        o = output.view(output.shape[0], output.shape[1], 2, self.hidden_size)\n"
        "        return self.out(o[:, :, 0, :][:, -1])",
    ],
)
def test_halves_taken_where_they_belong_or_pooled_are_quiet(body):
    assert _brn004(body) == []


def test_pad_packed_sequences_lengths_mark_the_last_real_step_whatever_their_name():
    body = "        return self.out(output[torch.arange(output.shape[0]), bz - 1])"
    messages = _brn004(body)
    assert len(messages) == 1
    assert "each sequence's last real step" in messages[0]


def test_the_lengths_read_with_the_forward_half_only_are_quiet():
    body = (
        "        return self.out(output[torch.arange(output.shape[0]), bz - 1, :self.hidden_size])"
    )
    assert _brn004(body) == []
