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


STATE_HANDED_TO_A_HELPER = """
import torch
import torch.nn as nn

n_hidden = 5


class Attention(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(4, n_hidden, bidirectional=True)

    def attend(self, outputs, final_state):
        query = final_state.view(-1, n_hidden * 2, 1)
        return torch.bmm(outputs, query).squeeze(2)

    def forward(self, x):
        outputs, (h_n, _) = self.lstm(x)
        return self.attend(outputs.permute(1, 0, 2), h_n)
"""


def test_a_state_handed_to_a_method_of_the_class_is_followed_into_it():
    assert codes(STATE_HANDED_TO_A_HELPER) == [("BRN006", 14)]


def test_the_helper_that_transposes_first_is_quiet():
    right = STATE_HANDED_TO_A_HELPER.replace(
        "final_state.view(", "final_state.transpose(0, 1).reshape("
    )
    assert codes(right) == []


def test_a_helper_given_something_else_is_quiet():
    other = STATE_HANDED_TO_A_HELPER.replace(
        "return self.attend(outputs.permute(1, 0, 2), h_n)", "return self.attend(outputs, x)"
    )
    assert codes(other) == []


CELL_KIND_TESTED_TWICE = """
import torch.nn as nn


class Encoder(nn.Module):
    def __init__(self, size, num_layers=1, rnn_type="gru", bidirectional=False):
        super().__init__()
        self.num_layers = num_layers
        self.rnn_type = rnn_type.upper()
        self.bidirectional = bidirectional
        if self.rnn_type == "LSTM":
            rnn_class = nn.LSTM
        else:
            rnn_class = nn.GRU
        self.rnn = rnn_class(size, size, num_layers, bidirectional=bidirectional)

    def forward(self, x):
        if self.rnn_type == "LSTM":
            outputs, (hidden, cell) = self.rnn(x)
        else:
            outputs, hidden = self.rnn(x)
            cell = None
        if self.bidirectional:
            if self.rnn_type == "LSTM":
                cell = cell.view(2, self.num_layers, x.size(1), -1).sum(0)
        return outputs, hidden, cell
"""


def test_a_state_set_under_a_test_is_seen_under_the_same_test_later():
    assert codes(CELL_KIND_TESTED_TWICE) == [("BRN006", 25)]


def test_the_layer_major_split_under_the_same_test_is_quiet():
    right = CELL_KIND_TESTED_TWICE.replace("view(2, self.num_layers,", "view(self.num_layers, 2,")
    assert codes(right) == []


def test_a_state_reassigned_between_the_two_tests_is_not_carried_over():
    reassigned = CELL_KIND_TESTED_TWICE.replace(
        "        if self.bidirectional:\n",
        "        cell = self.adapt(cell)\n        if self.bidirectional:\n",
    )
    assert codes(reassigned) == []


def test_a_different_test_does_not_see_the_first_branch():
    other = CELL_KIND_TESTED_TWICE.replace(
        'if self.rnn_type == "LSTM":\n                cell',
        'if self.rnn_type == "GRU":\n                cell',
    )
    assert codes(other) == []
