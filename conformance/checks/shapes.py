"""C1-C3: the shapes of outputs and states, and how the states relate to the output."""

from __future__ import annotations

from conformance.adapters import states_of
from conformance.checks import check
from conformance.compare import assert_close
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
    sequence = x[0] if config.batch_first else x[:, 0]
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


@check("C2")
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
        raise trial.fail(
            f"the layer returned {len(states)} state tensor(s), expected {len(expected)} "
            f"({', '.join(names[: len(expected)])})"
        )
    for name, tensor, shape in zip(names, states, expected):
        if tuple(tensor.shape) != shape:
            hint = None
            if tuple(tensor.shape)[0] == L and L != 2 * L:
                hint = "the first dimension is num_layers: the direction dimension is missing"
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
