"""C3 state-matches-output, C9 variable-length and C10 initial-state: torch's modules pass, and
each broken layer in fixtures/ fails with the clause, the place of the error and the hint."""

from __future__ import annotations

import pytest
from hypothesis import Phase, settings
from torch import nn

from conformance.engine import Case, run_case
from conformance.failures import ConformanceFailure
from conformance.profiles import profile
from conformance.spec import LayerSpec
from fixtures.layers import (
    breaks_c3_backward_state_at_last_step,
    breaks_c3_direction_major_states,
    breaks_c9_backward_over_padding,
    breaks_c9_states_ignore_lengths,
    breaks_c10_h0_broadcast,
    breaks_c10_h0_direction_major,
    breaks_c10_h0_shared_by_directions,
)
from fixtures.layers.equations_bigru import EquationsBiGRU

CLAUSES = ("C3", "C9", "C10")

CI = profile("ci")
# Failing fixtures need no shrinking to show their message, and it is most of their time.
NO_SHRINK = settings(CI, phases=[Phase.explicit, Phase.generate])


def run(spec: LayerSpec, clause_id: str, options: settings = CI) -> None:
    run_case(Case(spec, clause_id, "cpu"), options)


def failure(spec: LayerSpec, clause_id: str) -> str:
    """The message of the check's failure on ``spec`` (it must fail, with its own clause)."""
    with pytest.raises(ConformanceFailure) as caught:
        run(spec, clause_id, NO_SHRINK)
    assert caught.value.clause_id == clause_id
    return str(caught.value)


@pytest.mark.parametrize("clause_id", CLAUSES)
def test_a_correct_custom_layer_passes(clause_id: str) -> None:
    run(LayerSpec.from_class(EquationsBiGRU, kind="gru"), clause_id)


# -- C3 ---------------------------------------------------------------------------------------------


def test_backward_state_read_at_the_last_step_fails_c3() -> None:
    message = failure(breaks_c3_backward_state_at_last_step.SPEC, "C3")
    assert "C3-state-matches-output" in message
    assert "the last layer's backward state differs" in message
    assert "backward) against the output's backward half at step 0" in message
    assert "hint: the backward state equals the backward half at the last step T-1" in message


def test_direction_major_state_rows_fail_c3_for_several_layers() -> None:
    message = failure(breaks_c3_direction_major_states.SPEC, "C3")
    assert "the last layer's forward state differs" in message
    assert "num_layers=1" not in message  # for L = 1 both orders coincide
    assert "h_n's rows look direction-major" in message


def test_final_states_that_ignore_lengths_fail_c3_with_packed_input() -> None:
    message = failure(breaks_c9_states_ignore_lengths.SPEC, "C3")
    assert "with packed input (lengths" in message
    assert "own last step" in message
    assert "PackedSequence's lengths are ignored" in message


# -- C9 ---------------------------------------------------------------------------------------------


def test_backward_direction_over_padding_fails_c9() -> None:
    message = failure(breaks_c9_backward_over_padding.SPEC, "C9")
    assert "C9-variable-length" in message
    # Which example fails first, and so which comparison reports it, depends on the versions of
    # hypothesis and torch; whichever it is, it points at the backward direction and the padding.
    if "packed output (lengths" in message:
        # in a stack, layer l's forward half reads the backward half below: either half can be
        # where the error is largest; with one layer it is the backward half
        assert "of the backward half" in message or "num_layers=1," not in message
        assert "the backward direction started on padding" in message
    else:
        assert "h_n of the packed run" in message and "backward direction (row" in message
        assert "run over the zero-padded batch" in message


def test_final_states_that_ignore_lengths_fail_c9() -> None:
    message = failure(breaks_c9_states_ignore_lengths.SPEC, "C9")
    assert "h_n of the packed run" in message
    assert "forward direction (row 0)" in message
    assert "final states are those of a run over the zero-padded batch" in message


def test_an_unpacked_output_for_packed_input_fails_c9() -> None:
    class UnpacksOutputGRU(nn.GRU):
        def forward(self, input, hx=None):
            from torch.nn.utils.rnn import pad_packed_sequence

            output, h_n = super().forward(input, hx)
            return pad_packed_sequence(output)[0], h_n

    message = failure(LayerSpec.from_class(UnpacksOutputGRU), "C9")
    assert "returned a Tensor" in message and "expected a PackedSequence" in message


# -- C10 --------------------------------------------------------------------------------------------


def test_h0_broadcast_over_directions_fails_c10() -> None:
    message = failure(breaks_c10_h0_broadcast.SPEC, "C10")
    assert "C10-initial-state" in message
    assert "was accepted instead of raising an exception" in message
    assert "broadcast h0 over the directions" in message


def test_one_h0_row_for_both_directions_fails_c10() -> None:
    message = failure(breaks_c10_h0_shared_by_directions.SPEC, "C10")
    # changing a forward row moves both halves; changing a backward row moves nothing
    assert "in the rows it cannot reach" in message or "unchanged" in message
    assert "both directions" in message


def test_direction_major_h0_fails_c10_for_several_layers() -> None:
    message = failure(breaks_c10_h0_direction_major.SPEC, "C10")
    assert "num_layers=1" not in message
    assert "read h0 direction-major" in message


# -- each fixture breaks its own clause, not the other two of this family ---------------------------


@pytest.mark.parametrize(
    ("fixture", "clause_id"),
    [
        (breaks_c3_backward_state_at_last_step, "C9"),
        (breaks_c3_backward_state_at_last_step, "C10"),
        (breaks_c3_direction_major_states, "C9"),
        (breaks_c9_backward_over_padding, "C3"),
        (breaks_c9_backward_over_padding, "C10"),
        (breaks_c9_states_ignore_lengths, "C10"),
        (breaks_c10_h0_broadcast, "C3"),
        (breaks_c10_h0_broadcast, "C9"),
        (breaks_c10_h0_shared_by_directions, "C3"),
        (breaks_c10_h0_shared_by_directions, "C9"),
        (breaks_c10_h0_direction_major, "C3"),
        (breaks_c10_h0_direction_major, "C9"),
    ],
    ids=lambda value: getattr(value, "__name__", value).rsplit(".", 1)[-1],
)
def test_fixtures_pass_the_clauses_they_do_not_target(fixture, clause_id: str) -> None:
    run(fixture.SPEC, clause_id)
