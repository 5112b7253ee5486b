"""BRN005 skips an RNN call that reads one time step of a padded batch (``one_step_inputs``):
a frame-by-frame loop reads no padding in reverse; the same RNN on the whole batch does."""

from __future__ import annotations

import textwrap

import libcst as cst
import pytest

from lint_rules.checker import check_source
from lint_rules.one_step_inputs import holds_one_step

STEPPED = """
import torch
import torch.nn as nn


class Encoder(nn.Module):
    def __init__(self, n_features, hidden):
        super().__init__()
        self.gru = nn.GRU(n_features, hidden, bidirectional=True, batch_first=True)

    def forward(self, x, lengths):
        outputs = []
        h = None
        for t in range(x.size(1)):
            {call}
            outputs.append(out)
        return torch.cat(outputs, 1)
"""


def codes(call: str) -> list[str]:
    return [finding.code for finding in check_source(STEPPED.format(call=call))]


@pytest.mark.parametrize(
    "call",
    [
        "out, h = self.gru(x[:, t:t + 1, :], h)",
        "out, h = self.gru(x[:, t].unsqueeze(1), h)",
    ],
)
def test_a_padded_batch_stepped_one_frame_at_a_time_reads_no_padding_in_reverse(call):
    found = codes(call)
    assert "BRN005" not in found
    assert "BRN007" in found  # stepping a bidirectional RNN is the pitfall there


def test_the_same_rnn_on_the_whole_padded_batch_reads_padding_in_reverse():
    assert "BRN005" in codes("out, h = self.gru(x, h)")
    assert "BRN005" in codes("out, h = self.gru(x[:, t:t + 2, :], h)")  # two steps


def expression(text: str) -> cst.BaseExpression:
    return cst.parse_expression(text)


@pytest.mark.parametrize(
    "text, axis, expected",
    [
        ("x[:, t:t+1]", 1, True),
        ("x[:, t:1+t, :]", 1, True),
        ("x[:, :1]", 1, True),
        ("x[t:t+1]", 0, True),
        ("x[t].unsqueeze(0)", 0, True),
        ("x[:, t].unsqueeze(1)", 1, True),
        ("x[t:t+1]", 1, False),
        ("x[:, t:t+2]", 1, False),
        ("x[:, t:t+1:2]", 1, False),
        ("x[:, t].unsqueeze(0)", 1, False),
        ("x[..., t:t+1]", 1, False),
        ("x", 1, False),
    ],
)
def test_what_counts_as_one_step(text, axis, expected):
    assert holds_one_step(expression(text), axis) is expected


def test_a_name_counts_when_every_binding_is_one_step():
    function = cst.parse_module(
        textwrap.dedent(
            """
            def step(self, x, t):
                frame = x[:, t:t + 1]
                if t == 0:
                    frame = x[:, :1]
                return self.gru(frame)
            """
        )
    ).body[0]
    assert holds_one_step(cst.Name("frame"), 1, function)
    assert not holds_one_step(cst.Name("x"), 1, function)  # a parameter: the whole batch
