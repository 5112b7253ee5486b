"""C1-C3: the shapes of outputs and states, and how the states relate to the output."""

from __future__ import annotations

from conformance.adapters import states_of
from conformance.checks import check, needs_returned_state
from conformance.checks.sequences import pack, shorter_sequences_only, time_major, unpack
from conformance.compare import assert_close, close
from conformance.strategies import lengths as sequence_lengths
from conformance.trial import Trial


@check("C1")
def output_shape(trial: Trial) -> None:
    example = trial.draw_example()
    config, spec = example.config, trial.spec
    layer = trial.layer()
    x = trial.input()
    output, _ = trial.run(layer, x)
    T, B, H_out = example.seq_len, example.batch, config.output_size
    expected = (B, T, 2 * H_out) if config.batch_first else (T, B, 2 * H_out)
    if tuple(output.shape) != expected:
        hint = None
        if tuple(output.shape)[-1] == H_out:
            hint = "the output has H_out features: are the two directions concatenated?"
        raise trial.fail(
            f"output has shape {tuple(output.shape)} for input {tuple(x.shape)}, expected {expected}",
            hint=hint,
        )
    if output.dtype != x.dtype or output.device != x.device:
        raise trial.fail(
            f"output is {output.dtype} on {output.device} for a {x.dtype} input on {x.device}"
        )
    if not spec.features.unbatched:
        return
    # Unbatched: the first sequence alone, as (T, I), equals its row of a batch of one.
    sequence = (x[0] if config.batch_first else x[:, 0]).contiguous()
    alone, _ = trial.run(layer, sequence)
    if tuple(alone.shape) != (T, 2 * H_out):
        raise trial.fail(
            f"unbatched input {tuple(sequence.shape)} gave output {tuple(alone.shape)}, "
            f"expected {(T, 2 * H_out)}"
        )
    as_batch, _ = trial.run(layer, sequence.unsqueeze(0 if config.batch_first else 1))
    batch_of_one = as_batch[0] if config.batch_first else as_batch[:, 0]
    assert_close(
        alone,
        batch_of_one,
        clause_id="C1",
        what="unbatched output",
        tolerance=trial.tolerance(),
        locate=trial.output_layout(batched=False).locate,
    )


@check("C2", requires=needs_returned_state("C2 checks the shapes of h_n and c_n"))
def state_shape(trial: Trial) -> None:
    example = trial.draw_example()
    config, spec = example.config, trial.spec
    layer = trial.layer()
    _, state = trial.run(layer, trial.input())
    states = states_of(state)
    L, B = config.num_layers, example.batch
    expected = [(2 * L, B, config.output_size)]
    if spec.has_cell_state:
        expected.append((2 * L, B, config.hidden_size))
    names = ["h_n", "c_n"]
    if len(states) != len(expected):
        hint = None
        if len(states) == 2 and not spec.has_cell_state:
            hint = "a layer whose state is (h, c) without declaring an LSTM kind declares Features(cell_state=True)"
        raise trial.fail(
            f"the layer returned {len(states)} state tensor(s), expected {len(expected)} "
            f"({', '.join(names[: len(expected)])})",
            hint=hint,
        )
    for name, tensor, shape in zip(names, states, expected):
        if tuple(tensor.shape) != shape:
            hint = None
            if tuple(tensor.shape) == (L, *shape[1:]):
                hint = "the first dimension is num_layers: the direction dimension is missing"
            elif tuple(tensor.shape) == (B, shape[0] * shape[2]):
                hint = (
                    f"{name} is (B, 2L*H): the rows of every layer and direction concatenated per "
                    "batch element (a summary, not a state); return torch's (2L, B, H) as it is"
                )
            raise trial.fail(f"{name} has shape {tuple(tensor.shape)}, expected {shape}", hint=hint)
    if not spec.features.unbatched:
        return
    sequence = trial.input(batched=False)
    _, alone = trial.run(layer, sequence)
    for name, tensor, shape in zip(names, states_of(alone), expected):
        unbatched_shape = (shape[0], shape[2])
        if tuple(tensor.shape) != unbatched_shape:
            raise trial.fail(
                f"unbatched {name} has shape {tuple(tensor.shape)}, expected {unbatched_shape}"
            )


# -- C3 -------------------------------------------------------------------------------------------

BACKWARD_AT_LAST_STEP = (
    "the backward state equals the backward half at the last step T-1: the backward direction "
    "ends at step 0, so its final state is the backward half of output[0]"
)
FORWARD_AT_FIRST_STEP = (
    "the forward state equals the forward half at step 0: the forward direction ends at the last "
    "step, so its final state is the forward half of output[T-1]"
)
DIRECTIONS_EXCHANGED = (
    "the last layer's forward and backward rows are exchanged: row 2l is the forward direction, "
    "row 2l+1 the backward one"
)
DIRECTION_MAJOR_ROWS = (
    "row L-1 holds the last layer's forward state: h_n's rows look direction-major (row d*L+l); "
    "torch orders them layer-major, row 2l+d (h_n.view(L, 2, B, H_out), not view(2, L, B, H_out))"
)
NOT_THE_OUTPUT = (
    "the last layer's state matches the output at no step: if the state the layer returns is not "
    "its output (a cell state c, as a QRNN or an SRU returns), declare "
    "Features(state_is_output=False) and C3 is skipped"
)
LENGTHS_IGNORED = (
    "only sequences shorter than the longest differ: the final state was not taken at each "
    "sequence's own last real step (the PackedSequence's lengths are ignored)"
)


def _last_layer_ends(output_time_major, lengths: list[int], output_size: int):
    """(forward half at each sequence's last step, backward half at step 0), each (B, H_out)."""
    batch = range(output_time_major.shape[1])
    last_steps = [length - 1 for length in lengths]
    forward_end = output_time_major[last_steps, list(batch), :output_size]
    backward_end = output_time_major[0, :, output_size:]
    return forward_end, backward_end


@check(
    "C3",
    requires=needs_returned_state("C3 compares h_n with the output's ends", as_output=True),
)
def state_matches_output(trial: Trial) -> None:
    example = trial.draw_example()
    config = example.config
    L, T, B, H_out = config.num_layers, example.seq_len, example.batch, config.output_size
    layer = trial.layer()
    x = trial.input()
    h0 = trial.initial_state() if example.with_initial_state else None
    tolerance = trial.tolerance()
    forward_row, backward_row = 2 * L - 2, 2 * L - 1

    def h_n_of(state, context: str):
        h_n = states_of(state)[0]
        if tuple(h_n.shape) != (2 * L, B, H_out):
            raise trial.fail(
                f"h_n{context} has shape {tuple(h_n.shape)}, expected {(2 * L, B, H_out)} (see C2)"
            )
        return h_n

    def locate(row: int, step: str):
        direction = "forward" if row == forward_row else "backward"
        return lambda index: (
            f"batch element {index[0]}, feature {index[1]} of h_n row {row} (layer {L - 1}, "
            f"{direction}) against the output's {direction} half at {step}"
        )

    output, state = trial.run(layer, x, h0)
    h_n = h_n_of(state, "")
    out = time_major(output, config.batch_first)
    forward_end, backward_end = _last_layer_ends(out, [T] * B, H_out)

    hints = [(out[0, :, H_out:], DIRECTIONS_EXCHANGED)]
    if T >= 2:
        hints.append((out[0, :, :H_out], FORWARD_AT_FIRST_STEP))
    hint = None
    if L >= 2 and close(h_n[L - 1], forward_end, tolerance):
        hint = DIRECTION_MAJOR_ROWS
    elif not any(
        close(h_n[forward_row], out[t, :, half], tolerance)
        for t in range(T)
        for half in (slice(0, H_out), slice(H_out, None))
    ):
        hint = NOT_THE_OUTPUT
    assert_close(
        h_n[forward_row],
        forward_end,
        clause_id="C3",
        what="the last layer's forward state",
        tolerance=tolerance,
        locate=locate(forward_row, f"step {T - 1}, the last"),
        hints=hints,
        hint=hint,
    )
    hints = [(out[T - 1, :, :H_out], DIRECTIONS_EXCHANGED)]
    if T >= 2:
        hints.insert(0, (out[T - 1, :, H_out:], BACKWARD_AT_LAST_STEP))
    assert_close(
        h_n[backward_row],
        backward_end,
        clause_id="C3",
        what="the last layer's backward state",
        tolerance=tolerance,
        locate=locate(backward_row, "step 0"),
        hints=hints,
    )

    if not trial.spec.features.packed:
        return
    # Variable lengths: each sequence ends at its own last real step (forward), still at step 0
    # for the backward direction, which starts there.
    lengths = trial.draw(sequence_lengths(T, B), "lengths")
    sorted_only = trial.spec.features.packed == "sorted"
    if sorted_only:  # the layer only takes batches sorted by decreasing length
        lengths = sorted(lengths, reverse=True)
    packed = pack(x, lengths, batch_first=config.batch_first, enforce_sorted=sorted_only)
    output, state = trial.run(layer, packed, h0)
    h_n = h_n_of(state, " of the packed run")
    padded, _ = unpack(trial, output, total_length=T)
    forward_end, backward_end = _last_layer_ends(padded, lengths, H_out)
    for row, expected, step in (
        (forward_row, forward_end, "each sequence's own last step"),
        (backward_row, backward_end, "step 0"),
    ):
        hint = None
        if shorter_sequences_only(h_n[row], expected, lengths, tolerance, batch_dim=0):
            hint = LENGTHS_IGNORED
        assert_close(
            h_n[row],
            expected,
            clause_id="C3",
            what=f"with packed input (lengths {lengths}) the last layer's "
            f"{'forward' if row == forward_row else 'backward'} state",
            tolerance=tolerance,
            locate=locate(row, step),
            hint=hint,
        )
