"""BRN006: ``h_n.reshape(num_layers, B, -1)`` joins two batch elements' states, not a layer's
two directions; the view that separates directions first, and other row layouts, stay quiet."""

from __future__ import annotations

import pytest

from lint_rules.checker import check_source

MODEL = """
import torch.nn as nn


class Encoder(nn.Module):
    def __init__(self, n_features, hidden, num_layers=2):
        super().__init__()
        self.num_layers = num_layers
        self.hidden = hidden
        self.gru = nn.GRU(n_features, hidden, num_layers, bidirectional={bidirectional})

    def forward(self, x):
        out, hn = self.gru(x)
        batch = x.size(1)
        return {expression}
"""


def codes(expression: str, bidirectional: bool = True) -> list[str]:
    source = MODEL.format(expression=expression, bidirectional=bidirectional)
    return [finding.code for finding in check_source(source)]


@pytest.mark.parametrize(
    "expression",
    [
        "hn.reshape(self.num_layers, hn.size(1), -1)",
        "hn.view(self.num_layers, x.size(1), -1)",
        "hn.view(self.num_layers, batch, 2 * self.hidden)",
        "hn.view(self.num_layers, -1, self.hidden * 2)",
    ],
)
def test_a_view_to_layers_batch_and_both_directions_joins_batch_elements(expression):
    assert "BRN006" in codes(expression)


@pytest.mark.parametrize(
    "expression",
    [
        "hn.view(self.num_layers, 2, batch, self.hidden)",
        "hn.view(self.num_layers * 2, batch, -1)",
        "hn.view(self.num_layers, 2, -1)",
        "hn.view(self.num_layers, batch, self.hidden)",
    ],
)
def test_layouts_that_keep_the_rows_apart_are_quiet(expression):
    assert "BRN006" not in codes(expression)


def test_a_unidirectional_state_is_quiet():
    assert "BRN006" not in codes("hn.reshape(self.num_layers, hn.size(1), -1)", False)
