"""The model checks inside pytest: ``--birnn-model``, ``parametrize_with_checks`` with model specs,
their ids, failures and the conformance matrix (issue 11)."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

import pytest

import conformance.models.engine  # noqa: F401  (pytester's in-process runs drop modules they import)
import conformance.running  # noqa: F401
from conformance.checks import all_checks

all_checks()

REPOSITORY = Path(__file__).resolve().parents[2]
INSTALLED = any(
    entry.value == "conformance.plugin"
    for entry in importlib.metadata.entry_points(group="pytest11")
)
PLUGIN = [] if INSTALLED else ["-p", "conformance.plugin"]
QUIET = ["-p", "no:cacheprovider", "-p", "no:randomly"]
WRONG = "fixtures.models.brn004_wrong_last_step_summary:SPEC"
RIGHT = "fixtures.models.brn004_right_pooled_valid_steps:SPEC"


@pytest.fixture
def pytester(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.setenv("PYTHONPATH", str(REPOSITORY))
    monkeypatch.syspath_prepend(str(REPOSITORY))
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    return pytester


def test_birnn_model_runs_the_model_clauses_and_prints_the_matrix(
    pytester: pytest.Pytester,
) -> None:
    result = pytester.runpytest(
        *PLUGIN, *QUIET, "--birnn-model", WRONG, "--birnn-model", RIGHT,
        "--birnn-devices", "cpu", "--birnn-profile", "ci", "-v",
    )  # fmt: skip
    result.stdout.fnmatch_lines(
        [f"  model LastStepClassifier: {WRONG} (M1-M3 in eval mode, float64)"]
    )
    result.stdout.fnmatch_lines_random(
        [
            "birnn-conformance::LastStepClassifier-M1-padding-invariance-cpu FAILED*",
            "birnn-conformance::LastStepClassifier-M2-batch-independence-cpu PASSED*",
            "birnn-conformance::LastStepClassifier-M3-eval-determinism-cpu PASSED*",
            "birnn-conformance::MeanPooledClassifier-M1-padding-invariance-cpu PASSED*",
            "birnn-conformance::MeanPooledClassifier-M2-batch-independence-cpu PASSED*",
            "birnn-conformance::MeanPooledClassifier-M3-eval-determinism-cpu PASSED*",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "*_ LastStepClassifier-M1-padding-invariance-cpu _*",
            "M1-padding-invariance: a sequence's result is the same alone and inside a batch padded to a longer length",
            "  the logits result of a sequence of 1 step(s) in a batch padded to 2 *; largest at logit *",
            "  hint: the result changes when the sequence is padded: *",
            "  model LastStepClassifier in eval mode on cpu, float64: seed=*",
            "  reproduce without the plugin:",
            "    from fixtures.models.brn004_wrong_last_step_summary import SPEC",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            f"LastStepClassifier ({WRONG})",
            "  clause *cpu",
            "  M1-padding-invariance *FAILED",
            "  M2-batch-independence *passed",
        ]
    )
    assert "Traceback" not in result.stdout.str()
    result.assert_outcomes(passed=5, failed=1)


def test_model_clauses_select_and_layers_mix(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest(
        *PLUGIN, *QUIET, "--birnn-model", RIGHT, "--birnn-layer", "torch.nn:GRU",
        "--birnn-clauses", "M3,C1", "--birnn-devices", "cpu,cuda", "--co", "-q",
    )  # fmt: skip
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    result.stdout.fnmatch_lines_random(
        [
            "birnn-conformance::GRU-C1-output-shape-cpu",
            "birnn-conformance::GRU-C1-output-shape-cuda",
            "birnn-conformance::MeanPooledClassifier-M3-eval-determinism-cpu",
            "birnn-conformance::MeanPooledClassifier-M3-eval-determinism-cuda",
            "4 tests collected*",
        ]
    )


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        (
            "fixtures.models.brn004_right_pooled_valid_steps:TextClassifier",
            "*is a type, not a ModelSpec*",
        ),
        (
            "fixtures.models.brn004_right_pooled_valid_steps:NOPE",
            "*has no attribute 'NOPE'; its ModelSpec objects: SPEC",
        ),
        (
            "no_such_module:SPEC",
            "*--birnn-model 'no_such_module:SPEC'*No module named 'no_such_module'*",
        ),
    ],
)
def test_a_bad_model_reference_is_a_usage_error(
    pytester: pytest.Pytester, reference: str, message: str
) -> None:
    result = pytester.runpytest(*PLUGIN, *QUIET, "--birnn-model", reference, "--co")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {message}"])


def test_parametrize_with_checks_takes_model_specs_beside_layers(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_my_models="""
        from dataclasses import replace

        from torch import nn

        from conformance import parametrize_with_checks
        from fixtures.models import brn004_right_pooled_valid_steps as right
        from fixtures.models import brn004_wrong_last_step_summary as wrong

        KNOWN = replace(wrong.SPEC, name="KnownLastStep", expected_failures={"M1": "reads output[:, -1]"})

        @parametrize_with_checks(
            [nn.GRU, right.SPEC, wrong.SPEC, KNOWN], devices=["cpu"], clauses=["C1", "M1"], profile="ci"
        )
        def test_conformance(check):
            check()
        """
    )
    result = pytester.runpytest(*PLUGIN, *QUIET, "-v")
    result.stdout.fnmatch_lines_random(
        [
            "*test_conformance[[]GRU-C1-output-shape-cpu[]] PASSED*",
            "*test_conformance[[]MeanPooledClassifier-M1-padding-invariance-cpu[]] PASSED*",
            "*test_conformance[[]LastStepClassifier-M1-padding-invariance-cpu[]] FAILED*",
            "*test_conformance[[]KnownLastStep-M1-padding-invariance-cpu[]] XFAIL*",
        ]
    )
    result.stdout.fnmatch_lines(["M1-padding-invariance: a sequence's result is the same alone*"])
    result.assert_outcomes(passed=2, failed=1, xfailed=1)


def test_models_from_the_ini_file_join_a_plain_run(pytester: pytest.Pytester) -> None:
    pytester.makeini(f"[pytest]\nbirnn_models =\n    {RIGHT}\nbirnn_devices = cpu\n")
    result = pytester.runpytest(*PLUGIN, *QUIET, "--co", "-q")
    result.stdout.fnmatch_lines_random(
        [
            "birnn-conformance::MeanPooledClassifier-M1-padding-invariance-cpu",
            "birnn-conformance::MeanPooledClassifier-M2-batch-independence-cpu",
            "birnn-conformance::MeanPooledClassifier-M3-eval-determinism-cpu",
            "3 tests collected*",
        ]
    )
