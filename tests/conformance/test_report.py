"""``check_layer``: the suite without pytest, as a notebook or a script uses it."""

from __future__ import annotations

import pytest
from hypothesis import Phase, assume, settings
from torch import nn

from conformance import LayerSpec, check_layer
from conformance.checks import CHECKS, Check
from conformance.options import Choice
from conformance.report import Report, Result, format_matrix
from conformance.running import settings_for
from conformance.summary import header_lines
from fixtures.layers.faulty_nan import NaNBiGRU
from fixtures.layers.layer_norm_bilstm import SPEC as LAYER_NORM_SPEC


def by_cell(report: Report) -> dict[tuple[str, str], Result]:
    return {(result.clause, result.device): result for result in report}


def test_a_correct_layer_passes_and_absent_devices_skip_with_a_reason() -> None:
    report = check_layer(nn.GRU, clauses=["C1", "C2"], devices=["cpu", "cuda"])
    assert [(r.layer, r.clause, r.device) for r in report] == [
        ("GRU", "C1", "cpu"),
        ("GRU", "C1", "cuda"),
        ("GRU", "C2", "cpu"),
        ("GRU", "C2", "cuda"),
    ]
    cells = by_cell(report)
    assert cells["C1", "cpu"].status == "passed" and cells["C1", "cpu"].seconds > 0
    cuda = cells["C1", "cuda"]
    if cuda.status == "skipped":  # most machines: no GPU
        assert "CUDA is not available" in cuda.message
    assert report.ok
    assert cells["C1", "cpu"].id == "GRU-C1-output-shape-cpu"


def test_a_broken_layer_fails_with_the_clause_message() -> None:
    report = check_layer(NaNBiGRU, clauses=["C1"], devices=["cpu"])
    (result,) = report
    assert result.status == "failed"
    assert result.message.startswith("C1-output-shape: ")
    assert "NaNBiGRU returned non-finite values" in result.message
    assert "reproduce without the plugin" in result.message
    assert not report.ok and report.failures() == [result]


def test_declared_expected_failures_are_strict() -> None:
    known = LayerSpec.from_class(
        NaNBiGRU, name="KnownNaN", expected_failures={"C1": "NaN by design"}
    )
    (result,) = check_layer(known, clauses=["C1"], devices=["cpu"])
    assert result.status == "xfailed" and "NaN by design" in result.message
    wrong = LayerSpec.from_class(nn.GRU, name="Wrong", expected_failures={"C1": "by mistake"})
    report = check_layer(wrong, clauses=["C1"], devices=["cpu"])
    assert report[0].status == "xpassed" and not report.ok


def test_a_module_attr_string_and_a_kind_are_accepted() -> None:
    report = check_layer("torch.nn:RNN", kind="rnn_relu", clauses=["C2"], devices=["cpu"])
    assert [(r.layer, r.status) for r in report] == [("RNN-relu", "passed")]


def test_a_check_that_cannot_run_is_an_error_not_a_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    def unsatisfiable_check(trial) -> None:
        assume(False)  # a check whose every draw is rejected: hypothesis gives up

    monkeypatch.setitem(CHECKS, "C1", Check("C1", unsatisfiable_check))
    (result,) = check_layer(nn.GRU, clauses=["C1"], devices=["cpu"])
    assert result.status == "error"
    assert result.message.startswith("C1-output-shape: the check raised Unsatisfiable: ")


def test_a_typo_in_the_profile_fails_before_anything_runs() -> None:
    with pytest.raises(ValueError, match="unknown profile 'fast'"):
        check_layer(nn.GRU, profile="fast")


def test_the_report_prints_as_the_matrix_then_the_failures() -> None:
    report = Report(
        [
            Result("MyGRU", "C1", "cpu", "passed"),
            Result("MyGRU", "C1", "cuda", "skipped", "CUDA is not available"),
            Result("MyGRU", "C4", "cpu", "failed", "C4-reversal-equivariance: the halves differ"),
            Result("MyGRU", "C4", "cuda", "skipped", "CUDA is not available"),
        ]
    )
    assert str(report).splitlines() == [
        "MyGRU",
        "  clause                    cpu       cuda",
        "  C1-output-shape           passed    skipped",
        "  C4-reversal-equivariance  FAILED    skipped",
        "  1 passed, 1 failed, 2 skipped",
        "  skipped (C1/cuda, C4/cuda): CUDA is not available",
        "",
        "FAILED MyGRU-C4-reversal-equivariance-cpu",
        "C4-reversal-equivariance: the halves differ",
    ]
    assert format_matrix(report, origins={"MyGRU": "mine:MyGRU"}).startswith("MyGRU (mine:MyGRU)\n")


@pytest.mark.parametrize("name", ["dev", "ci", "thorough", "hypothesis:with-explain"])
def test_no_profile_runs_hypothesis_explain_phase(name: str) -> None:
    # its "Explanation: ... always and only run by failing test cases" lists our checks' lines
    settings.register_profile("with-explain", phases=list(Phase))
    chosen = settings_for(name)
    assert Phase.explain not in chosen.phases
    assert Phase.shrink in chosen.phases and Phase.generate in chosen.phases


@pytest.mark.parametrize(
    ("spec", "described"),
    [
        (LayerSpec.from_class(nn.GRU), "kind gru"),
        (LAYER_NORM_SPEC, "kind none declared: C11 skipped, (h, c) state"),
        (LayerSpec(name="Plain", factory=nn.GRU), "kind none declared: C11 skipped, no cell state"),
    ],
)
def test_the_header_describes_each_layers_kind_and_state(spec: LayerSpec, described: str) -> None:
    choice = Choice(references=[], kind=None, devices=["cpu"], clauses=None, profile="ci")
    choice.specs.append(spec)
    (line,) = [line for line in header_lines(choice) if line.startswith(f"  layer {spec.name}:")]
    assert line.endswith(f"({described})")
