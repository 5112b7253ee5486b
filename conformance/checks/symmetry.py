"""C4-C5: reversal equivariance and causality, the two clauses that say "bidirectional".

Both look only at what the layer returns, so they hold for any layer, and together they catch the
classic mistakes of a hand-written backward direction: one that never reverses time, one that
reverses the input but not its output, and one whose halves are concatenated in the wrong order.
"""

from __future__ import annotations

import torch
from hypothesis import assume
from hypothesis import strategies as st

from conformance import adapters
from conformance.adapters import states_of, swap_directions, swap_state_directions
from conformance.checks import check, needs_parameter_map
from conformance.compare import assert_close, close, locate_state
from conformance.trial import Trial


def time_dim(batch_first: bool) -> int:
    return 1 if batch_first else 0


def exchange_halves(output: torch.Tensor, output_size: int) -> torch.Tensor:
    """[forward; backward] -> [backward; forward] along the feature dimension."""
    return torch.cat([output[..., output_size:], output[..., :output_size]], dim=-1)


def require_two_halves(trial: Trial, output: torch.Tensor) -> None:
    """The halves this clause reasons about exist only if the output has 2*H_out features."""
    expected = 2 * trial.config.output_size
    if output.dim() < 2 or output.shape[-1] != expected:
        raise trial.fail(
            f"the output has shape {tuple(output.shape)}, not {expected} features (forward half "
            "then backward half), so its two halves cannot be told apart (see C1)"
        )


def with_backward_half(output: torch.Tensor, backward: torch.Tensor, output_size: int) -> torch.Tensor:
    """``output`` with its backward half replaced: what a known mistake would have returned."""
    return torch.cat([output[..., :output_size], backward], dim=-1)


def _requires_direction_swap(spec, device: str) -> str | None:
    if spec.swap_directions is not None:
        return None
    return needs_parameter_map("C4 must know which parameters belong to which direction")(spec, device)


@check("C4", requires=_requires_direction_swap)
def reversal_equivariance(trial: Trial) -> None:
    example = trial.draw_example()
    config, spec = example.config, trial.spec
    H_out, time = config.output_size, time_dim(config.batch_first)
    layer = trial.layer()
    swapped = trial.layer()
    swap_directions(spec, swapped, config)
    x = trial.input()
    state = trial.initial_state() if example.with_initial_state else None
    reversed_input, swapped_state = swapped_input(trial, x.flip(time)), swap_state_directions(state)
    trial.replay = (
        f"result_2 is the direction-swapped layer on the input reversed in time (dimension {time}); "
        "flipped back, with its halves exchanged, its output must equal result_1's, and its states "
        "with rows 2l and 2l+1 exchanged result_1's",
        [("the layer", x, state), ("reversed, swapped", reversed_input, swapped_state, "swapped")],
    )
    output, final = trial.run(layer, x, state)
    reversed_output, reversed_final = trial.run(swapped, reversed_input, swapped_state)

    # Everything is compared in the original layer's frame, so that "step t, backward half" and
    # "layer l, backward direction" name places of the layer as the user wrote it.
    expected_final = swap_state_directions(reversed_final)
    disagreeing_layers = _disagreeing_layers(final, expected_final, trial)
    upper_layer_hint = None
    if disagreeing_layers and 0 not in disagreeing_layers:
        upper_layer_hint = _upper_layer_hint(disagreeing_layers)

    expected_output = exchange_halves(reversed_output.flip(time), H_out)
    hints = []
    if output.shape == expected_output.shape and not close(output, expected_output, trial.tolerance()):
        hints = _known_mistakes(trial, swapped, x, state, output, reversed_output)
    assert_close(
        output,
        expected_output,
        clause_id="C4",
        what="the output (compared with the direction-swapped layer's output on the reversed "
        "input, flipped back in time, halves exchanged; a mistake in one direction's code shows "
        "in both halves here, since the swap runs each direction's weights through the other's "
        "code)",
        tolerance=trial.tolerance(),
        locate=trial.output_layout().locate,
        hints=hints,
        hint=upper_layer_hint,
    )
    for name, actual, expected in zip(["h_n", "c_n"], states_of(final), states_of(expected_final)):
        assert_close(
            actual,
            expected,
            clause_id="C4",
            what=f"{name} (compared with the direction-swapped layer's {name} on the reversed "
            "input, directions exchanged)",
            tolerance=trial.tolerance(),
            locate=locate_state,
            hint=upper_layer_hint,
        )


def swapped_input(trial: Trial, x: torch.Tensor) -> torch.Tensor:
    """The input as the direction-swapped layer must see it: unchanged, unless the spec's
    ``swap_input`` hook says that the directions read the input asymmetrically (an SRU whose skip
    path adds input half d to direction d when input_size == 2 * hidden_size)."""
    if trial.spec.swap_input is None:
        return x
    return adapters.in_hook(
        trial.spec, "swap_input", "swapping the input's halves for C4", trial.spec.swap_input,
        trial.config, x,
    )


def _known_mistakes(trial: Trial, swapped, x, state, output, reversed_output):
    """What the two classic mistakes return as the backward half (exactly so for L = 1).

    Reversing the input but not the output back gives the swapped layer's forward half on the
    reversed input, unflipped; not reversing at all gives a forward scan with the backward
    weights, i.e. the swapped layer's forward half on the unreversed input.
    """
    H_out = trial.config.output_size
    straight_output, _ = trial.run(swapped, swapped_input(trial, x), swap_state_directions(state))
    return [
        (
            with_backward_half(output, reversed_output[..., :H_out], H_out),
            "the backward half at step t holds the backward direction's result for step T-1-t: "
            "the layer reverses the input for the backward direction but does not reverse that "
            "direction's output back",
        ),
        (
            with_backward_half(output, straight_output[..., :H_out], H_out),
            "the backward half matches the forward half of the reversed input: the backward "
            "direction may not reverse the sequence (it runs forward in time like a second "
            "forward RNN)",
        ),
    ]


def _disagreeing_layers(final, expected_final, trial: Trial) -> list[int]:
    """The layers whose final states break C4 (shapes that do not match count as none)."""
    layers = []
    for actual, expected in zip(states_of(final), states_of(expected_final)):
        if actual.shape != expected.shape:
            return []
        for layer in range(actual.shape[0] // 2):
            rows = slice(2 * layer, 2 * layer + 2)
            if not close(actual[rows], expected[rows], trial.tolerance()) and layer not in layers:
                layers.append(layer)
    return sorted(layers)


def _upper_layer_hint(layers: list[int]) -> str:
    return (
        f"layer 0 is reversal-equivariant but layer(s) {', '.join(map(str, layers))} are not: the "
        "input of a layer l >= 1 may not be the concatenation [forward; backward] of the layer "
        "below, or the column halves of layer l's input weights are not exchanged by the spec's "
        "swap_directions hook"
    )


FORWARD_SEES_FUTURE = (
    "the forward half at step t depends on future input x[s]: the forward direction sees the "
    "future (is the input reversed for the wrong direction, or the output not reversed back?)"
)
BACKWARD_SEES_PAST = (
    "the backward half at step t depends on past input x[s]: the backward direction sees the past "
    "(does it run forward in time, or is its output not reversed back?)"
)
HALVES_EXCHANGED = (
    "both halves break causality, in mirror image: the forward half sees the future and the "
    "backward half the past, so the two directions' roles are exchanged (the halves concatenated "
    "backward-first, or the reverse flag set on the forward direction instead of the backward)"
)


@check("C5")
def causality(trial: Trial) -> None:
    # Only one layer: in a stack, layer 2's forward half legitimately sees layer 1's backward half.
    example = trial.draw_example(max_layers=1, min_steps=2)
    config = example.config
    H_out, time = config.output_size, time_dim(config.batch_first)
    layer = trial.layer()
    x = trial.input()
    state = trial.initial_state() if example.with_initial_state else None
    output, _ = trial.run(layer, x, state)
    require_two_halves(trial, output)
    T, B = example.seq_len, example.batch
    element = trial.draw(st.one_of(st.none(), st.integers(0, B - 1)), "perturbed batch element")
    elements = list(range(B)) if element is None else [element]

    perturbed_outputs = []
    for s in range(T):
        # A clearly non-zero change of every feature: |delta| in [0.5, 2.5].
        delta = trial.tensor((B, config.input_size))
        delta = torch.where(delta >= 0, delta + 0.5, delta - 0.5)
        perturbed_x = x.clone()
        perturbed_x.select(time, s)[elements] += delta[elements]
        perturbed, _ = trial.run(layer, perturbed_x, state)
        if perturbed.shape != output.shape:
            raise trial.fail(
                f"the output has shape {tuple(perturbed.shape)} after perturbing x at step {s}, "
                f"but {tuple(output.shape)} before"
            )
        perturbed_outputs.append(perturbed)

    shape = [1] * output.dim()
    shape[time] = T
    steps = torch.arange(T, device=output.device).view(shape)
    forward_feature = (torch.arange(2 * H_out, device=output.device) < H_out).view(
        [1] * (output.dim() - 1) + [2 * H_out]
    )
    tolerance = trial.tolerance()

    def must_stay(half: str, s: int) -> torch.Tensor:
        if half == "forward":
            return (steps < s) & forward_feature
        return (steps > s) & ~forward_feature

    leaks = {
        half: [
            s
            for s, perturbed in enumerate(perturbed_outputs)
            if not close(torch.where(must_stay(half, s), perturbed, output), output, tolerance)
        ]
        for half in ("forward", "backward")
    }
    both = bool(leaks["forward"] and leaks["backward"])
    for half, hint in (("forward", FORWARD_SEES_FUTURE), ("backward", BACKWARD_SEES_PAST)):
        if leaks[half]:
            s = leaks[half][0]
            assert_close(
                torch.where(must_stay(half, s), perturbed_outputs[s], output),
                output,
                clause_id="C5",
                what=f"the {half} half at steps {'before' if half == 'forward' else 'after'} "
                f"{s}, after perturbing the input at step {s},",
                tolerance=tolerance,
                locate=trial.output_layout().locate,
                hint=HALVES_EXCHANGED if both else hint,
            )

    for s, perturbed in enumerate(perturbed_outputs):
        for half, side in (("forward", steps >= s), ("backward", steps <= s)):
            features = forward_feature if half == "forward" else ~forward_feature
            for b in elements:
                _require_dependence(trial, output, perturbed, side & features, half, s, b)
def _require_dependence(trial: Trial, output, perturbed, region, half: str, s: int, b: int) -> None:
    """The ``half`` of batch element ``b`` must move somewhere on its own side of step ``s``."""
    batch_dim = 0 if trial.config.batch_first else 1
    before = output.select(batch_dim, b)
    after = perturbed.select(batch_dim, b)
    region = region.expand_as(output).select(batch_dim, b)
    if not close(after[region], before[region], trial.tolerance()):
        return
    # A ReLU layer whose units are all dead at step s passes nothing on; that is provable from the
    # data (the half is exactly zero at step s for both inputs) and is not a failure. Rows are
    # steps here: the batch dimension is gone.
    at_s = region[s]
    dead = bool((before[s][at_s] == 0).all() and (after[s][at_s] == 0).all())
    assume(not dead)
    side = "t >= s" if half == "forward" else "t <= s"
    raise trial.fail(
        f"the {half} half of batch element {b} did not change at any step {side} when the input "
        f"at step s={s} was perturbed by at least 0.5 in every feature",
        hint=f"the {half} direction does not depend on its own side of the sequence: is its "
        "input detached, replaced, shifted by one step, or is its output taken from the other "
        "direction?",
    )
