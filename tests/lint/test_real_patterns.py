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


FLATTENED_STATE = '''
import torch.nn as nn


class Encoder(nn.Module):
    def __init__(self, size, hidden):
        super().__init__()
        self.hidden = hidden
        self.lstm = nn.LSTM(size, hidden, bidirectional=True)

    def forward(self, x):
        _, (hn, cn) = self.lstm(x)
        return FLATTEN
'''


def test_a_state_flattened_batch_major_without_a_transpose_mixes_the_batch():
    for flatten in (
        "hn.view(hn.size()[1], -1)",
        "hn.view(hn.size(1), -1)",
        "hn.view(x.shape[1], self.hidden * 2)",
        "hn.view(-1, self.hidden * 2, 1)",
    ):
        assert codes(FLATTENED_STATE.replace("FLATTEN", flatten)) == [("BRN006", 13)], flatten


def test_a_state_flattened_after_a_transpose_or_by_rows_is_right():
    for flatten in (
        "hn.transpose(0, 1).reshape(x.size(1), -1)",
        "hn.permute(1, 0, 2).contiguous().view(x.size(1), -1)",
        "hn.view(hn.size(0), -1)",
        "hn.view(-1, self.hidden)",
        "hn.sum(0).view(x.size(1), -1)",
    ):
        assert codes(FLATTENED_STATE.replace("FLATTEN", flatten)) == [], flatten


KEYWORD_DEFAULT = '''
import torch.nn as nn


class Classifier(nn.Module):
    def __init__(self, **kwargs):
        super().__init__()
        self.bidirectional = kwargs.get("bidirectional", DEFAULT)
        self.rnn = nn.LSTM(8, 16, bidirectional=self.bidirectional)

    def forward(self, x):
        _, (h_n, _) = self.rnn(x)
        return h_n[-1]
'''


def test_a_keyword_dictionary_default_counts_as_a_default():
    assert codes(KEYWORD_DEFAULT.replace("DEFAULT", "True")) == [("BRN003", 13)]
    assert codes(KEYWORD_DEFAULT.replace("DEFAULT", "False")) == []
