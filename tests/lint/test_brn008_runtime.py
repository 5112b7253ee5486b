"""BRN008's premise, checked with torch itself: each wrong model file really hands its RNN a
non-contiguous initial state (what cuDNN rejects on GPU), and each right one a contiguous one."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "lint"


def load(name: str):
    spec = importlib.util.spec_from_file_location(name, FIXTURES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def tokens(*shape: int):
    return torch.randint(0, 50, shape)


def awd_lstm(module) -> None:
    model = module.AWDLSTMEncoder(50, 8, 6)
    model(tokens(4, 5))
    model(tokens(2, 5))  # the smaller last batch of an epoch


def bridge(module) -> None:
    module.BridgedSeq2Seq(50, 8, 6)(tokens(3, 5), tokens(3, 4))


def learned_state(module) -> None:
    module.TaggerWithLearnedState(4, 6, 3)(torch.randn(5, 3, 4))


def beam_search(module) -> None:
    decoder = module.BeamDecoder(50, 8, 6)
    hidden = torch.randn(4, 3, 6)
    decoder.step(tokens(3), hidden, torch.tensor([2, 0, 0]))
    decoder.rescore(tokens(5, 3), hidden, torch.tensor([2, 0, 1]))


RUNS = {
    "brn008_wrong_awd_lstm_smaller_last_batch": awd_lstm,
    "brn008_wrong_bridge_state_permuted": bridge,
    "brn008_wrong_learned_h0_expand": learned_state,
    "brn008_right_awd_lstm_contiguous": awd_lstm,
    "brn008_right_beam_search_reorder": beam_search,
    "brn008_right_learned_h0_repeat": learned_state,
}


def test_every_brn008_model_file_is_run() -> None:
    assert sorted(RUNS) == sorted(path.stem for path in FIXTURES.glob("brn008_*.py"))


@pytest.mark.parametrize("name", sorted(RUNS))
def test_the_state_layout_is_what_the_rule_says(name: str) -> None:
    layouts: list[bool] = []

    def record(module, args):
        if isinstance(module, torch.nn.RNNBase) and len(args) > 1 and args[1] is not None:
            states = args[1] if isinstance(args[1], tuple) else (args[1],)
            layouts.append(all(state.is_contiguous() for state in states))

    handle = torch.nn.modules.module.register_module_forward_pre_hook(record)
    try:
        torch.manual_seed(0)
        RUNS[name](load(name))
    finally:
        handle.remove()
    assert layouts, "the model never passed an initial state"
    if "_wrong_" in name:
        assert not all(layouts)
    else:
        assert all(layouts)
