"""C7, C8, C13, C16, C17, C18: torch's modules and the correct custom layers pass; each broken
fixture fails its clause with a message that says what differed, where, and why."""

from __future__ import annotations

import importlib

import pytest
from hypothesis import settings

from conformance.engine import Case, run_case
from conformance.failures import ConformanceFailure
from conformance.profiles import profile
from conformance.spec import LayerSpec
from fixtures.layers.custom_specs import DICT_BILSTM, EQUATIONS_BIGRU

CLAUSES = ["C7", "C8", "C13", "C16", "C17", "C18"]

# python-loop layers are slow: fewer examples, enough to exercise their adapter hooks
CUSTOM_LAYERS = [EQUATIONS_BIGRU, DICT_BILSTM]
FEW_EXAMPLES = settings(profile("ci"), max_examples=5)


@pytest.mark.parametrize("clause_id", CLAUSES)
@pytest.mark.parametrize("spec", CUSTOM_LAYERS, ids=lambda spec: spec.name)
def test_correct_custom_layers_pass(spec: LayerSpec, clause_id: str) -> None:
    if clause_id == "C8" and not spec.features.batch_first_flag:
        pytest.skip(f"{spec.name} is batch-first only: C8 does not apply")
    run_case(Case(spec, clause_id, "cpu"), FEW_EXAMPLES)


# (fixture module, clause, fragments the message must contain)
BROKEN = [
    ("breaks_c7_batch_context", "C7", [
        "C7-batch-independence", "output of the batch", "batch element", "differ from their own runs",
    ]),
    ("breaks_c8_view_instead_of_transpose", "C8", [
        "C8-batch-first", "batch_first output", "step", "transpose(0, 1), never view or reshape",
    ]),
    ("breaks_c8_batch_first_states", "C8", ["C8-batch-first", "h_n", "laid out batch-first"]),
    ("breaks_c13_dropout_in_eval", "C13", [
        "C13-determinism", "eval-mode", "still acts in eval mode",
    ]),
    ("breaks_c13_dropout_ignored", "C13", [
        "C13-determinism", "train mode with dropout=0.5", "never applied",
    ]),
    ("breaks_c13_random_initial_state", "C13", [
        "C13-determinism", "differs by up to", "the default initial state is random",
    ]),
    ("breaks_c13_noise_in_eval", "C13", [
        "C13-determinism", "second eval-mode run", "noise) still acts in eval mode",
    ]),
    ("breaks_c16_pads_features", "C16", [
        "C16-input-validation", "accepted an input with", "features for input_size=",
        "instead of raising", "check x.size(-1) == input_size",
    ]),
    ("breaks_c16_broadcast_h0", "C16", [
        "C16-input-validation", "accepted an initial state of batch 1", "must not be broadcast",
    ]),
    ("breaks_c17_unsaved_buffer", "C17", [
        "C17-state-round-trip", "fresh instance after load_state_dict", "persistent=False",
    ]),
    ("breaks_c17_stale_weight_cache", "C17", [
        "C17-state-round-trip", "fresh instance after load_state_dict", "cached and not refreshed",
    ]),
    ("breaks_c18_assumes_contiguous", "C18", [
        "C18-memory-layout", "strided slice", "reads memory as if it were contiguous",
    ]),
]


@pytest.mark.parametrize(
    ("module", "clause_id", "fragments"), BROKEN, ids=[f"{m}-{c}" for m, c, _ in BROKEN]
)
def test_broken_fixture_fails_its_clause(module: str, clause_id: str, fragments: list[str]) -> None:
    spec = importlib.import_module(f"fixtures.layers.{module}").SPEC
    with pytest.raises(ConformanceFailure) as failure:
        run_case(Case(spec, clause_id, "cpu"), profile("ci"))
    message = str(failure.value)
    assert failure.value.clause_id == clause_id
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} missing from:\n{message}"
    assert "reproduce without the plugin" in message


@pytest.mark.parametrize(
    ("module", "clause_id"),
    [(m, c) for m, c, _ in BROKEN if c in ("C16", "C17", "C18")],
)
def test_layers_broken_elsewhere_pass_the_other_clauses_here(module: str, clause_id: str) -> None:
    """The validation, round-trip and layout fixtures compute torch's results on valid calls."""
    spec = importlib.import_module(f"fixtures.layers.{module}").SPEC
    for other in ("C7", "C8", "C13"):
        run_case(Case(spec, other, "cpu"), FEW_EXAMPLES)
