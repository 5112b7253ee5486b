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
        for kind, part in [
            ("weight", "ih"),
            ("weight", "hh"),
            ("bias", "ih"),
            ("bias", "hh"),
            ("weight", "hr"),
        ]
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


def test_direction_halves_read_and_write_each_directions_blocks() -> None:
    from conformance.parameter_views import direction_halves

    hidden = 2
    own = torch.arange(4 * hidden, dtype=torch.float64)  # (2 blocks, direction, H)
    forward, backward = direction_halves("weight_c", blocks=2)
    assert forward.read(own).tolist() == [0, 1, 4, 5] and backward.read(own).tolist() == [
        2,
        3,
        6,
        7,
    ]
    backward.write(own, torch.zeros(4, dtype=torch.float64))
    assert own.tolist() == [0, 1, 0, 0, 4, 5, 0, 0]
    assert str(forward.on("rnn.0.weight_c")).startswith("rnn.0.weight_c: the forward half")


def test_layer_zeros_input_weights_follow_an_input_swap_that_permutes_features() -> None:
    """SRU-style skip path at I = 2H: swap_input exchanges the input's halves, so the swapped
    layer's input weights must read them exchanged too, or C4 fails on a correct layer."""
    import copy
    import importlib

    from conformance.spec import LayerConfig

    spec = importlib.import_module("fixtures.layers.highway_birnn").SPEC
    config = LayerConfig(input_size=4, hidden_size=2)
    torch.manual_seed(0)
    layer = spec.factory(config).double()
    x = torch.randn(3, 2, 4, dtype=torch.float64)

    def reversal_error(swapped: nn.Module) -> float:
        back = swapped(spec.swap_input(config, x.flip(0)))[0].flip(0)
        return (layer(x)[0] - torch.cat([back[..., 2:], back[..., :2]], dim=-1)).abs().max().item()

    following, ignoring = copy.deepcopy(layer), copy.deepcopy(layer)
    adapters.swap_directions(spec, following, config)
    adapters.swap_directions(spec, ignoring)  # no config: swap_input cannot be consulted
    assert reversal_error(following) < 1e-12 < reversal_error(ignoring)
