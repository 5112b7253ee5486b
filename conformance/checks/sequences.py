"""C9: variable-length (packed) input, and the packing helpers that C3 shares.

A PackedSequence must give every sequence exactly what it gets alone at its own length: the
backward direction starts at the sequence's own last real step, and padding never reaches an
output or a state. The classic bug pads the batch and runs the backward direction from the padded
end, which a check that only looks at the longest sequence never sees.
"""

from __future__ import annotations

import torch
from hypothesis import strategies as st
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

from conformance.adapters import states_of
from conformance.checks import check, needs_feature
from conformance.compare import OutputLayout, assert_close, close, locate_state
from conformance.strategies import lengths as sequence_lengths
from conformance.tolerances import Tolerance
from conformance.trial import Trial

# pad_packed_sequence fills padded positions itself; a non-zero value shows up a layer whose
# PackedSequence claims the wrong lengths (its padding would then hold real values).
PADDING_VALUES = (0.0, -7.0)

BACKWARD_ON_PADDING = (
    "the output matches each sequence run over the batch's zero-padded length and trimmed: the "
    "backward direction started on padding, not at each sequence's own last real step (run the "
    "PackedSequence through the RNN instead of padding it first)"
)
STATES_FROM_PADDED_RUN = (
    "the final states are those of a run over the zero-padded batch: they ignore the "
    "PackedSequence's lengths (the forward state must be taken at each sequence's own last step)"
)
ONLY_SHORTER_SEQUENCES = (
    "only sequences shorter than the longest in the batch differ: padding reached the {what} "
    "(the layer may ignore the PackedSequence's lengths)"
)


# -- helpers shared with C3 ----------------------------------------------------------------------


def time_major(tensor: torch.Tensor, batch_first: bool) -> torch.Tensor:
    """(T, B, F) whatever the layout, so that steps index the first dimension."""
    return tensor.transpose(0, 1) if batch_first else tensor


def pack(
    x: torch.Tensor, lengths: list[int], *, batch_first: bool, enforce_sorted: bool = False
) -> PackedSequence:
    return pack_padded_sequence(
        x, torch.tensor(lengths), batch_first=batch_first, enforce_sorted=enforce_sorted
    )


def unpack(
    trial: Trial, output, *, total_length: int, padding_value: float = 0.0
) -> tuple[torch.Tensor, list[int]]:
    """The (T, B, F) padded output of a packed run, and its lengths; fails the trial's clause when
    the layer did not return a PackedSequence for a PackedSequence input."""
    if not isinstance(output, PackedSequence):
        raise trial.fail(
            f"the layer returned a {type(output).__name__} of shape {tuple(output.shape)} for a "
            "PackedSequence input; expected a PackedSequence",
            hint="return the output packed, as torch's RNNs do (pack_padded_sequence on the padded "
            "output, with the input's lengths)",
        )
    try:
        padded, lengths = pad_packed_sequence(
            output, padding_value=padding_value, total_length=total_length
        )
    except (RuntimeError, ValueError) as error:
        raise trial.fail(
            f"pad_packed_sequence could not unpack the layer's PackedSequence output: {error}"
        ) from error
    return padded, [int(n) for n in lengths]


def sequence_alone(x: torch.Tensor, index: int, length: int, *, batch_first: bool) -> torch.Tensor:
    """Sequence ``index`` of a padded batch as a batch of one, trimmed to its own length.

    Contiguous, so that a layer's memory-layout bug stays C18's and is not reported here."""
    alone = x[index : index + 1, :length] if batch_first else x[:length, index : index + 1]
    return alone.contiguous()


def state_of_sequence(state, index: int):
    """The h0 (or (h0, c0)) columns of one batch element, as a batch of one."""
    if state is None:
        return None
    if isinstance(state, tuple):
        return tuple(t[:, index : index + 1].contiguous() for t in state)
    return state[:, index : index + 1].contiguous()


def shorter_sequences_only(
    actual: torch.Tensor, expected: torch.Tensor, lengths: list[int], tolerance: Tolerance, batch_dim: int
) -> bool:
    """Whether every element outside the tolerance belongs to a sequence shorter than the longest."""
    if actual.shape != expected.shape:
        return False
    actual64, expected64 = actual.detach().double().cpu(), expected.detach().double().cpu()
    outside = (actual64 - expected64).abs() > tolerance.atol + tolerance.rtol * expected64.abs()
    failing = outside.movedim(batch_dim, 0).flatten(1).any(dim=1)
    longest = max(lengths)
    return bool(failing.any()) and all(
        lengths[b] < longest for b in range(len(lengths)) if failing[b]
    )


# -- C9 -------------------------------------------------------------------------------------------


@check("C9", requires=needs_feature("packed", "C9 feeds PackedSequence input"))
def variable_length(trial: Trial) -> None:
    example = trial.draw_example()
    config = example.config
    T, B, H_out = example.seq_len, example.batch, config.output_size
    sorted_only = trial.spec.features.packed == "sorted"  # the layer's documented contract
    enforce_sorted = True if sorted_only else trial.draw(st.booleans(), "enforce_sorted")
    lengths = trial.draw(sequence_lengths(T, B), "lengths")
    if enforce_sorted:
        lengths = sorted(lengths, reverse=True)
    padding_value = trial.draw(st.sampled_from(PADDING_VALUES), "padding_value")
    tolerance = trial.tolerance()

    layer = trial.layer()
    x = trial.input()
    h0 = trial.initial_state() if example.with_initial_state else None
    packed = pack(x, lengths, batch_first=config.batch_first, enforce_sorted=enforce_sorted)
    output, state = trial.run(layer, packed, h0)
    padded, output_lengths = unpack(
        trial, output, total_length=T, padding_value=padding_value
    )
    if output_lengths != lengths:
        raise trial.fail(
            f"the output PackedSequence has lengths {output_lengths} for input lengths {lengths}",
            hint="build the output PackedSequence with the input's batch_sizes and indices",
        )

    def run_each(padded_to: int | None):
        """Each sequence alone at its own length (or zero-padded to ``padded_to``), trimmed."""
        outputs, finals = [], []
        for b, length in enumerate(lengths):
            sequence = sequence_alone(x, b, length, batch_first=config.batch_first)
            if padded_to is not None and padded_to > length:
                step_dim = 1 if config.batch_first else 0
                padding_shape = list(sequence.shape)
                padding_shape[step_dim] = padded_to - length
                sequence = torch.cat([sequence, sequence.new_zeros(padding_shape)], dim=step_dim)
            out, final = trial.run(layer, sequence, state_of_sequence(h0, b))
            outputs.append(time_major(out, config.batch_first)[:length, 0])
            finals.append(states_of(final))
        expected = padded.new_full((T, B, 2 * H_out), padding_value)
        for b, (out, length) in enumerate(zip(outputs, lengths)):
            if tuple(out.shape) != (length, 2 * H_out):
                raise trial.fail(
                    f"sequence {b} run alone gave an output of shape {tuple(out.shape)}, "
                    f"expected {(length, 2 * H_out)}"
                )
            expected[:length, b] = out
        states = tuple(
            torch.cat([final[i] for final in finals], dim=1) for i in range(len(finals[0]))
        )
        return expected, states

    expected_output, expected_states = run_each(padded_to=None)
    over_padding = None  # computed only when something differs: it costs B more runs

    def padded_run():
        nonlocal over_padding
        if over_padding is None:
            over_padding = run_each(padded_to=max(lengths))
        return over_padding

    hints, hint = [], None
    if not close(padded, expected_output, tolerance):
        hints = [(padded_run()[0], BACKWARD_ON_PADDING)]
        if shorter_sequences_only(padded, expected_output, lengths, tolerance, batch_dim=1):
            hint = ONLY_SHORTER_SEQUENCES.format(what="output")
    assert_close(
        padded,
        expected_output,
        clause_id="C9",
        what=f"packed output (lengths {lengths}, after pad_packed_sequence with padding "
        f"{padding_value}) against each sequence run alone",
        tolerance=tolerance,
        locate=OutputLayout(batch_first=False, batched=True, output_size=H_out).locate,
        hints=hints,
        hint=hint,
    )

    states = states_of(state)
    if len(states) != len(expected_states):
        raise trial.fail(
            f"the packed run returned {len(states)} state tensor(s), the unpacked run "
            f"{len(expected_states)}"
        )
    for position, (name, actual, expected) in enumerate(
        zip(("h_n", "c_n"), states, expected_states)
    ):
        hints, hint = [], None
        if not close(actual, expected, tolerance):
            hints = [(padded_run()[1][position], STATES_FROM_PADDED_RUN)]
            if shorter_sequences_only(actual, expected, lengths, tolerance, batch_dim=1):
                hint = ONLY_SHORTER_SEQUENCES.format(what="final state")
        assert_close(
            actual,
            expected,
            clause_id="C9",
            what=f"{name} of the packed run (lengths {lengths}) against each sequence run alone",
            tolerance=tolerance,
            locate=locate_state,
            hints=hints,
            hint=hint,
        )
