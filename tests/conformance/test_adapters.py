"""The torch-style defaults of the spec's hooks: names, direction groups and the C4 swap."""

from __future__ import annotations

import torch
from torch import nn

from conformance import adapters
from conformance.spec import LayerSpec


def test_torch_names_cover_every_parameter_of_a_projected_lstm() -> None:
    spec = LayerSpec.from_class(nn.LSTM)
    lstm = nn.LSTM(2, 3, proj_size=2, bidirectional=True)
    assert set(adapters.torch_named_parameters(spec, lstm)) == {
        f"{kind}_{part}_l0{suffix}"
        for kind, part in [("weight", "ih"), ("weight", "hh"), ("bias", "ih"), ("bias", "hh"), ("weight", "hr")]
        for suffix in ("", "_reverse")
    }
    groups = adapters.direction_parameters(spec, lstm)
    assert set(groups) == {(0, 0), (0, 1)}
    assert "weight_hr_l0_reverse" in groups[(0, 1)]


def test_the_swap_exchanges_directions_and_the_upper_layers_column_halves() -> None:
    spec = LayerSpec.from_class(nn.GRU)
    gru = nn.GRU(2, 3, num_layers=2, bidirectional=True)
    before = {name: p.detach().clone() for name, p in gru.named_parameters()}
    adapters.swap_directions(spec, gru)
    assert torch.equal(gru.weight_hh_l0, before["weight_hh_l0_reverse"])
    assert torch.equal(gru.weight_hh_l0_reverse, before["weight_hh_l0"])
    upper = before["weight_ih_l1_reverse"]
    assert torch.equal(gru.weight_ih_l1, torch.cat([upper[:, 3:], upper[:, :3]], dim=1))
