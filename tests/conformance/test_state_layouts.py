"""The state converters of conformance.state_layouts: torch's (2L, B, H) and the other layouts."""

from __future__ import annotations

import torch
from torch.nn.utils.rnn import pack_padded_sequence

from conformance.state_layouts import (
    directions_in_rows,
    directions_side_by_side,
    from_per_layer_pairs,
    per_layer_pairs,
    zero_state,
)


def torch_state(layers: int = 2, batch: int = 3, hidden: int = 4) -> torch.Tensor:
    return torch.arange(2 * layers * batch * hidden, dtype=torch.float64).view(
        2 * layers, batch, hidden
    )


def test_side_by_side_puts_row_2l_plus_d_in_half_d_of_row_l() -> None:
    h = torch_state()
    side_by_side = directions_side_by_side(h)
    assert side_by_side.shape == (2, 3, 8)
    assert torch.equal(side_by_side[1, :, :4], h[2]) and torch.equal(side_by_side[1, :, 4:], h[3])
    assert torch.equal(directions_in_rows(side_by_side), h)


def test_converters_take_h_and_c_together_and_pass_none_through() -> None:
    h, c = torch_state(), -torch_state()
    converted = directions_side_by_side((h, c))
    assert isinstance(converted, tuple) and torch.equal(converted[1], -converted[0])
    assert directions_side_by_side(None) is None and directions_in_rows(None) is None
    unbatched = torch_state()[:, 0]  # (2L, H): torch's state for an unbatched input
    assert torch.equal(
        directions_side_by_side(unbatched)[0], torch.cat([unbatched[0], unbatched[1]])
    )


def test_per_layer_pairs_nest_rows_by_layer_then_direction() -> None:
    h, c = torch_state(), -torch_state()
    nested = per_layer_pairs((h, c))
    assert (
        len(nested) == 2
        and torch.equal(nested[1][0][0], h[2])
        and torch.equal(nested[1][1][1], c[3])
    )
    back = from_per_layer_pairs(nested)
    assert torch.equal(back[0], h) and torch.equal(back[1], c)
    assert torch.equal(from_per_layer_pairs(per_layer_pairs(h)), h)


def test_zero_state_matches_the_input_batch_dtype_and_layout() -> None:
    x = torch.zeros(5, 3, 2, dtype=torch.float64)
    h, c = zero_state(x, 2, 4, cell=True)
    assert h.shape == c.shape == (4, 3, 4) and h.dtype == torch.float64 and h is not c
    assert zero_state(x, 1, 4, cell=False, batch_first=True).shape == (2, 5, 4)
    assert zero_state(x[:, 0], 1, 4, cell=False).shape == (2, 4)
    packed = pack_padded_sequence(x, [5, 4, 2])
    assert zero_state(packed, 1, 4, cell=False).shape == (2, 3, 4)
