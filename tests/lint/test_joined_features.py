"""BRN004 follows an output joined with other features along the feature axis to a last-step
read; a join along time or batch is another tensor's steps or sequences, and stays quiet."""

from __future__ import annotations

import pytest

from lint_rules.checker import check_source

MODEL = """
import torch
import torch.nn as nn


class VisitModel(nn.Module):
    def __init__(self, n_features, hidden):
        super().__init__()
        self.rnn = nn.LSTM(n_features, hidden, batch_first=True, bidirectional={bidirectional})
        self.fc = nn.Linear(2 * hidden + 1, 1)

    def forward(self, x, extra):
        out, _ = self.rnn(x)
        joined = torch.cat({joined})
        return self.fc(joined[:, -1, :])
"""


def codes(joined: str, bidirectional: bool = True) -> list[str]:
    source = MODEL.format(joined=joined, bidirectional=bidirectional)
    return [finding.code for finding in check_source(source)]


@pytest.mark.parametrize("joined", ["(out, extra), dim=2", "[out, extra], -1", "[extra, out], 2"])
def test_features_joined_beside_the_output_keep_its_backward_half_at_the_last_step(joined):
    assert "BRN004" in codes(joined)


@pytest.mark.parametrize(
    "joined",
    [
        "(out, extra), dim=1",  # along time: the last step is extra's
        "(out, extra), dim=0",  # along the batch
        "(out, extra)",  # dim 0 by default
    ],
)
def test_a_join_along_time_or_batch_is_not_followed(joined):
    assert "BRN004" not in codes(joined)


def test_a_unidirectional_output_joined_is_quiet():
    assert "BRN004" not in codes("[out, extra], -1", bidirectional=False)
