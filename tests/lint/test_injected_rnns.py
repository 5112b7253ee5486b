"""An RNN built outside a model class and handed to its constructor is that class's RNN
(lint_rules/injected_rnns.py): ``self.lstm = lstm`` then ``self.lstm(x)`` in ``forward``."""

from __future__ import annotations

from lint_rules.checker import check_source

MODEL = """
import torch.nn as nn


class Encoder(nn.Module):
    def __init__(self, lstm, n_classes):
        super().__init__()
        self.lstm = lstm
        self.fc = nn.Linear(128, n_classes)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.fc(out[:, -1, :])


class Wrapper(nn.Module):
    def __init__(self, lstm):
        super().__init__()
        self.encoder = Encoder(lstm=lstm, n_classes=3)

    def forward(self, x):
        return self.encoder(x)


def build(n_features):
{body}
"""


def _codes(body: str) -> list[str]:
    return [f.code for f in check_source(MODEL.format(body=body))]


BIDIRECTIONAL = "    lstm = nn.LSTM(n_features, 64, batch_first=True, bidirectional=True)\n"
UNIDIRECTIONAL = "    lstm = nn.LSTM(n_features, 128, batch_first=True)\n"


def test_a_bidirectional_rnn_handed_to_the_constructor_is_the_classes_rnn():
    assert _codes(BIDIRECTIONAL + "    return Encoder(lstm, 3)") == ["BRN004"]


def test_a_constructor_that_hands_it_on_binds_the_next_class_too():
    assert _codes(BIDIRECTIONAL + "    return Wrapper(lstm)") == ["BRN004"]


def test_a_unidirectional_rnn_handed_over_is_quiet():
    assert _codes(UNIDIRECTIONAL + "    return Encoder(lstm, 3)") == []


def test_two_different_rnns_for_one_parameter_leave_it_unknown():
    body = (
        BIDIRECTIONAL
        + UNIDIRECTIONAL.replace("lstm =", "other =")
        + "    return Encoder(lstm, 3), Encoder(other, 3)"
    )
    assert _codes(body) == []


def test_nothing_handed_over_leaves_the_parameter_unknown():
    assert _codes(BIDIRECTIONAL + "    return Encoder(None, 3)") == []
