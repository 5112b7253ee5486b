"""C6, C12: gradients reach both directions, and are correct.

C6 is about the graph (is every parameter and every input step connected to the loss through
each direction?), C12 about the numbers (does the backward pass compute the derivative of the
forward pass?). A detached backward direction breaks the first; a hand-written autograd.Function
with a wrong derivative breaks the second while every value stays right.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import torch
from torch.autograd.gradcheck import GradcheckError

from conformance import reference
from conformance.adapters import (
    direction_parameters,
    parameter_names,
    states_of,
    torch_named_parameters,
)
from conformance.checks import check, needs_feature
from conformance.checks.symmetry import require_two_halves
from conformance.spec import LayerSpec
from conformance.trial import Trial

DIRECTIONS = ("forward", "backward")


def _group_names(spec: LayerSpec, layer) -> dict[str, tuple[int, int]]:
    """The module's parameter name -> its (layer, direction)."""
    return {name: key for key, names in direction_parameters(spec, layer).items() for name in names}


def _describe_group(group: tuple[int, int] | None) -> str:
    if group is None:
        return "in no (layer, direction) group of the spec"
    return f"layer {group[0]}, {DIRECTIONS[group[1]]} direction"


def _trainable(layer) -> list[tuple[str, torch.Tensor]]:
    return [(name, p) for name, p in layer.named_parameters() if p.requires_grad]


def _time_major(tensor: torch.Tensor, batch_first: bool) -> torch.Tensor:
    return tensor.transpose(0, 1) if batch_first else tensor


# -- C6 ----------------------------------------------------------------------------------------


@check("C6")
def joint_gradient_flow(trial: Trial) -> None:
    # The trap of this clause: with h0 = 0 and T = 1 every hidden-to-hidden weight gets exactly
    # zero gradient (it only ever multiplies h0), and a loss on the last step alone gives the last
    # layer's backward hidden-to-hidden weight none (its output there is its first step). Hence
    # T >= 2 and a loss that weighs every step of both halves.
    example = trial.draw_example(min_steps=2)
    config = example.config
    layer = trial.layer()
    x = trial.input().requires_grad_()
    state = trial.initial_state() if example.with_initial_state else None
    output, _ = trial.run(layer, x, state)
    require_two_halves(trial, output)
    H_out = config.output_size
    loss_weights = trial.tensor(output.shape)
    half_losses = [
        (output[..., :H_out] * loss_weights[..., :H_out]).sum(),
        (output[..., H_out:] * loss_weights[..., H_out:]).sum(),
    ]
    parameters = _trainable(layer)
    gradients = torch.autograd.grad(
        half_losses[0] + half_losses[1],
        [p for _, p in parameters],
        allow_unused=True,
        retain_graph=True,
    )
    proof = _DegeneracyProof(trial, layer, x, state, loss_weights)
    _require_parameter_gradients(trial, layer, parameters, gradients, proof)
    for direction, half_loss in enumerate(half_losses):
        (gradient,) = torch.autograd.grad(half_loss, x, allow_unused=True, retain_graph=True)
        _require_input_gradient(trial, gradient, direction, proof)


def _require_parameter_gradients(trial: Trial, layer, parameters, gradients, proof) -> None:
    groups = _group_names(trial.spec, layer)
    problems: dict[str, list[str]] = {"none": [], "non-finite": [], "zero": []}
    for (name, _), gradient in zip(parameters, gradients):
        if gradient is None:
            problems["none"].append(name)
        elif not bool(torch.isfinite(gradient).all()):
            problems["non-finite"].append(name)
        elif not bool((gradient != 0).any()) and not proof.parameter_gradient_is_zero(name):
            problems["zero"].append(name)
    described = {
        "none": "get no gradient at all (they are not in the graph of the output)",
        "non-finite": "get a NaN or infinite gradient",
        "zero": "get an all-zero gradient",
    }
    for problem, names in problems.items():
        if not names:
            continue
        listed = "; ".join(f"{name} ({_describe_group(groups.get(name))})" for name in names)
        raise trial.fail(
            f"{len(names)} parameter(s) {described[problem]} from one loss that weighs every "
            f"step of both halves of the output (T={trial.example.seq_len}): {listed}",
            hint=_parameter_hint(names, groups, layer) if problem != "non-finite" else None,
        )


def _parameter_hint(names: list[str], groups: dict[str, tuple[int, int]], layer) -> str:
    broken = {groups.get(name) for name in names}
    whole_groups = [
        group
        for group in broken
        if group is not None and all(n in names for n, g in groups.items() if g == group)
    ]
    if whole_groups:
        where = ", ".join(_describe_group(group) for group in sorted(whole_groups))
        return (
            f"every parameter of the {where} is cut off: is that direction's output detached "
            "(.detach(), .data, torch.no_grad()) or replaced before it reaches the output?"
        )
    return (
        "only some parameters of a direction are cut off: does the direction use its twin's "
        "parameter (e.g. the forward direction's weight_hh) instead of its own, or detach it?"
    )


def _require_input_gradient(trial: Trial, gradient, direction: int, proof) -> None:
    """The input at every step of every sequence gets gradient through this half of the output."""
    T, B = trial.example.seq_len, trial.example.batch
    if gradient is None:
        missing = [(t, b) for t in range(T) for b in range(B)]
    else:
        reached = (_time_major(gradient, trial.config.batch_first) != 0).any(dim=-1)
        missing = [(t, b) for t in range(T) for b in range(B) if not reached[t, b]]
    missing = [(t, b) for t, b in missing if not proof.input_gradient_is_zero(direction, t, b)]
    if not missing:
        return
    half = DIRECTIONS[direction]
    places = ", ".join(f"step {t} of batch element {b}" for t, b in missing[:6])
    if len(missing) > 6:
        places += f" and {len(missing) - 6} more"
    raise trial.fail(
        f"the input gets no gradient through the {half} half of the output at {places} "
        f"({len(missing)} of {T * B} (step, batch element) places; loss: the {half} half "
        "weighed at every step)",
        hint=f"the {half} direction's path from the input is cut: is its input detached "
        "(x.detach(), .data) before the direction runs, or its output detached?"
        if gradient is None or len(missing) == T * B
        else None,
    )


class _DegeneracyProof:
    """Proves a zero gradient legitimate by computing it with the reference equations.

    A ReLU unit that is dead at every step passes no gradient, so "non-zero for generic inputs"
    fails on some draws for a correct layer. When the layer declares its kind, the float64
    reference with the same parameters, input and loss tells whether that zero is what the
    equations give; only such a zero is excused. Without a kind nothing is excused. (Computed
    lazily: only a zero gradient pays for it.)
    """

    def __init__(self, trial: Trial, layer, x, state, loss_weights) -> None:
        self._trial, self._layer = trial, layer
        self._x, self._state, self._loss_weights = x, state, loss_weights
        self._computed: dict | None = None

    def parameter_gradient_is_zero(self, own_name: str) -> bool:
        gradients = self._gradients()
        if gradients is None or own_name not in gradients["parameters"]:
            return False
        return not bool((gradients["parameters"][own_name] != 0).any())

    def input_gradient_is_zero(self, direction: int, t: int, b: int) -> bool:
        gradients = self._gradients()
        if gradients is None:
            return False
        step = _time_major(gradients["input"][direction], self._trial.config.batch_first)[t, b]
        return not bool((step != 0).any())

    def _gradients(self) -> dict | None:
        if self._computed is not None or self._trial.spec.kind is None:
            return self._computed
        trial, config = self._trial, self._trial.config
        try:
            own_names = {torch_name: own for torch_name, own in parameter_names(trial.spec, self._layer).items()}
            parameters = {
                torch_name: tensor.detach().to("cpu", torch.float64).requires_grad_()
                for torch_name, tensor in torch_named_parameters(trial.spec, self._layer).items()
            }
            x = self._x.detach().to("cpu", torch.float64).requires_grad_()
            state = self._state
            if state is not None:
                state = tuple(s.detach().to("cpu", torch.float64) for s in states_of(state))
                state = state if trial.spec.has_cell_state else state[0]
            output, _ = reference.reference_forward(
                trial.spec.kind,
                parameters,
                x,
                state,
                num_layers=config.num_layers,
                hidden_size=config.hidden_size,
                proj_size=config.proj_size,
                batch_first=config.batch_first,
            )
        except Exception:  # a layer the reference cannot describe: nothing can be proven
            return None
        H_out = config.output_size
        weights = self._loss_weights.detach().to("cpu", torch.float64)
        halves = [
            (output[..., :H_out] * weights[..., :H_out]).sum(),
            (output[..., H_out:] * weights[..., H_out:]).sum(),
        ]
        leaves = list(parameters.values())
        total = torch.autograd.grad(halves[0] + halves[1], leaves, allow_unused=True, retain_graph=True)
        self._computed = {
            "parameters": {
                own_names[name]: torch.zeros_like(p) if g is None else g
                for (name, p), g in zip(parameters.items(), total)
            },
            "input": [
                torch.autograd.grad(half, x, retain_graph=True)[0] for half in halves
            ],
        }
        return self._computed


# -- C12 ---------------------------------------------------------------------------------------

GRADCHECK_LIMITS = {"seq_len": 3, "batch": 2, "size": 3, "layers": 2}


def _gradcheck_applies(spec: LayerSpec, device: str) -> str | None:
    reason = needs_feature("gradcheck", "gradcheck perturbs every input, state and parameter")(
        spec, device
    )
    if reason is None and "float64" not in spec.features.dtypes:
        reason = f"{spec.name} does not support float64, which gradcheck's finite differences need"
    return reason


class _Calling(torch.nn.Module):
    """Holds the layer so that torch.func.functional_call can swap its parameters for gradcheck's
    inputs while the call still goes through the trial (and so through the spec's call hook)."""

    def __init__(self, trial: Trial, layer) -> None:
        super().__init__()
        self.trial = trial
        self.layer = layer

    def forward(self, x, state):
        return self.trial.run(self.layer, x, state)


@check("C12", requires=_gradcheck_applies, examples_factor=0.25)
def gradient_correctness(trial: Trial) -> None:
    example = trial.draw_example(max_layers=GRADCHECK_LIMITS["layers"])
    _shrink_for_gradcheck(trial)
    example, spec = trial.example, trial.spec
    float64 = torch.float64
    layer = trial.layer(dtype=float64)
    x = trial.input(dtype=float64).requires_grad_()
    state = trial.initial_state(dtype=float64) if example.with_initial_state else None
    states = [s.requires_grad_() for s in states_of(state)] if state is not None else []
    parameters = _trainable(layer)
    names = [name for name, _ in parameters]
    leaves = [p.detach().clone().requires_grad_() for _, p in parameters]
    calling = _Calling(trial, layer)

    def function(x, *rest):
        given = None
        if states:
            given = tuple(rest[: len(states)]) if spec.has_cell_state else rest[0]
        values = {f"layer.{name}": value for name, value in zip(names, rest[len(states):])}
        output, final = torch.func.functional_call(calling, values, (x, given))
        return (output, *states_of(final))

    inputs = (x, *states, *leaves)
    try:
        torch.autograd.gradcheck(function, inputs, fast_mode=True)
        return
    except GradcheckError as error:
        verdict = str(error).strip().splitlines()[0].rstrip(",.:")

    labels = ["x"] + (["h0", "c0"][: len(states)]) + names
    outputs = ["output", "h_n", "c_n"]
    verdict = re.sub(r"input (\d+)", lambda m: labels[int(m.group(1))], verdict)
    verdict = re.sub(r"output (\d+)", lambda m: outputs[int(m.group(1))], verdict)
    groups = _group_names(spec, layer)
    wrong = _diagnose(function, inputs, labels)
    if not wrong:
        raise trial.fail(f"torch.autograd.gradcheck failed: {verdict}")
    listed = ", ".join(
        finding.label
        + (f" ({_describe_group(groups[finding.label])})" if finding.label in groups else "")
        for finding in wrong
    )
    raise trial.fail(
        f"torch.autograd.gradcheck failed ({verdict}); the analytical gradient disagrees with "
        f"finite differences with respect to {listed} (worst first)",
        hint=_gradcheck_hint(wrong, groups),
    )


def _shrink_for_gradcheck(trial: Trial) -> None:
    """gradcheck costs two runs per perturbed number: clamp the drawn sizes to small ones."""
    example, limits = trial.example, GRADCHECK_LIMITS
    config = example.config
    hidden = min(config.hidden_size, limits["size"])
    trial.example = replace(
        example,
        config=config.but(
            input_size=min(config.input_size, limits["size"]),
            hidden_size=hidden,
            proj_size=min(config.proj_size, hidden - 1),
        ),
        seq_len=min(example.seq_len, limits["seq_len"]),
        batch=min(example.batch, limits["batch"]),
    )


@dataclass(frozen=True)
class WrongGradient:
    """One input whose analytical gradient disagrees with finite differences."""

    label: str
    excess: float  # relative disagreement, for ordering
    vanishes: bool  # autograd gives exactly zero where finite differences do not
    scale: float | None  # analytical = scale * numerical along every probed direction


def _diagnose(function, inputs, labels, eps: float = 1e-6) -> list[WrongGradient]:
    """Every input whose gradient is wrong, worst first.

    Per input tensor, the derivative of a random projection of the outputs along two random
    directions, by autograd and by central differences: four runs per tensor, cheap enough to
    repeat on every example hypothesis replays while it shrinks.
    """
    generator = torch.Generator().manual_seed(0)
    projections = [
        torch.randn(o.shape, generator=generator, dtype=o.dtype).to(o.device)
        for o in function(*inputs)
    ]

    def scalar(*arguments):
        return sum((o * p).sum() for o, p in zip(function(*arguments), projections))

    analytical = torch.autograd.grad(scalar(*inputs), inputs, allow_unused=True)
    found = []
    with torch.no_grad():
        for tensor, gradient, label in zip(inputs, analytical, labels):
            pairs = []
            for _ in range(2):
                direction = torch.randn(
                    tensor.shape, generator=generator, dtype=tensor.dtype
                ).to(tensor.device)
                original = tensor.clone()
                tensor.add_(direction, alpha=eps)
                above = float(scalar(*inputs))
                tensor.copy_(original).add_(direction, alpha=-eps)
                below = float(scalar(*inputs))
                tensor.copy_(original)
                given = 0.0 if gradient is None else float((gradient * direction).sum())
                pairs.append((given, (above - below) / (2 * eps)))
            excess = max(abs(g - n) - (1e-5 + 1e-3 * abs(n)) for g, n in pairs)
            if excess <= 0:
                continue
            vanishes = gradient is None or not bool((gradient != 0).any())
            ratios = [g / n for g, n in pairs if abs(n) > 1e-6]
            scale = None
            if tensor.numel() > 1 and len(ratios) == 2 and abs(ratios[0] - ratios[1]) <= 1e-3 * abs(ratios[0]):
                scale = ratios[0]
            size = max(abs(n) for _, n in pairs) + 1e-12
            found.append(WrongGradient(label, excess / size, vanishes, scale))
    return sorted(found, key=lambda finding: -finding.excess)


def _gradcheck_hint(wrong: list[WrongGradient], groups) -> str:
    worst = wrong[0]
    hints = []
    vanishing = [finding.label for finding in wrong if finding.vanishes]
    if vanishing:
        hints.append(
            f"autograd gives exactly zero gradient with respect to {', '.join(vanishing)} where "
            "the output does depend on it: part of the computation is detached (.detach(), "
            ".data, torch.no_grad())"
        )
    elif worst.scale is not None and abs(worst.scale) > 1e-3:
        hints.append(
            f"the analytical gradient with respect to {worst.label} is {worst.scale:.3g} times "
            "the true one: a missing or extra factor in a hand-written backward"
        )
    directions = {groups[finding.label][1] for finding in wrong if finding.label in groups}
    if len(directions) == 1:
        hints.append(
            f"only {DIRECTIONS[directions.pop()]}-direction parameters are wrong (and whatever "
            "flows through them)"
        )
    if not vanishing:
        hints.append("look at hand-written autograd.Function backward passes and custom kernels")
    return "; ".join(hints)
