"""What real third-party layers need from a spec (issue 8): conventions the spec can state, and the
false alarms that are gone. Each correct fixture passes the clauses its convention touches; each
broken one fails with a message that names the cause."""

from __future__ import annotations

import importlib
import re
import textwrap
from dataclasses import replace

import pytest
import torch
from hypothesis import Phase, given
from hypothesis import settings as hypothesis_settings
from torch import nn

from conformance import adapters
from conformance.engine import Case, CheckSkipped, run_case
from conformance.failures import ConformanceFailure
from conformance.loader import load_layer
from conformance.parameter_views import gates_reordered, sliced, transposed
from conformance.profiles import profile
from conformance.report import Result, format_matrix
from conformance.spec import Features, LayerConfig, LayerSpec
from conformance.strategies import layer_configs

CI = profile("ci")
QUICK = hypothesis_settings(CI, max_examples=8)


def spec_of(module: str, attribute: str = "SPEC") -> LayerSpec:
    return getattr(importlib.import_module(f"fixtures.layers.{module}"), attribute)


def failure_of(spec: LayerSpec, clause_id: str, settings=QUICK) -> str:
    with pytest.raises(ConformanceFailure) as caught:
        run_case(Case(spec, clause_id, "cpu"), settings)
    return str(caught.value)


def skip_reason(spec: LayerSpec, clause_id: str) -> str:
    with pytest.raises(CheckSkipped) as caught:
        run_case(Case(spec, clause_id, "cpu"), QUICK)
    return str(caught.value)


# -- the spec's fields -----------------------------------------------------------------------------


def test_the_old_batch_first_feature_name_says_what_to_write() -> None:
    with pytest.raises(TypeError, match="batch_first_flag"):
        Features(batch_first=False)
    with pytest.raises(ValueError, match="batch_first_flag=False"):
        Features(layout="batch_first")  # a batch-first-only layer has no flag to take


def test_from_class_takes_the_specs_fields_and_rejects_an_unknown_keyword_at_once() -> None:
    def names(layer):
        return {name: name for name, _ in layer.named_parameters()}

    spec = LayerSpec.from_class(
        spec_of("batch_first_only_gru").layer_class,
        parameter_names=names,
        expected_failures={"C9": "why"},
    )
    assert spec.parameter_names is names and spec.expected_failures == {"C9": "why"}
    with pytest.raises(TypeError, match="parameter_name.*neither a LayerSpec field"):
        LayerSpec.from_class(spec_of("batch_first_only_gru").layer_class, parameter_name=names)


class ProjectedLSTM(nn.LSTM):
    """A custom class whose constructor names proj_size: it gets proj_size drawn, as nn.LSTM does."""

    def __init__(
        self,
        input_size,
        hidden_size,
        num_layers=1,
        bias=True,
        batch_first=False,
        dropout=0.0,
        bidirectional=True,
        proj_size=0,
    ) -> None:
        super().__init__(
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            proj_size,
        )


def test_a_custom_class_that_takes_proj_size_gets_it_drawn() -> None:
    assert LayerSpec.from_class(ProjectedLSTM, kind="lstm").features.proj_size
    assert not LayerSpec.from_class(spec_of("batch_first_only_gru").layer_class).features.proj_size


@hypothesis_settings(max_examples=30, deadline=None)
@given(data=__import__("hypothesis").strategies.data())
def test_the_strategies_respect_the_declared_minimum_sizes(data) -> None:
    spec = spec_of("layer_norm_bilstm")
    spec = replace(spec, features=spec.features.but(min_input_size=3))
    config = data.draw(layer_configs(spec))
    assert config.hidden_size >= 2 and config.input_size >= 3


def test_a_batch_first_only_layer_is_always_fed_batch_first() -> None:
    spec = spec_of("batch_first_only_gru")
    assert "batch_first" not in LayerConfig(2, 3).constructor_kwargs(spec.features)
    run_case(Case(spec, "C1", "cpu"), QUICK)
    assert "batch_first_flag" in skip_reason(spec, "C8")


# -- parameter maps beyond renaming ----------------------------------------------------------------


def test_views_read_and_write_the_torch_layout_inside_the_own_tensor() -> None:
    own = torch.arange(2 * 4 * 6.0).view(2, 4, 6)
    view = gates_reordered(transposed(sliced("w", 1)), (1, 0, 2))
    torch_layout = view.read(own)
    assert torch.equal(torch_layout[:2], own[1].t()[2:4]) and torch_layout.shape == (6, 4)
    written = torch.zeros_like(own)
    view.write(written, torch_layout)
    assert torch.equal(written[1], own[1]) and not written[0].any()


def test_the_direction_swap_goes_through_views_including_the_column_halves() -> None:
    spec = spec_of("packed_weights_bigru")
    layer = spec.factory(LayerConfig(2, 3, num_layers=2))
    before = {
        n: t.detach().clone() for n, t in adapters.torch_named_parameters(spec, layer).items()
    }
    adapters.swap_directions(spec, layer)
    after = adapters.torch_named_parameters(spec, layer)
    assert torch.equal(after["weight_hh_l0"], before["weight_hh_l0_reverse"])
    upper = before["weight_ih_l1"]
    assert torch.equal(
        after["weight_ih_l1_reverse"], torch.cat([upper[:, 3:], upper[:, :3]], dim=1)
    )


@pytest.mark.parametrize("clause_id", ["C4", "C11"])
def test_a_layer_mapped_through_views_passes_the_clauses_its_map_serves(clause_id: str) -> None:
    run_case(Case(spec_of("packed_weights_bigru"), clause_id, "cpu"), QUICK)


# -- states that are not torch's h_n ---------------------------------------------------------------


def test_a_cell_state_layer_skips_c3_and_passes_the_state_clauses() -> None:
    spec = spec_of("forget_mult_birnn")
    assert "state_is_output=False" in skip_reason(spec, "C3")
    for clause_id in ("C2", "C10"):
        run_case(Case(spec, clause_id, "cpu"), QUICK)


def test_a_cell_state_declared_as_the_output_fails_c3_with_a_hint_that_names_the_feature() -> None:
    spec = spec_of("forget_mult_birnn")
    message = failure_of(replace(spec, features=spec.features.but(state_is_output=True)), "C3")
    assert "Features(state_is_output=False)" in message


def test_an_output_only_layer_skips_the_state_clauses_and_passes_the_others() -> None:
    spec = spec_of("output_only_gru")
    for clause_id in ("C2", "C3", "C10"):
        assert "returns_state=False" in skip_reason(spec, clause_id)
    for clause_id in ("C1", "C11", "C16"):
        run_case(Case(spec, clause_id, "cpu"), QUICK)


@pytest.mark.parametrize("clause_id", ["C2", "C6", "C14"])
def test_a_layer_norm_lstm_with_an_h_c_state_and_a_minimum_size_passes(clause_id: str) -> None:
    run_case(Case(spec_of("layer_norm_bilstm"), clause_id, "cpu"), QUICK)


# -- false alarms that are gone --------------------------------------------------------------------


@pytest.mark.parametrize(
    "module, clause_id",
    [
        ("dead_relu_rnn", "C6"),  # a dead ReLU without a kind is not a cut gradient
        ("dead_relu_rnn", "C10"),  # nor an ignored h0
        ("relu_bias_birnn", "C6"),  # nor is a ReLU kink at a zero parameter
        ("relu_bias_birnn", "C12"),  # and gradcheck is not run on the kink
        ("float32_only_gru", "C14"),  # no float64 twin for a float32-only layer
        ("scripted_bigru", "C17"),  # a ScriptModule round-trips through torch.jit.save
        ("indrnn_like_birnn", "C10"),  # a ReLU unit off for both drawn h0 values still reads h0
    ],
)
def test_correct_layers_that_used_to_raise_false_alarms_pass(module: str, clause_id: str) -> None:
    run_case(Case(spec_of(module), clause_id, "cpu"), QUICK)


def test_pickling_is_a_feature_a_spec_can_decline() -> None:
    assert "Features(pickling=False)" in failure_of(spec_of("breaks_c17_holds_a_lambda"), "C17")
    run_case(Case(spec_of("breaks_c17_holds_a_lambda", "DECLINED"), "C17", "cpu"), QUICK)


# -- messages --------------------------------------------------------------------------------------


def test_bias_parameters_of_a_layer_built_with_bias_false_are_reported() -> None:
    message = failure_of(spec_of("breaks_c6_bias_kept_when_off"), "C6")
    assert "bias=False, the layer still has bias parameters: gru.bias_ih_l0" in message


def test_a_batch_first_flag_that_the_constructor_ignores_gets_a_hint_about_the_declaration() -> (
    None
):
    message = failure_of(spec_of("breaks_c8_batch_first_flag_ignored"), "C8")
    hint = message.split("hint:")[1].splitlines()[0]
    assert "Features(batch_first_flag=False, layout='batch_first')" in hint


def test_an_ignored_h0_is_not_called_broadcast() -> None:
    message = failure_of(spec_of("breaks_c10_h0_ignored"), "C10")
    assert "seems not to use h0 at all" in message and "broadcast h0" not in message


def test_an_adapter_that_accepts_a_malformed_h0_is_named_in_the_hint() -> None:
    def expanding_call(layer, x, state):  # makes a (1, B, H) h0 valid: the layer looks lenient
        return layer(x, None if state is None else state.expand(2, *state.shape[1:]).contiguous())

    spec = LayerSpec.from_class(nn.GRU, call=expanding_call, features=Features(max_layers=1))
    assert "the spec has a `call` hook" in failure_of(spec, "C10")


def test_a_shared_h0_row_gets_a_c11_hint() -> None:
    message = failure_of(spec_of("breaks_c10_h0_shared_by_directions"), "C11")
    assert "used for both directions" in message


def test_an_exception_in_the_adapter_is_the_adapters_and_one_cause_is_said_once() -> None:
    spec = spec_of("faulty_adapter_raises")
    message = failure_of(spec, "C1")
    assert "`call` hook (the spec's adapter, not the layer) raised TypeError" in message
    assert "while calling the layer for C1" in message
    results = [
        Result(spec.name, c, "cpu", "failed", failure_of(spec, c)) for c in ("C1", "C4", "C7")
    ]
    assert "all 3 failures have one cause" in format_matrix(results)
    results[2] = Result(spec.name, "C7", "cpu", "failed", "C7: something else raised KeyError: 'x'")
    assert "one cause" not in format_matrix(results)


def test_a_spec_named_on_the_command_line_carries_that_name(tmp_path) -> None:
    (tmp_path / "unnamed_spec_module.py").write_text(
        "from torch import nn\nfrom conformance.spec import LayerSpec\n"
        "SPEC = LayerSpec(name='Unnamed', factory=lambda c: nn.GRU(**c.torch_kwargs()))\n"
    )
    assert (
        load_layer("unnamed_spec_module:SPEC", search_paths=[tmp_path]).origin
        == "unnamed_spec_module:SPEC"
    )


def _snippet(message: str) -> str:
    """The snippet's lines: indented under its header (hypothesis may append notes after it)."""
    tail = message.split("reproduce without the plugin:\n", 1)[1].splitlines()
    return textwrap.dedent(
        "\n".join(line for line in tail if line.startswith("    ") or not line.strip())
    )


def test_the_snippet_goes_through_the_specs_factory_and_call_hook() -> None:
    message = failure_of(spec_of("faulty_adapter_raises"), "C1")
    snippet = _snippet(message)
    assert "SPEC.factory(LayerConfig(" in snippet and "SPEC.call(layer, x, None)" in snippet
    with pytest.raises(TypeError, match="tuple indices"):  # it reproduces: the hook raises
        exec(compile(snippet, "<snippet>", "exec"), {})


def test_the_snippet_replays_h0_c0_and_the_packed_run_of_the_check() -> None:
    message = failure_of(spec_of("breaks_c9_states_ignore_lengths"), "C9")
    snippet = _snippet(message)
    namespace: dict = {}
    exec(compile(snippet, "<snippet>", "exec"), namespace)
    assert "pack_padded_sequence(x, torch.tensor(" in snippet
    assert isinstance(namespace["packed_output"], torch.nn.utils.rnn.PackedSequence)


def test_a_layer_that_takes_sorted_packed_input_only_declares_it() -> None:
    spec = spec_of("sorted_packed_gru")
    for clause_id in ("C3", "C9"):
        run_case(Case(spec, clause_id, "cpu"), QUICK)
    unsorted = replace(spec, features=spec.features.but(packed=True))
    assert "must be sorted" in failure_of(unsorted, "C9")


def test_an_exception_from_the_layers_backward_pass_is_the_layers() -> None:
    message = failure_of(spec_of("faulty_backward_raises"), "C6")
    assert "the layer's backward pass raised RuntimeError: backward of the fused kernel" in message
    assert "could not go on" not in message
    with pytest.raises(
        RuntimeError, match="backward of the fused kernel"
    ):  # the snippet replays it
        exec(compile(_snippet(message), "<snippet>", "exec"), {})


def test_a_failure_without_a_nameable_spec_says_why_there_is_no_snippet() -> None:
    spec = LayerSpec(
        name="Inline",
        factory=lambda config: spec_of("breaks_c10_h0_ignored").layer_class(
            **config.torch_kwargs()
        ),
        features=Features(max_layers=1),
    )
    assert "no repro snippet" in failure_of(spec, "C10")


def test_c6_checks_each_directions_slice_of_a_tensor_that_holds_both() -> None:
    message = failure_of(spec_of("breaks_c6_backward_slice_detached"), "C6")
    assert re.search(
        r"weight_hh_l(\d)_reverse = weight_hh_\1\[1\].* \(layer \1, backward direction\)", message
    )


def test_a_parameter_map_that_names_a_missing_parameter_is_the_adapters_error() -> None:
    def names(layer):  # names a bias that a layer built with bias=False does not have
        return {name: name for name in ("weight_ih_l0", "weight_ih_l0_reverse", "bias_ih_l0")}

    spec = LayerSpec.from_class(nn.GRU, parameter_names=names, features=Features(max_layers=1))
    message = failure_of(spec, "C11")
    assert "`parameter_names` hook (the spec's adapter) maps bias_ih_l0 to 'bias_ih_l0'" in message


def test_h0_and_c0_paired_per_tensor_are_named_as_such() -> None:
    message = failure_of(spec_of("breaks_c10_h_and_c_paired"), "C10")
    assert "pairs the state per tensor, not per direction" in message


def test_a_direction_asymmetric_input_path_is_declared_with_swap_input() -> None:
    spec = spec_of("highway_birnn")
    run_case(Case(spec, "C4", "cpu"), QUICK)
    with_identity_skip = replace(spec, features=spec.features.but(min_input_size=2))
    assert "C4" in failure_of(replace(with_identity_skip, swap_input=None), "C4")


def test_a_state_flattened_per_batch_element_is_not_called_num_layers_first() -> None:
    message = failure_of(spec_of("breaks_c2_state_flattened"), "C2")
    hint = message.split("hint:")[1].splitlines()[0]
    assert "(B, 2L*H)" in hint and "num_layers" not in hint


@pytest.mark.parametrize("clause_id", ["C14", "C15"])
def test_precision_tolerances_widen_by_the_conditioning_measured(monkeypatch, clause_id) -> None:
    from conformance.checks import devices

    spec = spec_of("steep_output_gru")
    run_case(Case(spec, clause_id, "cpu"), CI)
    monkeypatch.setattr(devices.Conditioning, "factor", lambda *args, **kwargs: 1.0)
    assert "float32" in failure_of(spec, clause_id, CI)


def test_snippets_of_relational_clauses_write_out_the_calls_compared() -> None:
    rejected = _snippet(failure_of(spec_of("breaks_c16_broadcast_h0"), "C16"))
    assert "expected an exception, the layer returned" in rejected
    namespace: dict = {}
    exec(compile(rejected, "<snippet>", "exec"), namespace)  # returns: the defect shows
    assert "result_1" in namespace
    changed = _snippet(failure_of(spec_of("breaks_c10_h_and_c_paired"), "C10"))
    namespace = {}
    exec(compile(changed, "<snippet>", "exec"), namespace)
    assert not torch.equal(namespace["result_1"][0], namespace["result_2"][0])

    random_in_eval = _snippet(failure_of(spec_of("breaks_c13_noise_in_eval"), "C13"))
    namespace = {}
    exec(compile(random_in_eval, "<snippet>", "exec"), namespace)
    assert "layer.eval()" in random_in_eval
    assert not torch.equal(namespace["result_1"][0], namespace["result_2"][0])
    unreversed = _snippet(failure_of(spec_of("breaks_c4_backward_not_reversed"), "C4"))
    namespace = {}
    exec(compile(unreversed, "<snippet>", "exec"), namespace)
    output, back = namespace["result_1"][0], namespace["result_2"][0].flip(0)
    half = output.shape[-1] // 2
    assert not torch.allclose(output, torch.cat([back[..., half:], back[..., :half]], dim=-1))


def test_a_backward_failure_that_needs_earlier_examples_replays_them_in_its_snippet() -> None:
    """TorchScript's autodiff can fail only after earlier calls at another size (FINDINGS 8): the
    failing example alone passes in a fresh process, so the snippet replays the earlier ones."""
    from conformance.engine import CLAUSES_RUN, DIFFERENTIATED

    fixture = importlib.import_module("fixtures.layers.faulty_backward_after_another_size")
    fixture.forget_specialisation()
    DIFFERENTIATED.pop(fixture.SPEC.name, None)
    CLAUSES_RUN.pop(fixture.SPEC.name, None)
    unshrunk = hypothesis_settings(QUICK, phases=[Phase.explicit, Phase.generate])  # fast
    message = failure_of(fixture.SPEC, "C12", unshrunk)
    assert "the layer's backward pass raised RuntimeError: backward specialised" in message
    snippet = _snippet(message)
    assert "gradcheck(layer, x, " in snippet and "\nreplay(" in snippet

    fixture.forget_specialisation()  # as in a fresh process
    with pytest.raises(RuntimeError, match="backward specialised on shape"):
        exec(compile(snippet, "<snippet>", "exec"), {})
    fixture.forget_specialisation()
    alone = "\n".join(line for line in snippet.splitlines() if not line.startswith("replay("))
    exec(compile(alone, "<snippet>", "exec"), {})  # the failing example alone passes
    assert "check_layer(" not in snippet  # no other clause ran on this layer before


def test_a_backward_failure_after_other_clauses_names_the_call_that_replays_them(
    monkeypatch,
) -> None:
    from conformance.engine import CLAUSES_RUN, DIFFERENTIATED

    fixture = importlib.import_module("fixtures.layers.faulty_backward_after_another_size")
    fixture.forget_specialisation()
    DIFFERENTIATED.pop(fixture.SPEC.name, None)
    monkeypatch.setitem(CLAUSES_RUN, fixture.SPEC.name, ["C1", "C6"])  # as if they had run
    unshrunk = hypothesis_settings(QUICK, phases=[Phase.explicit, Phase.generate])
    snippet = _snippet(failure_of(fixture.SPEC, "C12", unshrunk))
    assert "the calls that C1, C6 made to" in snippet
    assert "check_layer(SpecialisingGRU, devices=['cpu'], clauses=['C1', 'C6', 'C12']" in snippet
