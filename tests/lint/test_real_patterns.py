"""Patterns met in public model code (bench/real_corpus_labels.json), paraphrased as small
examples: each test pins one behaviour the real-code evaluation asked for."""

from __future__ import annotations

import textwrap

from lint_rules.checker import check_source


def codes(source: str) -> list[tuple[str, int]]:
    return [(finding.code, finding.line) for finding in check_source(textwrap.dedent(source))]


GUARDED_SPLIT = '''
import torch.nn as nn


class Encoder(nn.Module):
    def __init__(self, size, layers=1, bidirectional=False):
        super().__init__()
        self.layers = layers
        self.bidirectional = bidirectional
        self.gru = nn.GRU(size, size, layers, bidirectional=bidirectional)

    def forward(self, tokens):
        steps, states = self.gru(tokens)
        if self.bidirectional:
            states = states.view(2, self.layers, tokens.size(1), -1).sum(0)
        return steps, states
'''


def test_a_flag_defaulting_to_false_is_bidirectional_under_its_guard():
    assert codes(GUARDED_SPLIT) == [("BRN006", 15)]


def test_a_flag_defaulting_to_false_stays_quiet_without_a_guard():
    unguarded = GUARDED_SPLIT.replace("        if self.bidirectional:\n    ", "")
    assert "if self.bidirectional" not in unguarded
    assert codes(unguarded) == []


def test_a_literal_false_is_not_overridden_by_a_guard():
    literal = GUARDED_SPLIT.replace("bidirectional=bidirectional)", "bidirectional=False)")
    assert codes(literal) == []


CLASS_CHOSEN_AT_RUN_TIME = '''
import torch.nn as nn


class Encoder(nn.Module):
    def __init__(self, size, layers=2, cell="gru"):
        super().__init__()
        self.layers = layers
        if cell == "gru":
            rnn_class = nn.GRU
        elif cell == "lstm":
            rnn_class = nn.LSTM
        else:
            raise ValueError(cell)
        self.cell = cell
        self.rnn = rnn_class(size, size, layers, bidirectional=True)

    def forward(self, tokens):
        if self.cell == "lstm":
            steps, (states, _) = self.rnn(tokens)
        else:
            steps, states = self.rnn(tokens)
        return states.view(2, self.layers, tokens.size(1), -1)
'''


def test_an_rnn_class_chosen_by_branch_is_still_an_rnn():
    assert codes(CLASS_CHOSEN_AT_RUN_TIME) == [("BRN006", 23)]


def test_a_class_chosen_by_branch_reads_only_the_shared_positions():
    # positions past num_layers differ between nn.RNN and nn.LSTM/GRU: not read as a flag
    source = CLASS_CHOSEN_AT_RUN_TIME.replace(
        'rnn_class = nn.LSTM', 'rnn_class = nn.RNN'
    ).replace("layers, bidirectional=True)", "layers, True, False, 0.0, True)")
    assert codes(source) == []
