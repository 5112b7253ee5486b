"""Lineage: which names of a scope a value is computed from (BRN005 asks whether a padding mask
and an RNN's input come from the same batch)."""

from __future__ import annotations

import libcst as cst

from lint_rules.checker import check_source
from lint_rules.lineage import Lineage, names_read

SCRIPT = """
device = torch.device("cuda")
max_len = 50
batch = next(iter(loader))
tokens = batch["input_ids"].to(device)
mask = tokens != pad_id
toy = torch.zeros(2, max_len, 8, device=device)
for step in range(3):
    hidden = toy[:, step]
"""


def test_sources_are_followed_back_through_assignments_and_loops():
    lineage = Lineage(cst.parse_module(SCRIPT))
    assert lineage.ancestors({"mask"}) >= {"mask", "tokens", "batch"}
    assert "toy" in lineage.ancestors({"hidden"})


def test_placement_and_literal_sizes_are_not_sources_of_data():
    lineage = Lineage(cst.parse_module(SCRIPT))
    assert "device" not in lineage.ancestors({"tokens"})
    assert not {"max_len", "device"} & lineage.ancestors({"toy"})  # a size, a place
    assert names_read(cst.parse_expression("x.to(device).masked_fill(m, 0)")) == {"x", "m"}


MODEL = """
import torch.nn as nn


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.GRU(8, 8, batch_first=True, bidirectional=True)

    def forward(self, x, other):
        mask = other.abs().sum(-1) != 0
        out, _ = self.rnn(x.to(mask.device))
        return out
"""


def test_a_mask_of_another_tensor_is_not_evidence_for_this_input():
    assert check_source(MODEL) == []
    same_data = MODEL.replace("mask = other.abs()", "mask = x.abs()")
    assert [finding.code for finding in check_source(same_data)] == ["BRN005"]


def test_the_names_a_call_binds_stop_the_walk_back():
    """A mask made from an RNN's output is not made from its input, though the output is."""
    module = cst.parse_module("out, _ = rnn(x)\nmask = out[:, :, 0] != 0\n")
    lineage = Lineage(module)
    call = module.body[0].body[0].value
    assert lineage.bound_from(call) == {"out", "_"}
    assert "x" in lineage.ancestors({"mask"})
    assert "x" not in lineage.ancestors({"mask"}, stop=lineage.bound_from(call))
