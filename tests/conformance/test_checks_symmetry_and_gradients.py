"""C4, C5, C6 and C12: torch's modules and the correct custom layers pass; each broken fixture
fails its clause with a message that says where and why."""

from __future__ import annotations

import importlib
from dataclasses import replace

import pytest
from hypothesis import settings
from torch import nn

from conformance.engine import Case, run_case
from conformance.failures import ConformanceFailure
from conformance.profiles import profile
from conformance.spec import LayerSpec
from fixtures.layers.custom_specs import DICT_BILSTM, EQUATIONS_BIGRU

CLAUSES = ["C4", "C5", "C6", "C12"]
CI = profile("ci")
QUICK = settings(CI, max_examples=8)


def fixture_spec(module: str) -> LayerSpec:
    return importlib.import_module(f"fixtures.layers.{module}").SPEC


def failure_of(spec: LayerSpec, clause_id: str, settings=CI) -> str:
    with pytest.raises(ConformanceFailure) as caught:
        run_case(Case(spec, clause_id, "cpu"), settings)
    assert caught.value.clause_id == clause_id
    return str(caught.value)


@pytest.mark.parametrize("clause_id", CLAUSES)
@pytest.mark.parametrize("spec", [EQUATIONS_BIGRU, DICT_BILSTM], ids=lambda spec: spec.name)
def test_correct_custom_layers_pass(spec: LayerSpec, clause_id: str) -> None:
    run_case(Case(spec, clause_id, "cpu"), QUICK)


# -- C4 ------------------------------------------------------------------------------------------


def test_c4_catches_a_backward_direction_that_does_not_reverse() -> None:
    message = failure_of(fixture_spec("breaks_c4_backward_not_reversed"), "C4")
    assert message.startswith("C4-reversal-equivariance:")
    assert "largest at step" in message and "half" in message
    assert "the backward direction may not reverse the sequence" in message


def test_c4_catches_a_backward_output_that_is_not_flipped_back() -> None:
    message = failure_of(fixture_spec("breaks_c4_backward_output_not_flipped"), "C4")
    assert message.startswith("C4-reversal-equivariance:")
    assert "largest at step" in message
    assert "does not reverse that direction's output back" in message


def test_c4_names_the_upper_layers_when_only_they_break() -> None:
    def swap_without_column_halves(module) -> None:
        # A spec author's hook that forgets the column-half exchange of layers >= 1.
        for name, forward in dict(module.named_parameters()).items():
            if not name.endswith("_reverse"):
                backward = getattr(module, name + "_reverse")
                saved = forward.detach().clone()
                forward.copy_(backward)
                backward.copy_(saved)

    spec = replace(LayerSpec.from_class(nn.GRU), swap_directions=swap_without_column_halves)
    message = failure_of(spec, "C4")
    assert "layer 0 is reversal-equivariant but layer(s) 1" in message


# -- C5 ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "module",
    ["breaks_c5_reverse_flag_on_wrong_direction", "breaks_c5_halves_concatenated_backward_first"],
)
def test_c5_catches_exchanged_direction_roles_that_c4_cannot(module: str) -> None:
    spec = fixture_spec(module)
    run_case(Case(spec, "C4", "cpu"), QUICK)  # the swap is symmetric: C4 holds
    message = failure_of(spec, "C5")
    assert message.startswith("C5-causality:")
    assert "of the forward half" in message and "after perturbing the input at step" in message
    assert "the forward half sees the future and the backward half the past" in message


def test_c5_catches_a_backward_direction_that_runs_forward() -> None:
    message = failure_of(fixture_spec("breaks_c4_backward_not_reversed"), "C5")
    assert "of the backward half" in message
    assert "the backward direction sees the past" in message


def test_c5_catches_a_backward_direction_that_misses_its_own_step() -> None:
    message = failure_of(fixture_spec("breaks_c5_backward_shifted_by_one_step"), "C5")
    assert "the backward half of batch element" in message
    assert "did not change at any step t <= s" in message
    assert "shifted by one step" in message


# -- C6 ------------------------------------------------------------------------------------------


def test_c6_names_the_parameters_of_a_detached_backward_direction() -> None:
    spec = fixture_spec("breaks_c6_backward_output_detached")
    for clause_id in ("C4", "C5"):
        run_case(Case(spec, clause_id, "cpu"), QUICK)
    message = failure_of(spec, "C6")
    assert message.startswith("C6-joint-gradient-flow:")
    assert "weight_ih_l0_reverse (layer 0, backward direction)" in message
    assert "get no gradient at all" in message
    assert "is that direction's output detached" in message


def test_c6_names_an_unused_hidden_to_hidden_weight() -> None:
    message = failure_of(fixture_spec("breaks_c6_backward_uses_forward_hh_weight"), "C6")
    assert "weight_hh_l0_reverse (layer 0, backward direction)" in message
    assert "weight_ih_l0_reverse" not in message
    assert "use its twin's parameter" in message


def test_c6_catches_an_input_that_reaches_only_the_forward_direction() -> None:
    spec = fixture_spec("breaks_c6_backward_input_detached")
    for clause_id in ("C4", "C5"):
        run_case(Case(spec, clause_id, "cpu"), QUICK)
    message = failure_of(spec, "C6")
    assert "the input gets no gradient through the backward half" in message
    assert "step 0 of batch element 0" in message
    assert "is its input detached" in message


# -- C12 -----------------------------------------------------------------------------------------


def test_c12_catches_a_wrong_hand_written_backward_that_every_value_check_misses() -> None:
    spec = fixture_spec("breaks_c12_custom_tanh_backward")
    for clause_id in ("C4", "C5", "C6"):
        run_case(Case(spec, clause_id, "cpu"), QUICK)
    message = failure_of(spec, "C12")
    assert message.startswith("C12-gradient-correctness:")
    assert "torch.autograd.gradcheck failed" in message
    assert "weight_ih_l0 (layer 0, forward direction)" in message
    assert "hand-written autograd.Function" in message


def test_c12_is_skipped_for_a_layer_without_float64() -> None:
    from conformance.engine import CheckSkipped
    from conformance.spec import Features

    spec = LayerSpec.from_class(nn.GRU, features=Features(dtypes=("float32",)))
    with pytest.raises(CheckSkipped, match="float64"):
        run_case(Case(spec, "C12", "cpu"), CI)
