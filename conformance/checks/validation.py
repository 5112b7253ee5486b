"""C16: invalid inputs are rejected.

This is the one family that calls the layer directly (``adapters.run_layer``) rather than through
``Trial.run``: here an exception is the right answer, and returning is the failure. What torch 2.13
does, and so what the clause asks (verified for RNN, GRU, LSTM, with and without proj_size and
batch_first): a wrong feature size, an h0 (or c0) whose batch differs from the input's, including a
batch of 1 that could be broadcast, an h0 of rank 2 or 4 for batched input (or 3 for unbatched), and
an empty sequence (T = 0, "Expected sequence length to be larger than 0") all raise; B = 0 returns
empty outputs and states of the right shapes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from conformance import adapters
from conformance.adapters import states_of
from conformance.checks import check
from conformance.failures import LayerContractError
from conformance.trial import Trial


@dataclass(frozen=True)
class InvalidCall:
    """An input the layer must refuse: what it is, the call's arguments, and the usual fix."""

    description: str
    x: torch.Tensor
    state: object
    hint: str


@check("C16")
def input_validation(trial: Trial) -> None:
    # B >= 2 so that an h0 of batch 1 differs from the input's batch (the broadcasting bug).
    example = trial.draw_example(min_batch=2)
    layer = trial.layer()
    x = trial.input()
    state = trial.initial_state() if trial.spec.features.initial_state else None
    # The valid call must work, so that the exceptions below are about the invalid inputs.
    trial.run(layer, x, state)
    for invalid in _invalid_calls(trial, x, state):
        _require_rejected(trial, layer, invalid)
    _require_empty_batch_handled(trial, layer, example)


def _invalid_calls(trial: Trial, x: torch.Tensor, state) -> list[InvalidCall]:
    config, spec = trial.config, trial.spec
    batch_first = config.batch_first
    size = config.input_size
    calls = []
    for features in sorted({size + 1, size - 1} - {0}):
        calls.append(InvalidCall(
            f"an input with {features} features for input_size={size}, shape {_shape(x, -1, features)}",
            _resized(trial, x, -1, features),
            state,
            "check x.size(-1) == input_size: a layer that pads, truncates or broadcasts the features "
            "silently hides a wiring mistake upstream",
        ))
    time_dim = 1 if batch_first else 0
    calls.append(InvalidCall(
        f"an empty sequence (T = 0), shape {_shape(x, time_dim, 0)}",
        _resized(trial, x, time_dim, 0),
        None,
        "an empty sequence has no last step and no final state; torch raises 'Expected sequence "
        "length to be larger than 0'",
    ))
    if state is None:
        return calls
    batch = x.shape[0 if batch_first else 1]
    for other in (batch + 1, 1):
        calls.append(InvalidCall(
            f"an initial state of batch {other} for an input of batch {batch} "
            f"(h0 {_shape(states_of(state)[0], 1, other)})",
            x,
            _map_state(state, lambda t, o=other: _resized(trial, t, 1, o)),
            "check h0.shape == (2L, B, H_out) exactly; an h0 of batch 1 must not be broadcast over "
            "the batch" if other == 1 else "check that h0's batch dimension equals the input's",
        ))
    if spec.has_cell_state:
        h0, c0 = state
        calls.append(InvalidCall(
            f"a c0 of batch {batch + 1} with an h0 of the right batch {batch}",
            x,
            (h0, _resized(trial, c0, 1, batch + 1)),
            "validate c0 as well as h0: both are (2L, B, ...)",
        ))
    calls.append(InvalidCall(
        "a 2-D initial state (no batch dimension) for a batched input",
        x,
        _map_state(state, lambda t: t[:, 0].contiguous()),
        "for a 3-D input h0 must be 3-D, (2L, B, H_out); a 2-D h0 belongs to unbatched input",
    ))
    calls.append(InvalidCall(
        "a 4-D initial state for a batched input",
        x,
        _map_state(state, lambda t: t.unsqueeze(0)),
        "for a 3-D input h0 must be 3-D, (2L, B, H_out)",
    ))
    if spec.features.unbatched:
        sequence = x[0] if batch_first else x[:, 0]
        calls.append(InvalidCall(
            "a 3-D initial state (batch of 1) for an unbatched (T, I) input",
            sequence.contiguous(),
            _map_state(state, lambda t: t[:, :1].contiguous()),
            "for unbatched (T, I) input h0 must be 2-D, (2L, H_out), as in torch",
        ))
    return calls


ADAPTER_MAY_VALIDATE = (
    "; note that the spec has a `call` hook: a hook that converts layouts (reshape, view, "
    "transpose of x or h0) can turn this invalid input into a valid one for the layer, which then "
    "looks lenient: validate the shapes in the hook before converting"
)


def _require_rejected(trial: Trial, layer, invalid: InvalidCall) -> None:
    __tracebackhide__ = True
    hint = invalid.hint + (ADAPTER_MAY_VALIDATE if trial.spec.call is not None else "")
    replay = (
        f"{invalid.description}: expected an exception, the layer returned",
        [("invalid", invalid.x, invalid.state)],
    )
    try:
        output, final = adapters.run_layer(trial.spec, layer, invalid.x, invalid.state)
    except adapters.AdapterError:
        return  # the spec's hook refused it: rejected before the layer saw it
    except LayerContractError as error:
        # it returned rather than raised, and what it returned is not even (output, state)
        trial.replay = replay
        raise trial.fail(
            f"{trial.spec.name} accepted {invalid.description} and returned: {error}",
            hint=hint,
        ) from error
    except Exception:
        return
    returned = ", ".join(str(tuple(t.shape)) for t in (output, *states_of(final)) if hasattr(t, "shape"))
    trial.replay = replay
    raise trial.fail(
        f"{trial.spec.name} accepted {invalid.description} instead of raising; it returned "
        f"tensors of shapes {returned}",
        hint=hint,
    )


def _require_empty_batch_handled(trial: Trial, layer, example) -> None:
    """B = 0 may raise; if it returns, the shapes must be the empty batch's, not garbage."""
    config, spec = trial.config, trial.spec
    batch_dim = 0 if config.batch_first else 1
    x = _resized(trial, trial.input(), batch_dim, 0)
    state = trial.initial_state(batch=0) if example.with_initial_state else None
    try:
        output, final = adapters.run_layer(spec, layer, x, state)
    except Exception:
        return
    T, rows = example.seq_len, 2 * config.num_layers
    expected = [(0, T, 2 * config.output_size) if config.batch_first else (T, 0, 2 * config.output_size)]
    if spec.features.returns_state:
        expected.append((rows, 0, config.output_size))
    if spec.features.returns_state and spec.has_cell_state:
        expected.append((rows, 0, config.hidden_size))
    got = [tuple(t.shape) for t in (output, *states_of(final))]
    if got != expected:
        raise trial.fail(
            f"an empty batch (B = 0, input {tuple(x.shape)}) returned shapes {got}, expected {expected}",
            hint="B = 0 may raise or return empty tensors of the batch's shapes; never other shapes",
        )


def _resized(trial: Trial, tensor: torch.Tensor, dim: int, size: int) -> torch.Tensor:
    """A fresh tensor like ``tensor`` with dimension ``dim`` of ``size``."""
    shape = list(tensor.shape)
    shape[dim] = size
    return trial.tensor(shape)


def _shape(tensor: torch.Tensor, dim: int, size: int) -> tuple[int, ...]:
    shape = list(tensor.shape)
    shape[dim] = size
    return tuple(shape)


def _map_state(state, function: Callable[[torch.Tensor], torch.Tensor]):
    if isinstance(state, tuple):
        return tuple(function(t) for t in state)
    return function(state)
