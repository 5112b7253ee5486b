"""BRN004 on the halves of the last step: the backward half there has seen one step, the
forward half has seen the whole sequence."""

from __future__ import annotations

import pytest

from lint_rules.checker import check_source

MODEL = """
import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self, hidden):
        super().__init__()
        self.hidden = hidden
        self.rnn = nn.GRU(8, hidden, batch_first={batch_first}, bidirectional={bidirectional})

    def forward(self, x):
        out, _ = self.rnn(x)
        H = self.hidden
        return {summary}
"""


def lines(summary: str, batch_first: bool = True, bidirectional: bool = True) -> list[int]:
    source = MODEL.format(summary=summary, batch_first=batch_first, bidirectional=bidirectional)
    return [f.line for f in check_source(source, select={"BRN004"})]


@pytest.mark.parametrize(
    "summary, batch_first",
    [
        ("(out[:, -1, :H] + out[:, -1, H:]) / 2", True),
        ("torch.cat((out[:, -1, H:], out[:, 0, :H]), 1)", True),  # halves swapped
        ("out[-1, :, self.hidden:]", False),
        ("torch.cat((torch.chunk(out[:, -1], 2, -1)[1], out[:, 0, :H]), 1)", True),
        ("torch.split(out[-1], H, dim=-1)[1]", False),
    ],
)
def test_the_backward_half_at_the_last_step_fires(summary, batch_first):
    assert lines(summary, batch_first) == [15]


@pytest.mark.parametrize(
    "summary, batch_first, bidirectional",
    [
        ("torch.cat((out[:, -1, :H], out[:, 0, H:]), 1)", True, True),
        ("torch.cat((out[-1, :, :H], out[0, :, H:]), 1)", False, True),
        ("out[:, -1, :H]", True, True),
        ("out[:, -1, H:]", True, False),  # one direction: nothing is backward
        ("out[:, -1, 2:]", True, True),  # not a half
        ("out[:, -1].chunk(2, dim=-1)[0]", True, True),
        ("torch.cat((torch.chunk(out[-1], 2, 2)[0], out[0, :, H:]), 1)", False, True),
    ],
)
def test_the_right_halves_stay_quiet(summary, batch_first, bidirectional):
    assert lines(summary, batch_first, bidirectional) == []
