"""The model-level checks M1-M3 (issue 11): what each wrong model of fixtures/models fails, that
the correct ones pass, how birnn-lint's findings line up with them, and what a failure says."""

from __future__ import annotations

import contextlib
import importlib
import io
import re
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from hypothesis import Phase, settings

from conformance import ModelSpec, check_model, feature_vectors, padded_batch, token_ids
from conformance.models.batching import ResultError, per_sequence
from conformance.profiles import PROFILES
from lint_rules.engine import lint_text

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "fixtures" / "models"

# Few derandomized examples: the wrong models fail on the simplest example, and the precision test
# below runs the correct ones with the full ci profile.
settings.register_profile("birnn-model-tests", settings(PROFILES["ci"], max_examples=6))
FEW = "hypothesis:birnn-model-tests"
# Which clauses fail, not how the failure shrinks (the message tests below shrink).
settings.register_profile(
    "birnn-model-outcomes",
    settings(PROFILES["ci"], max_examples=6, phases=[Phase.explicit, Phase.reuse, Phase.generate]),
)
OUTCOMES = "hypothesis:birnn-model-outcomes"

# fixture module -> (the model clauses it fails, the birnn-lint codes it gets)
CROSS_VALIDATION = {
    # BRN004 and BRN005: the model check confirms the linter's finding.
    "brn004_wrong_last_step_summary": ({"M1"}, {"BRN004"}),
    "brn004_right_pooled_valid_steps": (set(), set()),
    "brn005_wrong_tagger_without_packing": ({"M1"}, {"BRN005"}),
    "brn005_right_packed_tagger": (set(), set()),
    # BRN003 and BRN006: a wrong summary that is still a function of each sequence alone, so no
    # model clause can confirm them.
    "brn003_wrong_last_row_summary": (set(), {"BRN003"}),
    "brn003_right_cat_last_two_rows": (set(), set()),
    "brn006_wrong_view_directions_first": (set(), {"BRN006"}),
    "brn006_right_view_layers_first": (set(), set()),
    # BRN006's batch-major view of the state mixes batch elements: M2 confirms it (M1 breaks too).
    "brn006_wrong_state_viewed_batch_major": ({"M1", "M2"}, {"BRN006"}),
    "brn006_right_state_transposed_before_view": (set(), set()),
    # What the linter does not see (the first is the fix BRN004's message suggests).
    "breaks_m1_halves_at_padded_ends": ({"M1"}, set()),
    "breaks_m3_dropout_in_eval": ({"M1", "M2", "M3"}, set()),
    "correct_batchnorm_classifier": (set(), set()),
    "correct_masked_max_pooling_float32": (set(), set()),
}


def spec_of(module: str) -> ModelSpec:
    return importlib.import_module(f"fixtures.models.{module}").SPEC


def test_every_model_fixture_is_cross_validated() -> None:
    on_disk = {path.stem for path in MODELS.glob("*.py")} - {"__init__"}
    assert on_disk == set(CROSS_VALIDATION)


@pytest.mark.parametrize("module", sorted(CROSS_VALIDATION))
def test_model_fails_exactly_its_clauses(module: str) -> None:
    failing, _ = CROSS_VALIDATION[module]
    report = check_model(spec_of(module), devices=["cpu"], profile=OUTCOMES)
    statuses = {result.clause: result.status for result in report}
    assert set(statuses) == {"M1", "M2", "M3"}
    assert {clause for clause, status in statuses.items() if status == "failed"} == failing, report
    assert {clause for clause, status in statuses.items() if status == "passed"} == {
        "M1",
        "M2",
        "M3",
    } - failing


@pytest.mark.parametrize("module", sorted(CROSS_VALIDATION))
def test_linter_finds_exactly_the_wrong_twins(module: str) -> None:
    _, codes = CROSS_VALIDATION[module]
    source = (MODELS / f"{module}.py").read_text(encoding="utf-8")
    assert {finding.code for finding in lint_text(source, display=f"{module}.py")} == codes


def test_a_correct_float32_model_passes_every_clause_with_the_ci_profile() -> None:
    """float32 with its own tolerance (rtol 1e-4, atol 1e-5; the float64 models above use 1e-7,
    1e-9); CUDA is collected everywhere and skipped, with the reason, where it is absent."""
    report = check_model(
        spec_of("correct_masked_max_pooling_float32"), devices=["cpu", "cuda"], profile="ci"
    )
    assert report.ok, report
    cpu = {result.clause: result.status for result in report if result.device == "cpu"}
    assert cpu == {"M1": "passed", "M2": "passed", "M3": "passed"}
    cuda = [result for result in report if result.device == "cuda"]
    assert len(cuda) == 3
    if not torch.cuda.is_available():
        assert all(
            result.status == "skipped" and "CUDA is not available" in result.message
            for result in cuda
        )


def test_a_failure_names_the_clause_the_place_the_mode_and_replays() -> None:
    report = check_model(
        spec_of("brn004_wrong_last_step_summary"), devices=["cpu"], clauses=["M1"], profile=FEW
    )
    (result,) = report
    assert result.id == "LastStepClassifier-M1-padding-invariance-cpu"
    message = result.message
    lines = message.splitlines()
    assert lines[0] == (
        "M1-padding-invariance: a sequence's result is the same alone and inside a batch padded to "
        "a longer length"
    )
    assert re.match(
        r"  the logits result of a sequence of 1 step\(s\) in a batch padded to 2 .* differs by up to "
        r"\S+ \(rtol=1e-07, atol=1e-09\); largest at logit \d: got \S+, expected \S+$",
        lines[1],
    ), lines[1]
    assert "hint: the result changes when the sequence is padded" in message and "BRN004" in message
    assert "model LastStepClassifier in eval mode on cpu, float64: seed=" in message
    snippet = message.split("reproduce without the plugin:\n", 1)[1]
    snippet = textwrap.dedent(
        "\n".join(line for line in snippet.splitlines() if line.startswith("    "))
    )
    printed = io.StringIO()
    namespace: dict = {}
    with contextlib.redirect_stdout(printed):
        exec(compile(snippet, "<repro>", "exec"), namespace)
    compared = re.search(r"print\((results\[\d\]\[\d\]), (results\[\d\]\[\d\])", snippet).groups()
    actual, expected = (eval(expression, namespace) for expression in compared)
    assert not torch.allclose(actual, expected), "the snippet does not reproduce the difference"


def test_a_random_model_fails_m1_and_m2_with_a_hint_at_m3() -> None:
    report = check_model(
        spec_of("breaks_m3_dropout_in_eval"), devices=["cpu"], clauses=["M1", "M2"], profile=FEW
    )
    for result in report:
        assert (
            "hint: the model gives a different result for the same batch twice in eval mode (see M3)"
            in result.message
        )


def test_a_batch_mixing_model_fails_m1_with_a_hint_at_m2() -> None:
    report = check_model(
        spec_of("brn006_wrong_state_viewed_batch_major"),
        devices=["cpu"],
        clauses=["M1"],
        profile=FEW,
    )
    assert (
        "beside a copy of itself where nothing is padded: the model mixes batch elements (see M2)"
        in report[0].message
    )


def test_expected_failures_are_strict() -> None:
    wrong = replace(
        spec_of("brn004_wrong_last_step_summary"),
        expected_failures={"M1": "reads the last padded step"},
    )
    right = replace(
        spec_of("brn004_right_pooled_valid_steps"), expected_failures={"M1": "thought broken"}
    )
    (xfailed,) = check_model(wrong, devices=["cpu"], clauses=["M1"], profile=FEW)
    assert (
        xfailed.status == "xfailed"
        and "expected failure (reads the last padded step)" in xfailed.message
    )
    report = check_model(right, devices=["cpu"], clauses=["M1"], profile=FEW)
    assert report[0].status == "xpassed" and not report.ok


def test_m1_is_skipped_when_nothing_can_be_padded() -> None:
    spec = replace(spec_of("brn004_right_pooled_valid_steps"), min_length=1, max_length=1)
    (result,) = check_model(spec, devices=["cpu"], clauses=["M1"], profile=FEW)
    assert result.status == "skipped" and "max_length 1" in result.message


def test_a_model_reference_is_loaded_with_its_origin() -> None:
    report = check_model(
        "fixtures.models.brn003_right_cat_last_two_rows:SPEC",
        devices=["cpu"],
        clauses=["M3"],
        profile=FEW,
    )
    assert [result.status for result in report] == ["passed"]


def test_layer_clauses_select_no_model_case() -> None:
    assert (
        list(
            check_model(
                spec_of("brn003_right_cat_last_two_rows"),
                devices=["cpu"],
                clauses=["C4"],
                profile=FEW,
            )
        )
        == []
    )


# --- the spec and its helpers -----------------------------------------------------------------


def test_spec_rejects_what_cannot_be_checked() -> None:
    with pytest.raises(ValueError, match="test id"):
        ModelSpec(name="my model", factory=torch.nn.Identity, items=token_ids(5))
    with pytest.raises(ValueError, match="min_length"):
        ModelSpec(
            name="m", factory=torch.nn.Identity, items=token_ids(5), min_length=3, max_length=2
        )
    with pytest.raises(ValueError, match="model clauses are M1, M2, M3"):
        ModelSpec(
            name="m", factory=torch.nn.Identity, items=token_ids(5), expected_failures={"C4": "no"}
        )
    with pytest.raises(ValueError, match="result"):
        ModelSpec(name="m", factory=torch.nn.Identity, items=feature_vectors(2), result="hidden")
    with pytest.raises(ValueError, match="no id to draw"):
        token_ids(1)


def test_results_are_split_per_sequence_and_cut_to_their_own_steps() -> None:
    sequences = [torch.zeros(2, 3), torch.zeros(4, 3)]
    per_step = per_sequence(torch.arange(8.0).view(2, 4, 1), sequences, "per_step")
    assert [tuple(result.shape) for result in per_step] == [(2, 1), (4, 1)]
    with pytest.raises(ResultError, match="3 results for 2 sequence"):
        per_sequence([torch.zeros(1)] * 3, sequences, "summary")
    with pytest.raises(ResultError, match="expected the batch first"):
        per_sequence(torch.zeros(3, 5), sequences, "summary")
    with pytest.raises(ResultError, match="run returned dict"):
        per_sequence({"logits": torch.zeros(2, 5)}, sequences, "summary")


def test_a_run_that_returns_the_wrong_count_fails_with_that_message() -> None:
    spec = ModelSpec(
        name="OneResultTooMany",
        factory=lambda: torch.nn.Embedding(5, 2),
        items=token_ids(5),
        run=lambda model, sequences: (
            [model(sequence).sum(0) for sequence in sequences * 2][:-1] or []
        ),
    )
    (result,) = check_model(spec, devices=["cpu"], clauses=["M3"], profile=FEW)
    assert result.status == "failed", result
    assert re.search(
        r"OneResultTooMany's run on a batch of \d .*: run returned \d+ results for \d sequence",
        result.message,
    )


def test_padded_batch_calls_the_model_as_a_collate_function_would() -> None:
    seen = {}

    def model(padded, lengths):
        seen.update(padded=padded, lengths=lengths)
        return padded.sum(1)

    padded_batch(padding_value=9)(model, [torch.tensor([1, 2]), torch.tensor([3])])
    assert seen["padded"].tolist() == [[1, 2], [3, 9]] and seen["lengths"].tolist() == [2, 1]


@pytest.mark.parametrize("clause_id", ["M1", "M2", "M3"])
def test_the_specification_states_each_model_clause(clause_id: str) -> None:
    from conformance.clauses import MODEL_CLAUSES

    document = (ROOT / "docs" / "SPECIFICATION.md").read_text(encoding="utf-8")
    assert f"### {clause_id} {MODEL_CLAUSES[clause_id].slug}" in document


def test_a_model_that_hangs_fails_after_one_call_limit() -> None:
    def forever(model, sequences):
        while True:
            pass

    spec = ModelSpec(
        name="Hangs", factory=lambda: torch.nn.Embedding(5, 2), items=token_ids(5), run=forever
    )
    (result,) = check_model(spec, devices=["cpu"], clauses=["M3"], profile=FEW, timeout=0.3)
    assert result.status == "failed", result
    assert (
        "Hangs's run on a batch of 1 (lengths [1]; call 1) did not return within 0.3 s"
        in result.message
    )
    assert "reproduce without the plugin:" in result.message and result.seconds < 5
