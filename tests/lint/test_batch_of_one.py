"""BRN004 follows a batch of one whose batch axis is squeezed or viewed away (the BiLSTM-CRF
tutorial's ``lstm_out.view(len(sentence), -1)``): its rows are one sentence's steps, and the
last of them, returned by a helper and read by the caller, is the last step."""

from __future__ import annotations

import pytest

from lint_rules.checker import check_source

SOURCE = """
import torch
import torch.nn as nn


class SentenceClassifier(nn.Module):
    def __init__(self, embed_dim, hidden_dim, batch_size, use_attention):
        super().__init__()
        self.half = hidden_dim // 2
        self.batch_size = batch_size
        self.use_attention = use_attention
        self.lstm = nn.LSTM(embed_dim, self.half, bidirectional={bidirectional})
        self.combine = nn.Linear(2 * hidden_dim, hidden_dim)
        self.hidden2tag = nn.Linear(hidden_dim, 1)

    def features(self, sentence, context):
        lstm_out, _ = self.lstm(sentence.view(len(sentence), 1, -1))
{body}

    def forward(self, sentence, context):
        feats = self.features(sentence, context)
        return self.hidden2tag({read})
"""


def brn004(body: str, read: str = "feats[-1]", bidirectional: bool = True) -> list[str]:
    lines = "".join(f"        {line}\n" for line in body.splitlines())
    source = SOURCE.format(body=lines.rstrip("\n"), read=read, bidirectional=bidirectional)
    return [finding.message for finding in check_source(source) if finding.code == "BRN004"]


@pytest.mark.parametrize(
    "body",
    [
        "return lstm_out.squeeze(1)",
        "return torch.squeeze(lstm_out, 1)",
        "return lstm_out.view(len(sentence), -1)",
        "return lstm_out.view(lstm_out.size(0), -1)",
    ],
)
def test_the_last_row_of_a_squeezed_or_viewed_batch_of_one_fires(body):
    messages = brn004(body)
    assert len(messages) == 1
    assert "`feats[-1]` is the last step of bidirectional `self.lstm`'s output" in messages[0]
    assert "torch.cat((feats[-1, :H], feats[0, H:]), dim=-1)" in messages[0]


@pytest.mark.parametrize(
    "body",
    [
        "return self.combine(torch.cat((lstm_out, context), 2)).squeeze(1)",
        "return self.combine(lstm_out.view(len(sentence), -1))",
        "if self.use_attention:\n"
        "    lstm_out = self.combine(torch.cat((lstm_out, context), 2))\n"
        "return lstm_out.squeeze(1)",
    ],
)
def test_a_layer_over_every_step_on_the_way_fires_as_such(body):
    messages = brn004(body)
    assert len(messages) == 1
    assert "is the last step of what a layer computed at every step" in messages[0]


@pytest.mark.parametrize(
    ("body", "read", "bidirectional"),
    [
        ("return lstm_out.squeeze(1)", "feats[-1]", False),
        ("return lstm_out.squeeze(0)", "feats[-1]", True),  # a time axis of one: the batch
        ("return lstm_out.view(self.batch_size, -1)", "feats[-1]", True),
        ("return lstm_out.view(-1, 2 * self.half)", "feats[-1]", True),
        (
            "return lstm_out.squeeze(1)",
            "torch.cat((feats[-1, : self.half], feats[0, self.half :]))",
            True,
        ),
        ("return self.combine(lstm_out.squeeze(1))", "feats[-1, :3]", True),
    ],
)
def test_other_axes_directions_and_halves_stay_quiet(body, read, bidirectional):
    assert brn004(body, read, bidirectional) == []
