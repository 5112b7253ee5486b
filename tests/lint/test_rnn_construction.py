"""RNNs built in forms other than a plain ``nn.LSTM(...)`` call: a choice among RNN classes
(``class_selection``), and a flag whose known truth picks the branch that builds a bidirectional
RNN (``flag_branches``); each shown firing and quiet on its twin."""

from __future__ import annotations

import textwrap

import pytest

from lint_rules.checker import check_source


def codes(source: str) -> list[tuple[str, int]]:
    return [(finding.code, finding.line) for finding in check_source(textwrap.dedent(source))]


CHOSEN_CLASS = """
import torch.nn as nn

CELLS = {"lstm": nn.LSTM, "gru": nn.GRU}


class Classifier(nn.Module):
    def __init__(self, cell, hidden):
        super().__init__()
        self.rnn = CHOICE(40, hidden, batch_first=True, bidirectional=True)

    def forward(self, x):
        out, _ = self.rnn(x)
        return out[:, -1, :]
"""


@pytest.mark.parametrize(
    "choice",
    [
        "CELLS[cell]",
        "CELLS.get(cell)",
        '{"LSTM": nn.LSTM, "GRU": nn.GRU}[cell]',
        '{"bi-lstm": nn.LSTM, "bi-gru": nn.GRU}[cell]',
        "[nn.LSTM, nn.GRU, nn.RNN][cell]",
        '(nn.LSTM if cell == "lstm" else nn.GRU)',
        'CELLS["gru"]',
    ],
)
def test_a_choice_among_rnn_classes_builds_an_rnn(choice):
    assert codes(CHOSEN_CLASS.replace("CHOICE", choice)) == [("BRN004", 14)]


@pytest.mark.parametrize(
    "choice",
    [
        '{"lstm": nn.LSTM, "encoder": nn.TransformerEncoderLayer}[cell]',
        'CELLS["transformer"]',
    ],
)
def test_a_choice_that_may_not_be_an_rnn_stays_unknown(choice):
    assert codes(CHOSEN_CLASS.replace("CHOICE", choice)) == []


def test_a_chosen_rnn_keeps_what_its_arguments_say():
    unidirectional = CHOSEN_CLASS.replace("bidirectional=True", "bidirectional=False")
    assert codes(unidirectional.replace("CHOICE", "CELLS[cell]")) == []


FLAG_BRANCHES = """
import torch.nn as nn


class Classifier(nn.Module):
    def __init__(self, dim, hidden, bidirect=DEFAULT):
        super().__init__()
        if bidirect:
            self.rnn = nn.GRU(dim, hidden, batch_first=True, bidirectional=True)
            hidden = hidden * 2
        else:
            self.rnn = nn.GRU(dim, hidden, batch_first=True, bidirectional=False)
        self.fc = nn.Linear(hidden, 2)

    def forward(self, x):
        output, _ = self.rnn(x)
        return self.fc(output[:, -1])
"""


def test_the_branch_a_flag_defaulting_to_true_takes_builds_the_rnn():
    assert codes(FLAG_BRANCHES.replace("DEFAULT", "True")) == [("BRN004", 17)]


def test_a_flag_of_unknown_truth_leaves_the_branches_joined():
    assert codes(FLAG_BRANCHES.replace("DEFAULT", "False")) == []
    assert codes(FLAG_BRANCHES.replace("bidirect=DEFAULT", "bidirect")) == []


def test_a_negated_flag_takes_the_other_branch():
    negated = FLAG_BRANCHES.replace("DEFAULT", "True").replace("if bidirect:", "if not bidirect:")
    assert codes(negated) == []
