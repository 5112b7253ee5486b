"""A mask is padding evidence only when it goes with the batch the RNN reads: not when it is made
from the RNN's own output through a rebound name, nor when it shares only the batch's size."""

from __future__ import annotations

from lint_rules.checker import check_source

HEADER = """import torch
import torch.nn as nn
import torch.nn.functional as F


class Separator(nn.Module):
    def __init__(self, n_bins, hidden):
        super().__init__()
        self.lstm = nn.LSTM(n_bins, hidden, bidirectional=True)
        self.fc = nn.Linear(n_bins + 2 * hidden, n_bins)

    def forward(self, x):
"""


def brn005_lines(body: str) -> list[int]:
    source = HEADER + "".join(f"        {line}\n" for line in body.strip().splitlines())
    return [f.line for f in check_source(source, select=["BRN005"])]


def test_a_mask_made_from_the_output_through_a_rebound_name_is_no_evidence():
    body = """
out, _ = self.lstm(x)
x = torch.cat([x, out], -1)
mask = F.relu(self.fc(x))
return mask
"""
    assert brn005_lines(body) == []


def test_a_mask_made_after_the_call_from_the_input_itself_is_evidence():
    body = """
out, _ = self.lstm(x)
mask = x.abs().sum(-1) != 0
return out * mask.unsqueeze(-1)
"""
    assert brn005_lines(body) == [13]


def test_a_mask_rebuilt_in_a_loop_is_not_read_in_order_and_stays_evidence():
    body = """
out, _ = self.lstm(x)
for _ in range(2):
    x = torch.cat([x, out], -1)
mask = x.abs().sum(-1) != 0
return out * mask.unsqueeze(-1)
"""
    assert brn005_lines(body) == [13]


def test_an_all_ones_mask_of_the_batch_size_is_no_evidence():
    body = """
n_frames, n_samples, _ = x.shape
shape = (n_frames, n_samples)
mask = torch.ones(shape)
out, _ = self.lstm(x)
return out * mask.unsqueeze(-1)
"""
    assert brn005_lines(body) == []


def test_a_mask_computed_from_the_input_data_is_evidence():
    body = """
mask = (x.abs().sum(-1) != 0).float()
out, _ = self.lstm(x * mask.unsqueeze(-1))
return out
"""
    assert brn005_lines(body) == [14]
