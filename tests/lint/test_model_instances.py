"""A model of the same module used inside another (``self.encoder = Encoder(...)``), and a loop
over a ModuleList of RNNs: the outer code's last-step reads are seen (BRN004), and the outer
class's layer sizes are not compared with the inner class's names (BRN002)."""

from __future__ import annotations

import pytest

from lint_rules.checker import check_source

ENCODER = """
import torch
import torch.nn as nn


class Encoder(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.lstm = nn.LSTM(dim, hidden, batch_first=True, bidirectional=True)

    def forward(self, x):
        out, hidden = self.lstm(x)
        return out, hidden


class Classifier(nn.Module):
    def __init__(self, dim, hidden, classes):
        super().__init__()
        self.encoder = Encoder(dim, hidden)
        self.fc = nn.Linear(2 * hidden, classes)

    def forward(self, x):
        out, _ = self.encoder(x)
"""


def findings(source: str) -> list:
    return check_source(source)


@pytest.mark.parametrize(
    "read",
    ["return self.fc(out[:, -1, :])", "return self.fc(out.transpose(0, 1)[-1])"],
)
def test_the_last_step_of_an_inner_model_s_output_fires(read):
    [finding] = findings(ENCODER + f"        {read}\n")
    assert finding.code == "BRN004"
    assert "`Encoder.lstm`" in finding.message


@pytest.mark.parametrize(
    "read",
    [
        "return self.fc(out.mean(1))",
        "H = out.size(2) // 2\n        return self.fc(torch.cat((out[:, -1, :H], out[:, 0, H:]), 1))",
    ],
)
def test_a_summary_of_an_inner_model_s_output_is_quiet(read):
    assert findings(ENCODER + f"        {read}\n") == []


def test_a_unidirectional_inner_model_is_quiet():
    one_way = ENCODER.replace("bidirectional=True", "bidirectional=False")
    assert findings(one_way + "        return self.fc(out[:, -1, :])\n") == []


def test_the_outer_class_s_sizes_are_not_compared_with_the_inner_class_s_names():
    # Encoder(dim, hidden // 2): the outer `hidden` is both directions; BRN002 must not fire
    halved = ENCODER.replace("Encoder(dim, hidden)", "Encoder(dim, hidden // 2)").replace(
        "nn.Linear(2 * hidden, classes)", "nn.Linear(hidden, classes)"
    )
    assert findings(halved + "        return self.fc(out.mean(1))\n") == []


STACKED = """
import torch.nn as nn


class Stacked(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.rnns = nn.ModuleList(
            [nn.GRU(dim, hidden, batch_first=True, bidirectional=True) for _ in range(2)]
        )

    def forward(self, x):
        for rnn in self.rnns:
{body}
        return x[:, -1]
"""


def test_a_loop_over_a_module_list_of_rnns_binds_the_last_output():
    [finding] = findings(STACKED.format(body="            x, _ = rnn(x)"))
    assert finding.code == "BRN004"


def test_a_loop_that_may_stop_early_binds_nothing():
    body = "            if x is None:\n                break\n            x, _ = rnn(x)"
    assert findings(STACKED.format(body=body)) == []


def test_an_instance_moved_to_a_device_is_the_same_model():
    moved = ENCODER.replace("Encoder(dim, hidden)", "Encoder(dim, hidden).cuda()")
    [finding] = findings(moved + "        return self.fc(out[:, -1, :])\n")
    assert finding.code == "BRN004"
