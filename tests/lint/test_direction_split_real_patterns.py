"""BRN006 on patterns met in the real-repository corpus (bench/real_repos), paraphrased: each
test pins one way real code hands h_n to a split or a flatten."""

from __future__ import annotations

import textwrap

from lint_rules.checker import check_source


def codes(source: str) -> list[tuple[str, int]]:
    return [(finding.code, finding.line) for finding in check_source(textwrap.dedent(source))]


MOVED_AND_REORDERED = """
import torch.nn as nn


class Encoder(nn.Module):
    def __init__(self, size, use_cuda):
        super().__init__()
        self.rnn = nn.LSTM(size, size, 1, bidirectional=True)
        if use_cuda:
            self.rnn = self.rnn.cuda()

    def forward(self, packed, unsort):
        _, (h_n, c_n) = self.rnn(packed)
        h_n = h_n.index_select(1, unsort)
        return h_n.view(h_n.size()[1], -1)
"""


def test_a_module_moved_to_the_gpu_and_a_batch_reordered_state_are_followed():
    assert codes(MOVED_AND_REORDERED) == [("BRN006", 15)]


def test_the_transposed_flatten_of_the_reordered_state_is_quiet():
    right = MOVED_AND_REORDERED.replace(
        "h_n.view(h_n.size()[1], -1)", "h_n.transpose(0, 1).reshape(h_n.size()[1], -1)"
    )
    assert codes(right) == []


def test_a_selection_along_the_rows_is_not_followed():
    rows = MOVED_AND_REORDERED.replace("index_select(1, unsort)", "index_select(0, unsort)")
    assert codes(rows) == []
