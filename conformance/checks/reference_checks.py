"""C11, C15: agreement with the float64 reference of the declared kind, and precision per dtype.

C11 runs the layer and ``conformance.reference`` (PyTorch's documented equations, written out)
on the same parameters, input and h0, and compares outputs, final states and the gradients of one
loss w.r.t. the input, h0/c0 and every parameter. When they differ it tries the well-known
mistakes (gate blocks in another order, GRU's b_hn outside the reset product, a backward direction
that does not reverse...) by running the reference on correspondingly altered parameters: a match
names the bug.

C15 runs every declared dtype: outputs and states must keep the input's dtype and agree with the
float64 run within that dtype's tolerance; in float64 the precision must really be float64.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator

import torch
from hypothesis import event
from torch import Tensor

from conformance import adapters
from conformance.checks import check, needs_parameter_map
from conformance.checks.devices import (
    Conditioning,
    dtype_skip_reason,
    float32_may_use_tf32,
    widened,
)
from conformance.checks.results import (
    assert_all_close,
    cast_state,
    copy_parameters,
    forward_run,
    loss_weights,
)
from conformance.compare import close, max_error
from conformance.reference import reference_forward
from conformance.spec import LayerSpec
from conformance.tolerances import tolerance_for
from conformance.trial import Trial

GATES = {"gru": ("r", "z", "n"), "lstm": ("i", "f", "g", "o")}
GATE_PARAMETER = re.compile(r"^(weight|bias)_(ih|hh)_l\d+(_reverse)?$")

# A float64 computation gives values exactly representable in float32 with probability about
# 2**-29 each; with this many non-zero values a float64 layer never trips the test by chance.
MIN_VALUES_FOR_FLOAT32_TEST = 8

# From the finest to the coarsest precision.
PRECISION_ORDER = [torch.float64, torch.float32, torch.float16, torch.bfloat16]

FLOAT32_ONLY = (
    "the layer agrees with the reference only to float32 precision: the equations are right, but "
    "something computes in float32 (a .float(), a float32 buffer or constant, "
    "torch.get_default_dtype()); C15 checks the precision"
)


# --- running the reference --------------------------------------------------------------------


def reference_values(trial: Trial, parameters, x: Tensor, state, **overrides) -> dict[str, Tensor]:
    """The reference's output and final states (float64, no gradients) for the example."""
    with torch.no_grad():
        run = forward_run(_reference(trial, parameters, **overrides), x, state, {})
    return run.detached()


def _reference(trial: Trial, parameters, **overrides) -> Callable:
    config = trial.config
    options = dict(
        num_layers=config.num_layers,
        hidden_size=config.hidden_size,
        proj_size=config.proj_size,
        batch_first=config.batch_first,
    )
    options.update(overrides)

    def forward(x, state):
        x = x.to(torch.float64)
        state = cast_state(state, dtype=torch.float64, device=x.device)
        return reference_forward(trial.spec.kind, parameters, x, state, **options)

    return forward


def torch_named(trial: Trial, layer) -> dict[str, Tensor]:
    """The layer's parameters under torch's names, or a failure that says how to provide them."""
    parameters = adapters.torch_named_parameters(trial.spec, layer)
    if not parameters:
        raise trial.fail(
            f"{trial.spec.name} has no parameters named as torch's (weight_ih_l0, ...)",
            hint="give the spec a `parameter_names` hook mapping torch's names to the layer's own",
        )
    return parameters


def _label(name: str, mapped) -> str:
    """A parameter's name for messages: torch's, and the layer's own where it differs."""
    return name if str(mapped) == name else f"{name} ({mapped})"


def _own_leaves(trial: Trial, layer) -> dict[str, Tensor]:
    """The layer's own parameters that the map uses: the leaves both runs take gradients for."""
    used = {adapters.own_name(m) for m in adapters.parameter_names(trial.spec, layer).values()}
    return {name: p for name, p in layer.named_parameters() if name in used}


def _in_torch_terms(trial: Trial, layer, gradients: dict[str, Tensor]) -> dict[str, Tensor]:
    """Gradients keyed ``parameter <own name>`` rearranged to torch's names and layout (through
    the map's views), so that a transposed or sliced parameter is compared where it belongs."""
    prefix = "parameter "
    own = {k[len(prefix) :]: v for k, v in gradients.items() if k.startswith(prefix)}
    result = {k: v for k, v in gradients.items() if not k.startswith(prefix)}
    names = adapters.parameter_names(trial.spec, layer)
    for name, value in adapters.torch_gradients(trial.spec, layer, own).items():
        result[f"{prefix}{_label(name, names[name])}"] = value
    return result


# --- C11 ------------------------------------------------------------------------------------------


def _requires_kind(spec: LayerSpec, device: str) -> str | None:
    if spec.kind is not None:
        return needs_parameter_map("C11 runs the reference on the layer's own weights")(spec, device)
    return (
        f"{spec.name} declares no kind; declare kind=... (rnn_tanh, rnn_relu, gru or lstm) to "
        "compare with the reference"
    )


@check("C11", requires=_requires_kind)
def agrees_with_reference(trial: Trial) -> None:
    example = trial.draw_example()
    layer = trial.layer().train()  # the drawn dropout is 0: train mode computes the same
    x = trial.input()
    state = trial.initial_state() if example.with_initial_state else None
    parameters = torch_named(trial, layer)
    leaves = _own_leaves(trial, layer)
    try:
        expected = forward_run(_reference(trial, parameters), x, state, leaves)
    except (KeyError, ValueError, TypeError) as error:
        raise trial.fail(
            f"the reference cannot run on {trial.spec.name}'s parameters: {error}",
            hint="the parameters under torch's names must have torch's shapes for the declared "
            f"kind {trial.spec.kind!r}; check the spec's `parameter_names` hook and `kind`",
        ) from error
    actual = forward_run(lambda x_, s_: trial.run(layer, x_, s_), x, state, leaves)
    values, wanted = actual.detached(), expected.detached()
    if not trial.spec.features.returns_state:  # an output-only layer: compare what it returns
        wanted = {name: value for name, value in wanted.items() if name in values}
        expected.values = {name: value for name, value in expected.values.items() if name in values}
    weights = loss_weights(expected.detached(), trial.tensor)
    # A layer returning a lower precision than its input (C1 and C15 report that) is compared at
    # the precision it returns: C11 is about the equations.
    dtypes = [trial.dtype] + [v.dtype for v in values.values() if v.dtype in PRECISION_ORDER]
    coarsest = max(dtypes, key=PRECISION_ORDER.index)
    tolerance, layout = tolerance_for(coarsest), trial.output_layout()
    hint = None
    if not _all_close(values, wanted, tolerance):
        hint = recognised_mistake(trial, values, wanted, parameters, x, state)
    assert_all_close(
        values,
        wanted,
        clause_id="C11",
        tolerance=tolerance,
        layout=layout,
        prefix="reference vs layer: ",
        hint=hint,
    )
    gradients = _in_torch_terms(trial, layer, actual.gradients(weights))
    wanted_gradients = _in_torch_terms(trial, layer, expected.gradients(weights))
    gradient_tolerance = tolerance_for(coarsest, gradient=True)
    hint = (
        "outputs and states agree with the reference but this gradient does not: a "
        "hand-written backward, a .detach()/.data, or an in-place update breaks autograd"
    )
    if _lower_precision_only(gradients, wanted_gradients, coarsest, gradient=True):
        hint = FLOAT32_ONLY
    assert_all_close(
        gradients,
        wanted_gradients,
        clause_id="C11",
        tolerance=gradient_tolerance,
        layout=layout,
        gradient=True,
        prefix="reference vs layer: ",
        hint=hint,
    )
    _require_same_values_in_eval_mode(trial, layer, x, state, wanted, tolerance, layout)


def _require_same_values_in_eval_mode(trial: Trial, layer, x, state, wanted, tolerance, layout) -> None:
    """The equations hold in both modes: with dropout 0, eval mode must give the same values.

    Users run inference in eval mode; a layer with an eval-only path (an inference fast path,
    a cached fused weight) can be wrong there while train mode agrees with the reference.
    """
    layer.eval()
    try:
        with torch.no_grad():
            output, final = trial.run(layer, x.clone(), _cloned(state))
    finally:
        layer.train()
    values = {"output": output, **dict(zip(("h_n", "c_n"), adapters.states_of(final)))}
    assert_all_close(
        {name: value.detach() for name, value in values.items()},
        wanted,
        clause_id="C11",
        tolerance=tolerance,
        layout=layout,
        prefix="reference vs layer in eval mode (dropout 0; train mode agreed): ",
        hint="the layer computes differently in eval mode: an inference-only path "
        "(self.training checks, torch.no_grad fast paths, cached weights) is wrong",
    )


def _cloned(state):
    if state is None:
        return None
    return tuple(t.clone() for t in state) if isinstance(state, tuple) else state.clone()


def _all_close(values, wanted, tolerance) -> bool:
    return all(name in values and close(values[name], wanted[name], tolerance) for name in wanted)


def _lower_precision_only(values, wanted, dtype, *, gradient: bool = False) -> bool:
    """Beyond ``dtype``'s tolerance but within float32's: a precision problem, not an equation."""
    if dtype != torch.float64:
        return False
    return not _all_close(values, wanted, tolerance_for(dtype, gradient=gradient)) and _all_close(
        values, wanted, tolerance_for(torch.float32, gradient=gradient)
    )


def recognised_mistake(trial: Trial, values, wanted, parameters, x, state) -> str | None:
    """The hint of the first well-known mistake whose reference reproduces ``values``."""
    if _lower_precision_only(values, wanted, trial.dtype):
        return FLOAT32_ONLY
    tolerance = trial.tolerance()
    for text, alternative in _known_mistakes(trial, parameters, x, state):
        try:
            candidate = alternative()
        except Exception:  # an alteration that does not apply to this configuration
            continue
        if all(
            name in candidate and close(value, candidate[name], tolerance)
            for name, value in values.items()
        ):
            return text
    return None


def _known_mistakes(trial: Trial, parameters, x, state) -> Iterator[tuple[str, Callable]]:
    kind, config = trial.spec.kind, trial.config
    detached = {name: p.detach() for name, p in parameters.items()}

    def with_parameters(altered, **overrides):
        return lambda: reference_values(trial, altered(), x, state, **overrides)

    if kind in GATES:
        names = GATES[kind]
        for order in itertools.permutations(range(len(names))):
            if order == tuple(range(len(names))):
                continue
            layer_order = [""] * len(names)
            for j, block in enumerate(order):
                layer_order[block] = names[j]
            yield (
                f"the layer matches the reference with its gate blocks in the order "
                f"({', '.join(layer_order)}); torch's order is ({', '.join(names)})",
                with_parameters(lambda order=order: _permute_gates(detached, len(names), order)),
            )
    if kind == "gru":
        yield (
            "the layer matches h' = z * n + (1 - z) * h; torch's GRU is h' = (1 - z) * n + z * h",
            with_parameters(lambda: _negate_gate(detached, 3, 1)),
        )
        if config.bias:
            yield (
                "the layer matches n = tanh(W_in x + b_in + b_hn + r * (W_hn h)): b_hn must be "
                "inside the reset gate's product, n = tanh(W_in x + b_in + r * (W_hn h + b_hn))",
                with_parameters(lambda: _move_gru_hidden_bias(detached, keep=True)),
            )
            yield (
                "the layer matches the reference without b_hn (bias_hh's n block): it must enter "
                "as n = tanh(W_in x + b_in + r * (W_hn h + b_hn))",
                with_parameters(lambda: _move_gru_hidden_bias(detached, keep=False)),
            )
    for name in detached:
        twin = name + "_reverse"
        if twin in detached and detached[twin].shape == detached[name].shape:
            yield (
                f"the backward direction uses the forward direction's {name} instead of {twin}",
                with_parameters(lambda name=name, twin=twin: {**detached, twin: detached[name]}),
            )
    if state is not None:
        for direction in (0, 1):
            yield (
                f"the layer matches the reference with h0 row 2l+{direction} used for both "
                f"directions of every layer: each direction must start from its own row "
                "(row 2l forward, row 2l+1 backward)",
                lambda direction=direction: reference_values(
                    trial, detached, x, _one_row_for_both(state, direction)
                ),
            )
    if state is not None and config.num_layers > 1:
        yield (
            "the layer reads h0 direction-major (row d*L + l); torch's row for layer l, "
            "direction d is 2l + d",
            lambda: reference_values(
                trial, detached, x, _direction_major(state, config.num_layers)
            ),
        )
    if config.num_layers == 1:
        yield (
            "the backward direction runs forward in time: it must read the sequence from its "
            "last step to its first",
            lambda: _backward_not_reversed(trial, detached, x, state),
        )
        yield (
            "the backward half is the reference's backward half reversed in time: the backward "
            "direction's outputs must be flipped back so that step t holds its state at t",
            lambda: _flip_backward_half(trial, reference_values(trial, detached, x, state)),
        )
        yield (
            "the output's halves are exchanged: torch's output is [forward; backward] per step",
            lambda: _swap_halves(trial, reference_values(trial, detached, x, state)),
        )


def _one_row_for_both(state, direction: int):
    """The initial state a layer that feeds row 2l+direction to both directions receives."""

    def shared(tensor):
        rows = [2 * (row // 2) + direction for row in range(tensor.shape[0])]
        return tensor[rows]

    return tuple(shared(t) for t in state) if isinstance(state, tuple) else shared(state)


def _direction_major(state, num_layers: int):
    """The initial state a layer reading rows as (direction, layer) effectively receives."""
    order = [direction * num_layers + layer for layer in range(num_layers) for direction in (0, 1)]
    if isinstance(state, tuple):
        return tuple(t[order] for t in state)
    return state[order]


def _permute_gates(parameters, blocks: int, order) -> dict[str, Tensor]:
    """Block j of each gate parameter becomes the original block order[j]."""
    result = dict(parameters)
    for name, tensor in parameters.items():
        if GATE_PARAMETER.match(name):
            chunks = tensor.chunk(blocks, dim=0)
            result[name] = torch.cat([chunks[k] for k in order], dim=0)
    return result


def _negate_gate(parameters, blocks: int, gate: int) -> dict[str, Tensor]:
    """sigmoid(-a) = 1 - sigmoid(a): negating a gate's block flips it."""
    result = dict(parameters)
    for name, tensor in parameters.items():
        if GATE_PARAMETER.match(name):
            chunks = list(tensor.chunk(blocks, dim=0))
            chunks[gate] = -chunks[gate]
            result[name] = torch.cat(chunks, dim=0)
    return result


def _move_gru_hidden_bias(parameters, *, keep: bool) -> dict[str, Tensor]:
    """b_hn out of the reset product: added to b_in (keep) or dropped."""
    result = dict(parameters)
    for name, bias_hh in parameters.items():
        if not name.startswith("bias_hh"):
            continue
        ih_name = name.replace("bias_hh", "bias_ih")
        hidden = bias_hh.shape[0] // 3
        moved = bias_hh.clone()
        moved[2 * hidden :] = 0
        result[name] = moved
        if keep:
            bias_ih = parameters[ih_name].clone()
            bias_ih[2 * hidden :] += bias_hh[2 * hidden :]
            result[ih_name] = bias_ih
    return result


def _backward_not_reversed(trial: Trial, parameters, x, state) -> dict[str, Tensor]:
    """One layer whose backward direction reads the input forward, as a unidirectional one."""
    forward_parameters = {n: p for n, p in parameters.items() if not n.endswith("_reverse")}
    backward_parameters = {
        n.removesuffix("_reverse"): p for n, p in parameters.items() if n.endswith("_reverse")
    }
    rows = (
        [None, None]
        if state is None
        else [tuple(t[d : d + 1] for t in adapters.states_of(state)) for d in (0, 1)]
    )
    halves = []
    for direction_parameters, row in zip((forward_parameters, backward_parameters), rows):
        if row is not None and not trial.spec.has_cell_state:
            row = row[0]
        halves.append(reference_values(trial, direction_parameters, x, row, bidirectional=False))
    result = {"output": torch.cat([halves[0]["output"], halves[1]["output"]], dim=-1)}
    for name in ("h_n", "c_n"):
        if name in halves[0]:
            result[name] = torch.cat([halves[0][name], halves[1][name]], dim=0)
    return result


def _halves(trial: Trial, output: Tensor) -> tuple[Tensor, Tensor]:
    size = trial.config.output_size
    return output[..., :size], output[..., size:]


def _flip_backward_half(trial: Trial, values) -> dict[str, Tensor]:
    forward, backward = _halves(trial, values["output"])
    time = 1 if trial.config.batch_first else 0
    return {**values, "output": torch.cat([forward, backward.flip(time)], dim=-1)}


def _swap_halves(trial: Trial, values) -> dict[str, Tensor]:
    forward, backward = _halves(trial, values["output"])
    return {**values, "output": torch.cat([backward, forward], dim=-1)}


# --- C15 ------------------------------------------------------------------------------------------


@check("C15", examples_factor=0.5)
def dtype_and_precision(trial: Trial) -> None:
    example = trial.draw_example()
    spec, device = trial.spec, str(trial.device)
    x64 = trial.input(dtype=torch.float64)
    state64 = trial.initial_state(dtype=torch.float64) if example.with_initial_state else None
    for dtype_name in spec.features.dtypes:
        reason = dtype_skip_reason(device, dtype_name)
        if reason:
            event(f"C15: {dtype_name} skipped: {reason}")
            continue
        dtype = getattr(torch, dtype_name)
        layer = trial.layer(dtype=dtype)
        x = x64.to(dtype)
        state = cast_state(state64, dtype=dtype, device=trial.device)
        with torch.no_grad():
            run = forward_run(lambda x_, s_, layer=layer: trial.run(layer, x_, s_), x, state, {})
        values = run.detached()
        _require_input_dtype(trial, values, dtype)
        if dtype == torch.float64:
            _require_float64_precision(trial, layer, values, x, state)
        else:
            _require_agreement_with_float64(trial, layer, values, x, state, dtype)


def _require_input_dtype(trial: Trial, values: dict[str, Tensor], dtype: torch.dtype) -> None:
    for name, value in values.items():
        if value.dtype == dtype:
            continue
        hint = "outputs and states must follow the input's dtype"
        if value.dtype == torch.get_default_dtype():
            hint = (
                "the result has torch's default dtype: a cast to torch.get_default_dtype(), a "
                "`.float()`, or a tensor created without dtype= sets the result's dtype"
            )
        raise trial.fail(f"{name} is {value.dtype} for a {dtype} input", hint=hint)


def _require_float64_precision(trial: Trial, layer, values, x, state) -> None:
    """float64 results that float32 could have produced reveal a float32 computation."""
    pooled = torch.cat([value.flatten() for value in values.values()])
    pooled = pooled[pooled != 0]
    if pooled.numel() >= MIN_VALUES_FOR_FLOAT32_TEST and bool(
        (pooled == pooled.to(torch.float32).to(torch.float64)).all()
    ):
        raise trial.fail(
            f"every one of the {pooled.numel()} non-zero float64 output and state values is "
            "exactly representable in float32 (a float64 computation essentially never gives that)",
            hint="the layer computes in float32 and casts back",
        )
    if trial.spec.kind is None:
        return
    try:
        wanted = reference_values(trial, torch_named(trial, layer), x, state)
    except Exception:  # a layer the reference cannot run is C11's failure, not C15's
        return
    float64, float32 = tolerance_for(torch.float64), tolerance_for(torch.float32)
    for name, value in values.items():
        if name not in wanted or value.shape != wanted[name].shape:
            return
        largest, _, beyond_float64 = max_error(value, wanted[name], float64)
        # A difference beyond float32's tolerance is a wrong equation: C11 reports that.
        if beyond_float64 and close(value, wanted[name], float32):
            raise trial.fail(
                f"the float64 {name} agrees with the float64 reference only to {largest:.3g}, "
                f"float32 precision (float64 tolerance rtol={float64.rtol:g}, atol={float64.atol:g})",
                hint="the layer computes in float32 somewhere (a .float(), a float32 buffer or "
                "constant, torch.get_default_dtype()) and casts back",
            )


def _require_agreement_with_float64(trial: Trial, layer, values, x, state, dtype) -> None:
    """The same rounded weights and input, run in float64 (or by the reference)."""
    __tracebackhide__ = True
    # a device without float64 (MPS) is compared with the CPU
    device = "cpu" if dtype_skip_reason(str(trial.device), "float64") else trial.device
    x64 = x.to(device=device, dtype=torch.float64)
    state64 = cast_state(state, dtype=torch.float64, device=device)
    if "float64" in trial.spec.features.dtypes:
        twin = trial.layer(dtype=torch.float64, device=device)
        copy_parameters(twin, layer)
        with torch.no_grad():
            run = forward_run(lambda x_, s_: trial.run(twin, x_, s_), x64, state64, {})
        wanted, against = run.detached(), "the float64 run of the same weights"
        conditioning = Conditioning(trial, twin, x64, state64, None, dtype)
    elif trial.spec.kind is not None:
        parameters = {name: p.to(device) for name, p in torch_named(trial, layer).items()}
        wanted = reference_values(trial, parameters, x64, state64)
        against, conditioning = "the float64 reference", None
    else:
        return
    dtype_name = str(dtype).removeprefix("torch.")
    tf32 = dtype == torch.float32 and float32_may_use_tf32(str(trial.device))
    tolerance = tolerance_for(dtype, tf32=tf32)
    # An ill-conditioned layer's float32 values differ from float64 by what its conditioning gives.
    tolerance, note = widened(
        conditioning, values, wanted, tolerance, gradient=False, what="value"
    )
    hint = None
    for lower in ("float16", "bfloat16"):
        if (
            lower != dtype_name
            and tolerance_for(lower).rtol > tolerance.rtol
            and all(
                close(values[name], wanted[name], tolerance_for(lower))
                for name in wanted
                if name in values
            )
        ):
            hint = f"the {dtype_name} results are only as precise as {lower}: the layer computes in a lower precision"
            break
    assert_all_close(
        values,
        wanted,
        clause_id=trial.clause_id,
        tolerance=tolerance,
        layout=trial.output_layout(),
        prefix=f"{dtype_name}{' (TF32 allowed)' if tf32 else ''} vs {against}: {note}",
        hint=hint,
    )
