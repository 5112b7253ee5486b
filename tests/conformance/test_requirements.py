"""A clause that cannot be checked on a layer is skipped with a reason that says what to add."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from conformance.engine import Case, CheckSkipped, run_case
from conformance.profiles import profile
from conformance.spec import LayerSpec
from fixtures.layers.custom_specs import DICT_BILSTM


class TwoUnidirectionalGRUs(nn.Module):
    """A correct one-layer BiGRU made of two nn.GRU: its parameters are not named like torch's."""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=True):
        super().__init__()
        self.forward_rnn = nn.GRU(input_size, hidden_size, bias=bias, batch_first=batch_first)
        self.backward_rnn = nn.GRU(input_size, hidden_size, bias=bias, batch_first=batch_first)

    def forward(self, x, hx=None):
        time = 1 if self.forward_rnn.batch_first else 0
        forward_output, forward_state = self.forward_rnn(x)
        backward_output, backward_state = self.backward_rnn(x.flip(time))
        output = torch.cat([forward_output, backward_output.flip(time)], dim=-1)
        return output, torch.cat([forward_state, backward_state])


SPEC = LayerSpec.from_class(TwoUnidirectionalGRUs, kind="gru", origin="tests:TwoUnidirectionalGRUs")


@pytest.mark.parametrize("clause_id", ["C4", "C11"])
def test_unmapped_parameters_skip_with_the_hook_to_add(clause_id: str) -> None:
    with pytest.raises(CheckSkipped, match="parameter_names` hook") as skipped:
        run_case(Case(SPEC, clause_id, "cpu"), profile("dev"))
    assert "forward_rnn.weight_ih_l0" in str(skipped.value)


@pytest.mark.parametrize("clause_id", ["C4", "C11"])
def test_a_parameter_map_makes_the_clause_apply(clause_id: str) -> None:
    run_case(Case(DICT_BILSTM, clause_id, "cpu"), profile("dev"))
