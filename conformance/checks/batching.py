"""C7-C8: batch independence and batch_first.

Both clauses compare one run against runs of the same weights arranged differently: each batch
element alone (C7), or the same batch laid out batch-first (C8). Slices are made contiguous before
they are run, so that a layer that mishandles strided memory fails C18, not these clauses.
"""

from __future__ import annotations

import torch

from conformance.adapters import states_of
from conformance.checks import check, needs_feature
from conformance.compare import assert_close, close, locate_state
from conformance.trial import Trial


def _rows(state, index: slice):
    """The batch elements ``index`` of h (and c): dimension 1 of every state tensor."""
    if state is None:
        return None
    if isinstance(state, tuple):
        return tuple(t[:, index].contiguous() for t in state)
    return state[:, index].contiguous()


@check("C7")
def batch_independence(trial: Trial) -> None:
    example = trial.draw_example(min_batch=2)
    config = example.config
    batch_dim = 0 if config.batch_first else 1
    layer = trial.layer()
    x = trial.input()
    state = trial.initial_state() if example.with_initial_state else None
    output, final = trial.run(layer, x, state)

    alone_outputs, alone_states = [], []
    for b in range(example.batch):
        element = slice(b, b + 1)
        sequence = x.narrow(batch_dim, b, 1).contiguous()
        alone_output, alone_final = trial.run(layer, sequence, _rows(state, element))
        alone_outputs.append(alone_output)
        alone_states.append(states_of(alone_final))
    expected_output = torch.cat(alone_outputs, dim=batch_dim)
    _require_state_batch_dimension(trial, states_of(final), alone_states[0], example.batch)
    expected_states = [torch.cat(parts, dim=1) for parts in zip(*alone_states)]

    hint = _mixing_hint(output, expected_output, batch_dim, trial)
    assert_close(
        output,
        expected_output,
        clause_id="C7",
        what="output of the batch (expected: each element's output when run alone)",
        tolerance=trial.tolerance(),
        locate=trial.output_layout().locate,
        hint=hint,
    )
    for name, actual, expected in zip(("h_n", "c_n"), states_of(final), expected_states):
        assert_close(
            actual,
            expected,
            clause_id="C7",
            what=f"{name} of the batch (expected: each element's {name} when run alone)",
            tolerance=trial.tolerance(),
            locate=locate_state,
            hint=_mixing_hint(actual, expected, 1, trial),
        )


def _require_state_batch_dimension(trial: Trial, batch_states, alone_states, batch: int) -> None:
    """States must keep the batch in dimension 1 for C7 to split them by element (C2 says how)."""
    for name, whole, alone in zip(("h_n", "c_n"), batch_states, alone_states):
        if whole.dim() != 3 or alone.dim() != 3 or whole.shape[1] != batch or alone.shape[1] != 1:
            raise trial.fail(
                f"{name} is {tuple(whole.shape)} for a batch of {batch} and {tuple(alone.shape)} for "
                "one element: the batch is not dimension 1 of the state, so the elements cannot be "
                "compared with their own runs",
                hint="states are (2L, B, H) as in torch, whatever batch_first says (see C2)",
            )


def _mixing_hint(actual, expected, batch_dim: int, trial: Trial) -> str | None:
    """Name the batch elements that differ from their own runs, when the shapes allow it."""
    if tuple(actual.shape) != tuple(expected.shape):
        return None
    differing = [
        b
        for b in range(actual.shape[batch_dim])
        if not close(actual.select(batch_dim, b), expected.select(batch_dim, b), trial.tolerance())
    ]
    if not differing:
        return None
    elements = ", ".join(str(b) for b in differing)
    return (
        f"batch element(s) {elements} of {actual.shape[batch_dim]} differ from their own runs: "
        "the layer mixes the batch (statistics or pooling over the batch dimension, a state "
        "carried from one element to the next, or h0 rows read in the wrong order)"
    )


FLAG_IGNORED = (
    "batch_first=True changed nothing: the layer built with it computes what the default layer "
    "computes on the same tensor, so the constructor ignores the flag. A layer that only takes "
    "(B, T, I) declares Features(batch_first_flag=False, layout='batch_first'); one that takes the "
    "flag must honour it"
)
FLAG_IGNORED_WHEN_SQUARE = (
    "with T == B that is also what a constructor that ignores the batch_first flag gives (a layer "
    "that only takes (B, T, I) declares Features(batch_first_flag=False, layout='batch_first'))"
)


@check("C8", requires=needs_feature("batch_first_flag", "C8 compares batch_first=True with the default"))
def batch_first(trial: Trial) -> None:
    # T >= 2 and B >= 2: with a size of 1 a (B,T,I) tensor read as (T,B,I) by view is the transpose.
    example = trial.draw_example(batch_first=False, min_steps=2, min_batch=2)
    time_major = trial.layer()
    config = example.config.but(batch_first=True)
    batch_major = trial.layer(config)
    if trial.spec.features.serialization:
        # the same seed gives the same weights for torch's modules; loading makes sure for any layer
        batch_major.load_state_dict(time_major.state_dict())
    x = trial.input(batch_first=False)
    state = trial.initial_state() if example.with_initial_state else None
    expected_output, expected_final = trial.run(time_major, x, state)
    # contiguous, so that the check is about the layout of dimensions, not of memory (C18)
    transposed = x.transpose(0, 1).contiguous()
    output, final = trial.run(batch_major, transposed, state)

    # The classic bug: x.view(T, B, I) on a (B, T, I) tensor. Run it to recognise it.
    misread_output, misread_final = trial.run(time_major, transposed.reshape(x.shape))
    misread_hint = (
        "the batch_first results equal reading the (B,T,I) input with view/reshape as (T,B,I): "
        "swap the dimensions with transpose(0, 1), never view or reshape"
    )
    hints = []
    if example.seq_len == example.batch:
        # Then viewing (B,T,I) as (T,B,I) and ignoring the flag are the same computation.
        misread_hint += "; " + FLAG_IGNORED_WHEN_SQUARE
    if output.numel() == misread_output.numel():
        hints.append((misread_output.reshape(output.shape), misread_hint))
    if example.seq_len != example.batch:
        # A layer that is batch-first whatever the flag says (or time-major whatever it says):
        # the batch_first=True layer computes what the default one does on the same tensor.
        unflagged_output, _ = trial.run(time_major, transposed)
        hints.insert(0, (unflagged_output, FLAG_IGNORED))
    assert_close(
        output,
        expected_output.transpose(0, 1),
        clause_id="C8",
        what="batch_first output (expected: the time-major output of the same weights, transposed)",
        tolerance=trial.tolerance(),
        locate=trial.output_layout(config).locate,
        hints=hints,
    )
    states = zip(("h_n", "c_n"), states_of(final), states_of(expected_final), states_of(misread_final))
    for name, actual, expected, misread in states:
        hint = None
        batch_major_state = expected.transpose(0, 1)
        if tuple(actual.shape) == tuple(misread.shape) and close(actual, misread, trial.tolerance()):
            hint = misread_hint
        elif tuple(actual.shape) == tuple(batch_major_state.shape) and (
            tuple(actual.shape) != tuple(expected.shape)
            or close(actual, batch_major_state, trial.tolerance())
        ):
            hint = (
                f"{name} is laid out batch-first, (B, 2L, H): states are (2L, B, H) whatever "
                "batch_first says, as in torch"
            )
        elif actual.numel() == expected.numel() and close(
            actual.reshape(batch_major_state.shape), batch_major_state, trial.tolerance()
        ):
            hint = f"{name} is the batch-first (B, 2L, H) layout reshaped to (2L, B, H): do not move states"
        assert_close(
            actual,
            expected,
            clause_id="C8",
            what=f"batch_first {name} (expected: the time-major {name} of the same weights)",
            tolerance=trial.tolerance(),
            locate=locate_state,
            hint=hint,
        )
