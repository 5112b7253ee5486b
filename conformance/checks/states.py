"""C10, C13: initial states and determinism."""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
from hypothesis import strategies as st

from conformance import adapters
from conformance.adapters import states_of
from conformance.checks import all_of, check, needs_feature, needs_returned_state
from conformance.compare import assert_close, close, locate_state
from conformance.failures import LayerContractError
from conformance.tolerances import EXACT
from conformance.trial import Trial

# -- C10 initial-state ------------------------------------------------------------------------------
#
# What is provable for any L, with rows ordered 2l+d: changing row r = 2l+d of h0 (and c0) cannot
# reach the final states of the layers below l, nor the other direction of layer l (its input, the
# layer below, is unchanged); it must reach its own final state. When l is the last layer, only
# the output's half d may change (and it must). Higher layers' rows are free to change.

BROADCAST_OVER_DIRECTIONS = (
    "the output equals a run with each layer's h0 row used for both directions: the layer "
    "broadcast h0 over the directions instead of rejecting it (check h0.shape[0] == 2 * num_layers)"
)
MISSING_DIRECTION_ACCEPTED = (
    "an h0 without the direction dimension is the classic bug of callers that build it as "
    "(num_layers, B, H); raise so that they find out (check h0.shape[0] == 2 * num_layers)"
)
ONE_ROW_FOR_BOTH = (
    "{tensor} row {row} reached both directions of layer {layer}: one row of {tensor} may feed both "
    "directions (e.g. {tensor}[{row}] used for the {other_direction} direction too)"
)
OTHER_DIRECTION_ONLY = (
    "{tensor} row {row} moved the other direction of layer {layer} and not its own: the layer may "
    "read the rows of {tensor} in the wrong order (forward and backward exchanged)"
)
DIRECTION_MAJOR = (
    "changing h0 row {row} (layer {layer}, {direction}) acted like a change of row {twin}: the "
    "layer may read h0 direction-major (row d*L+l) instead of layer-major (row 2l+d)"
)
STATES_DIRECTION_MAJOR = (
    "the rows that changed are the reachable ones once h_n is read direction-major (row d*L+l): "
    "the final states may be returned in (direction, layer) order instead of torch's row 2l+d "
    "(see C3)"
)
H_AND_C_PAIRED = (
    "{tensor} row {row} moved the other direction of layer {layer}, while {other_tensor} row {row} "
    "moves its own: the layer pairs the state per tensor, not per direction (e.g. h0's two rows as "
    "the forward direction's (h, c) and c0's as the backward one's); torch's h0 holds h of both "
    "directions and c0 their c"
)
ROW_IGNORED = (
    "the {direction} direction of layer {layer} may not start from {tensor} row {row}: {tensor} "
    "ignored, or another row (e.g. {tensor}[{other}], fed to both directions) used in its place"
)
IGNORED_NOT_BROADCAST = (
    "the output equals the run without any h0: the layer accepted the malformed h0 and seems not "
    "to use h0 at all (C10's row checks say which rows); it must still reject a wrong shape"
)
ADAPTER_MAY_VALIDATE = (
    "; note that the spec has a `call` hook: a hook that converts h0's layout (reshape, view, "
    "transpose) can turn this malformed h0 into a valid one for the layer, which then looks "
    "lenient: check h0.shape == (2 * num_layers, B, H_out) in the hook before converting"
)

HALF_NAMES = ("forward", "backward")


def _with_row_replaced(state, replacement, row: int, which: str):
    """``state`` with row ``row`` of h0 (``which`` = "h"), of c0 ("c") or of both taken from
    ``replacement``; the other rows keep their values."""

    def replaced(tensor, new, name):
        if which not in (name, "both"):
            return tensor
        tensor = tensor.clone()
        tensor[row] = new[row]
        return tensor

    if isinstance(state, tuple):
        return replaced(state[0], replacement[0], "h"), replaced(state[1], replacement[1], "c")
    return replaced(state, replacement, "h")


def _dead(vectors: torch.Tensor) -> torch.Tensor:
    """Per batch element: the state vector is exactly zero (every relu unit off)."""
    return (vectors == 0).all(dim=-1)


def _rows_moved(before, after, tolerance) -> set[int]:
    moved = set()
    for a, b in zip(states_of(before), states_of(after)):
        for row in range(a.shape[0]):
            if not close(b[row], a[row], tolerance):
                moved.add(row)
    return moved


@dataclass(frozen=True)
class RowChange:
    """Row ``2 * layer + direction`` of h0 (``which`` = "h"), of c0 ("c") or of both is redrawn."""

    layer: int
    direction: int
    which: str
    num_layers: int

    @property
    def row(self) -> int:
        return 2 * self.layer + self.direction

    @property
    def other_row(self) -> int:
        return 2 * self.layer + 1 - self.direction

    @property
    def unreachable(self) -> list[int]:
        """The final-state rows this change cannot reach: the layers below and the other direction."""
        return [2 * lower + d for lower in range(self.layer) for d in (0, 1)] + [self.other_row]

    @property
    def direction_major_twin(self) -> int | None:
        """The layer-major row that a direction-major reader takes this row for (None if the same)."""
        twin = self.direction_major(self.row)
        return twin if twin != self.row else None

    def direction_major(self, row: int) -> int:
        """The layer-major row of ``row`` read direction-major (row d*L+l is layer l, direction d)."""
        direction, layer = divmod(row, self.num_layers)
        return 2 * layer + direction

    def describe(self) -> str:
        names = {"h": "h0", "c": "c0", "both": "h0 and c0"}
        return f"{names[self.which]} row {self.row} (layer {self.layer}, {HALF_NAMES[self.direction]})"

    def words(self) -> dict:
        return dict(
            row=self.row,
            layer=self.layer,
            direction=HALF_NAMES[self.direction],
            other_direction=HALF_NAMES[1 - self.direction],
            other=self.other_row,
            tensor={"h": "h0", "c": "c0", "both": "h0 (and c0)"}[self.which],
            other_tensor={"h": "c0", "c": "h0", "both": ""}[self.which],
        )


@check(
    "C10",
    requires=all_of(
        needs_feature("initial_state", "C10 passes h0 (and c0)"),
        needs_returned_state("C10 checks which rows of the final state each h0 row reaches"),
    ),
)
def initial_state(trial: Trial) -> None:
    example = trial.draw_example(initial_state=True)
    config, spec = example.config, trial.spec
    layer = trial.layer()
    x = trial.input()
    _rejects_missing_direction_dimension(trial, layer, x)

    change = RowChange(
        layer=trial.draw(st.integers(0, config.num_layers - 1), "changed layer"),
        direction=trial.draw(st.integers(0, 1), "changed direction"),
        which=trial.draw(st.sampled_from(("h", "c", "both")), "changed tensor")
        if spec.has_cell_state
        else "h",
        num_layers=config.num_layers,
    )
    state = trial.initial_state()
    changed = _with_row_replaced(state, trial.initial_state(), change.row, change.which)
    trial.replay = (
        f"result_2 has {change.describe()} changed; compare the halves of result_1[0] and "
        "result_2[0], and the rows of their states",
        [("h0 as drawn", x, state), (f"{change.describe()} changed", x, changed)],
    )
    output, final = trial.run(layer, x, state)
    changed_output, changed_final = trial.run(layer, x, changed)
    for name, tensor in zip(("h_n", "c_n"), states_of(final)):
        if tensor.shape[0] != 2 * config.num_layers:
            raise trial.fail(
                f"{name} has {tensor.shape[0]} rows, expected 2 * num_layers = "
                f"{2 * config.num_layers} (see C2)"
            )
    def pairs_h_and_c() -> bool:
        return spec.has_cell_state and _pairs_h_and_c(trial, change, layer, x, state)

    _unreachable_rows_unchanged(trial, change, final, changed_final, pairs_h_and_c)
    if change.layer == config.num_layers - 1:
        _only_own_half_moves(trial, change, output, changed_output, layer, x, state)
    _own_row_moves(trial, change, layer, x, state, changed)


def _unreachable_rows_unchanged(
    trial: Trial, change: RowChange, final, changed_final, pairs_h_and_c
) -> None:
    tolerance = trial.tolerance()
    moved = _rows_moved(final, changed_final, tolerance)
    twin = change.direction_major_twin
    hint = None
    if twin is not None and twin in moved and twin in change.unreachable:
        hint = DIRECTION_MAJOR.format(twin=twin, **change.words())
    elif change.num_layers >= 2 and not {change.direction_major(m) for m in moved} & set(
        change.unreachable
    ):
        hint = STATES_DIRECTION_MAJOR
    elif change.other_row in moved:
        hint = (ONE_ROW_FOR_BOTH if change.row in moved else OTHER_DIRECTION_ONLY).format(
            **change.words()
        )
        if change.row not in moved and change.which != "both" and pairs_h_and_c():
            hint = H_AND_C_PAIRED.format(**change.words())
    for name, before, after in zip(("h_n", "c_n"), states_of(final), states_of(changed_final)):
        expected = after.clone()
        expected[change.unreachable] = before[change.unreachable]
        assert_close(
            after, expected, clause_id="C10",
            what=f"{name} after changing {change.describe()}, in the rows it cannot reach "
            f"({', '.join(map(str, change.unreachable))})",
            tolerance=tolerance, locate=locate_state, hint=hint,
        )


def _pairs_h_and_c(trial: Trial, change: RowChange, layer, x, state) -> bool:
    """Changing one tensor's row r moved only the other direction: is that because the layer reads
    the rows in the wrong order (then the other tensor's row r moves the other direction too) or
    because it pairs h0's rows as one direction's (h, c) and c0's as the other's (then the other
    tensor's row r moves its own direction)? One more pair of runs."""
    other_tensor = "c" if change.which == "h" else "h"
    probe = _with_row_replaced(state, trial.initial_state(), change.row, other_tensor)
    _, final = trial.run(layer, x, state)
    _, changed = trial.run(layer, x, probe)
    moved = _rows_moved(final, changed, trial.tolerance())
    return change.row in moved and change.other_row not in moved


def _only_own_half_moves(
    trial: Trial, change: RowChange, output, changed_output, layer, x, state
) -> None:
    """In the last layer a row of h0 moves its own half of the output, and only that half."""
    tolerance = trial.tolerance()
    H_out = trial.config.output_size
    halves = [slice(0, H_out), slice(H_out, 2 * H_out)]
    own, other = halves[change.direction], halves[1 - change.direction]
    own_moved = not close(changed_output[..., own], output[..., own], tolerance)
    expected = changed_output.clone()
    expected[..., other] = output[..., other]
    assert_close(
        changed_output, expected, clause_id="C10",
        what=f"the output's {HALF_NAMES[1 - change.direction]} half after changing "
        f"{change.describe()}",
        tolerance=tolerance, locate=trial.output_layout().locate,
        hint=(ONE_ROW_FOR_BOTH if own_moved else OTHER_DIRECTION_ONLY).format(**change.words()),
    )
    if own_moved:
        return
    # Units that are off (exactly 0: a ReLU, whatever the kind) at the half's first step in both
    # runs forget h0 for good.
    step_axis = 1 if trial.config.batch_first else 0
    first_step = 0 if change.direction == 0 else output.shape[step_axis] - 1
    first = output.select(step_axis, first_step)[..., own]
    changed_first = changed_output.select(step_axis, first_step)[..., own]
    if bool((_dead(first) & _dead(changed_first)).all()):
        return
    if _row_used_with_other_values(trial, change, layer, x, state, final=False):
        return
    raise trial.fail(
        f"changing {change.describe()} left the output's {HALF_NAMES[change.direction]} half "
        "unchanged at every step",
        hint=ROW_IGNORED.format(**change.words()),
    )


def _row_used_with_other_values(trial: Trial, change: RowChange, layer, x, state, *, final: bool) -> bool:
    """Before calling a row ignored: does a change of the other sign, or to the edge of the drawn
    range, move it? A ReLU unit (with or without a kind) can be off for both drawn values of a
    row it does read (IndRNN: relu(W x + b + u * h0) with both h0 negative)."""
    H_out = trial.config.output_size
    own = slice(change.direction * H_out, (change.direction + 1) * H_out)
    base_output, base_final = trial.run(layer, x, state)
    for value in (2.0, -2.0):
        filled = tuple(t.clone() for t in states_of(state))
        for name, tensor in zip("hc", filled):
            if change.which in (name, "both"):
                tensor[change.row] = value
        probe = filled if isinstance(state, tuple) else filled[0]
        output, probe_final = trial.run(layer, x, probe)
        if final and change.row in _rows_moved(base_final, probe_final, trial.tolerance()):
            return True
        if not final and not close(output[..., own], base_output[..., own], trial.tolerance()):
            return True
    return False


def _own_row_moves(trial: Trial, change: RowChange, layer, x, state, changed) -> None:
    """Row r of h0 must reach row r of the final state. After one step, so that it shows: over T
    steps a small hidden-to-hidden weight can shrink the difference below the tolerance."""
    tolerance = trial.tolerance()
    first = x[:, :1] if trial.config.batch_first else x[:1]
    trial.replay = (
        f"one step; result_2 has {change.describe()} changed; compare row {change.row} of the "
        "two final states",
        [("h0 as drawn", first, state), (f"{change.describe()} changed", first, changed)],
    )
    _, final = trial.run(layer, first, state)
    _, changed_final = trial.run(layer, first, changed)
    row = change.row
    h, changed_h = states_of(final)[0][row], states_of(changed_final)[0][row]
    if bool((_dead(h) & _dead(changed_h)).all()):
        return  # every unit of that row is off (exactly 0) in both runs: the row forgot its h0
    if row in _rows_moved(final, changed_final, tolerance):
        return
    if _row_used_with_other_values(trial, change, layer, first, state, final=True):
        return
    twin = change.direction_major_twin
    hint = ROW_IGNORED.format(**change.words())
    if twin is not None and twin in _rows_moved(final, changed_final, tolerance):
        hint = DIRECTION_MAJOR.format(twin=twin, **change.words())
    raise trial.fail(
        f"changing {change.describe()} left row {row} of the final state unchanged after one "
        f"step (input {tuple(first.shape)}): that layer and direction ignores its initial state",
        hint=hint,
    )


def _rejects_missing_direction_dimension(trial: Trial, layer, x) -> None:
    """An h0 of shape (L, B, H_out) (or (1, B, H_out)) must raise, never be broadcast."""
    config = trial.config
    L, B = config.num_layers, trial.example.batch
    rows = trial.draw(st.sampled_from(sorted({L, 1})), "h0 rows without the direction dimension")
    h0 = trial.tensor((rows, B, config.output_size))
    bad = (h0, trial.tensor((rows, B, config.hidden_size))) if trial.spec.has_cell_state else h0
    try:
        output, _ = adapters.run_layer(trial.spec, layer, x, bad)
    except adapters.AdapterError:
        return  # the spec's hook refused it: rejected before the layer saw it
    except LayerContractError:
        output = None
    except Exception:
        return  # rejected, as it must be
    shapes = " and ".join(str(tuple(t.shape)) for t in states_of(bad))
    hint = MISSING_DIRECTION_ACCEPTED
    if output is not None:
        broadcast = tuple(
            t.repeat_interleave(2, dim=0) if rows == L else t.expand(2 * L, *t.shape[1:])
            for t in states_of(bad)
        )
        expected, _ = trial.run(layer, x, broadcast if len(broadcast) == 2 else broadcast[0])
        if close(output, expected, trial.tolerance()):
            without, _ = trial.run(layer, x)
            ignored = close(output, without, trial.tolerance())
            hint = IGNORED_NOT_BROADCAST if ignored else BROADCAST_OVER_DIRECTIONS
    if trial.spec.call is not None:
        hint += ADAPTER_MAY_VALIDATE
    raise trial.fail(
        f"an initial state of shape {shapes} for num_layers={L} (no direction dimension; expected "
        f"{(2 * L, B, config.output_size)}) was accepted instead of raising an exception",
        hint=hint,
    )


# -- C13 determinism -----------------------------------------------------------------------------
#
# Eval mode must be a function: the same call twice gives bit-identical results. Dropout between
# layers is checked against the same weights built with dropout=0 (eval must equal it) and in
# train mode (it must differ). torch scales the kept units by 1/(1-p), so a train-mode run differs
# from eval even when every unit is kept; a layer that drops without scaling could keep all of them
# by chance (0.5^n for n units), so train mode gets enough tries for that to be below 1e-6.

RANDOM_IN_EVAL = (
    "eval mode draws random numbers: noise added in forward, dropout called with training=True "
    "(F.dropout's default), or an uninitialised tensor (torch.empty) read"
)
RANDOM_DEFAULT_STATE = (
    "with an explicit h0 the runs agree, without one they do not: the default initial state is "
    "random (torch.randn or torch.empty in place of torch.zeros), or the layer keeps state between "
    "calls (the previous call's h_n as the next default h0)"
)
DROPOUT_IN_EVAL = (
    "dropout (or other noise) still acts in eval mode: gate it with self.training (pass "
    "training=self.training to F.dropout, or use an nn.Dropout module)"
)
DEFAULT_STATE_NOT_ZEROS = (
    "the layer's default initial state is not zeros (a learned or random h0, or a state kept from "
    "a previous call); torch starts from zeros when no h0 is given"
)
TRAIN_TRIES_FOR_ONE_IN_A_MILLION = 20  # 0.5^20 < 1e-6


@check("C13")
def determinism(trial: Trial) -> None:
    example = trial.draw_example(allow_dropout=True)
    config = example.config
    if config.num_layers == 1 and config.dropout:
        # dropout acts between layers only (torch warns when L = 1): nothing to check
        config = config.but(dropout=0.0)
        trial.example = example = replace(example, config=config)
    spec = trial.spec
    layer = trial.layer().eval()
    x = trial.input()
    state = trial.initial_state() if example.with_initial_state else None
    run = _seeded_runs(trial)
    first = run(layer, x, state)
    second = run(layer, x, state)
    hint = RANDOM_IN_EVAL
    if config.dropout:
        hint = DROPOUT_IN_EVAL
    elif state is None and spec.features.initial_state and not _identical(first, second):
        zeros = _zero_state(trial)
        if _identical(run(layer, x, zeros), run(layer, x, zeros)):
            hint = RANDOM_DEFAULT_STATE
    trial.replay = (
        "eval mode, the same input twice: result_1 and result_2 must be identical",
        [("first run", x, state), ("second run", x, state)],
        ["layer.eval()"],
    )
    _require_same(trial, second, first, "a second eval-mode run of the same input", EXACT, hint)

    if spec.features.initial_state:
        zeros = _zero_state(trial)
        trial.replay = (
            "eval mode: result_1 (no h0) must equal result_2 (h0 = zeros)",
            [("no h0", x, None), ("h0 = zeros", x, zeros)],
            ["layer.eval()"],
        )
        without = first if state is None else run(layer, x)
        _require_same(
            trial, without, run(layer, x, zeros),
            "a run without h0 (expected: the run with h0 = zeros)", trial.tolerance(),
            DEFAULT_STATE_NOT_ZEROS,
        )

    if config.dropout and config.num_layers >= 2:
        _require_dropout_off_in_eval_only(trial, layer, x, state, first)


def _seeded_runs(trial: Trial):
    """``trial.run`` with torch's generator seeded from the example, a different seed per call.

    A layer that is random in eval mode (the bug this clause looks for) then gives the same
    results when hypothesis replays the example, so its failure is reported, not called flaky;
    and two calls still draw different numbers, so the randomness shows.
    """
    calls = iter(range(1_000, 2_000))
    cuda = [trial.device.index or 0] if trial.device.type == "cuda" else []

    def run(layer, x, state=None):
        with torch.random.fork_rng(devices=cuda):
            torch.manual_seed(trial.example.seed + next(calls))
            return trial.run(layer, x, state)

    return run


def _require_dropout_off_in_eval_only(trial: Trial, layer, x, state, evaluated) -> None:
    config = trial.config
    plain = trial.layer(config.but(dropout=0.0)).eval()
    if trial.spec.features.serialization:
        plain.load_state_dict(layer.state_dict())
    _require_same(
        trial, evaluated, _seeded_runs(trial)(plain, x, state),
        f"eval-mode results with dropout={config.dropout} (expected: the same weights without "
        "dropout)", trial.tolerance(), DROPOUT_IN_EVAL,
    )
    output, final = evaluated
    if not output.any() or (states_of(final) and not states_of(final)[0][:2].any()):
        # relu units all off: the first layer's output (whose last step is h_n rows 0-1) or the
        # whole output is exactly zero, and dropout of zeros changes nothing
        return
    units = trial.example.seq_len * trial.example.batch * 2 * config.output_size * (config.num_layers - 1)
    tries = max(1, -(-TRAIN_TRIES_FOR_ONE_IN_A_MILLION // units))
    layer.train()
    try:
        for attempt in range(tries):
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(trial.example.seed + attempt)
                trained = trial.run(layer, x, state)
            if not close(trained[0], output, trial.tolerance()):
                return
    finally:
        layer.eval()
    raise trial.fail(
        f"train mode with dropout={config.dropout} and {config.num_layers} layers gave the eval-mode "
        f"output in {tries} run(s): dropout between layers is never applied",
        hint="pass the dropout probability to the layers' connections and apply it when "
        "self.training is set",
    )


def _identical(first, second) -> bool:
    pairs = zip((first[0], *states_of(first[1])), (second[0], *states_of(second[1])))
    return all(a.shape == b.shape and torch.equal(a, b) for a, b in pairs)


def _require_same(trial: Trial, actual, expected, what: str, tolerance, hint: str) -> None:
    __tracebackhide__ = True
    trial.assert_same_results(actual, expected, what=what, tolerance=tolerance, hint=hint)


def _zero_state(trial: Trial):
    """h0 = 0 (and c0 = 0) of torch's shapes for the example."""
    config, batch = trial.config, trial.example.batch
    options = dict(dtype=trial.dtype, device=trial.device)
    h0 = torch.zeros(2 * config.num_layers, batch, config.output_size, **options)
    if not trial.spec.has_cell_state:
        return h0
    return h0, torch.zeros(2 * config.num_layers, batch, config.hidden_size, **options)
