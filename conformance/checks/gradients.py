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
from hypothesis import event
from torch.autograd.gradcheck import GradcheckError

from conformance.adapters import (
    TORCH_PARAMETER,
    bias_like_parameters,
    direction_parameters,
    own_name,
    parameter_names,
    states_of,
)
from conformance.checks import check, needs_feature
from conformance.checks.symmetry import require_two_halves
from conformance.compare import close
from conformance.parameter_views import ParameterView
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
    _require_no_bias_when_off(trial, layer)
    parameters = _trainable(layer)
    gradients = torch.autograd.grad(
        half_losses[0] + half_losses[1],
        [p for _, p in parameters],
        allow_unused=True,
        retain_graph=True,
    )
    input_gradients = [
        torch.autograd.grad(half_loss, x, allow_unused=True, retain_graph=True)[0]
        for half_loss in half_losses
    ]
    # The proof nudges parameters in place: only once the graph has given every gradient.
    proof = _DegeneracyProof(trial, layer, x, state, loss_weights)
    _require_parameter_gradients(trial, layer, parameters, gradients, proof)
    for direction, gradient in enumerate(input_gradients):
        _require_input_gradient(trial, gradient, direction, proof)


def _require_no_bias_when_off(trial: Trial, layer) -> None:
    """bias=False must build a layer without biases (a bias that stays trains where the user
    asked for none; C11's reference would even use it and agree)."""
    if trial.config.bias:
        return
    found = bias_like_parameters(trial.spec, layer)
    if found:
        raise trial.fail(
            f"built with bias=False, the layer still has bias parameters: {', '.join(found)}",
            hint="pass bias through to every linear map of both directions (nn.Linear(..., "
            "bias=bias)), or register no bias parameter when bias is False",
        )


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
    for label, group in _directions_without_gradient(trial, layer, parameters, gradients, proof):
        problems["zero"].append(label)
        groups[label] = group
    for problem, names in problems.items():
        if not names:
            continue
        listed = "; ".join(f"{name} ({_describe_group(groups.get(name))})" for name in names)
        raise trial.fail(
            f"{len(names)} parameter(s) {described[problem]} from one loss that weighs every "
            f"step of both halves of the output (T={trial.example.seq_len}): {listed}",
            hint=_parameter_hint(names, groups, layer) if problem != "non-finite" else None,
        )


def _directions_without_gradient(trial: Trial, layer, parameters, gradients, proof):
    """Per direction inside a tensor that holds both (a view in the parameter map): a whole
    tensor's gradient can be non-zero while one direction's slice of it gets none. Yields
    (label, (layer, direction))."""
    found = {name: gradient for (name, _), gradient in zip(parameters, gradients)}
    for torch_name, mapped in parameter_names(trial.spec, layer).items():
        gradient = found.get(own_name(mapped)) if isinstance(mapped, ParameterView) else None
        if gradient is None or not bool(torch.isfinite(gradient).all()) or not gradient.any():
            continue  # whole-parameter problems are reported on their own
        if not bool((mapped.read(gradient) != 0).any()) and not proof.view_gradient_is_zero(mapped):
            match = TORCH_PARAMETER.match(torch_name)
            group = (int(match.group(3)), 1 if match.group(4) else 0) if match else None
            yield f"{torch_name} = {mapped}", group


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
    """Proves a zero gradient legitimate by perturbation: the output does not depend on it here.

    A ReLU unit that is dead at every step, or a layer norm over one feature, passes no gradient,
    so "non-zero for generic inputs" fails on some draws for a correct layer. Nudging the
    parameter (or the input at that step) tells the two cases apart for any layer, with or without
    a kind: if the output does not move, the zero is what the function gives; if it moves, the
    gradient was cut. The nudge is small (1e-3 relative) so that it does not wake a dead unit, and
    of one sign for a whole parameter, so that a kink (flat on one side) shows as flat.
    (Computed lazily: only a zero gradient pays for a run.)
    """

    NUDGE = 1e-3

    def __init__(self, trial: Trial, layer, x, state, loss_weights) -> None:
        self._trial, self._layer = trial, layer
        self._x, self._state, self._loss_weights = x, state, loss_weights
        self._output: torch.Tensor | None = None

    def parameter_gradient_is_zero(self, own_name: str) -> bool:
        """Nudged up and down: flat on either side is a zero autograd may give (a dead unit, or a
        kink such as ReLU at exactly 0, whose derivative autograd takes as 0)."""
        parameter = dict(self._layer.named_parameters())[own_name]
        return self._flat_when_nudged(
            parameter, lambda saved, sign: saved + sign * self._step(saved)
        )

    def view_gradient_is_zero(self, view: ParameterView) -> bool:
        """The same for the part of a parameter that a view selects (one direction's slice)."""
        parameter = dict(self._layer.named_parameters())[view.source]

        def nudged(saved, sign):
            whole = saved.clone()
            part = view.read(saved)
            view.write(whole, part + sign * self._step(part))
            return whole

        return self._flat_when_nudged(parameter, nudged)

    def _step(self, tensor: torch.Tensor) -> torch.Tensor:
        return self.NUDGE * (1 + tensor.abs())

    def _flat_when_nudged(self, parameter, nudged) -> bool:
        saved = parameter.detach().clone()
        try:
            for sign in (1, -1):
                with torch.no_grad():
                    parameter.copy_(nudged(saved, sign))
                if not self._moved(self._run(self._x), direction=None):
                    return True
            return False
        finally:
            with torch.no_grad():
                parameter.copy_(saved)

    def input_gradient_is_zero(self, direction: int, t: int, b: int) -> bool:
        x = self._x.detach().clone()
        step = _time_major(x, self._trial.config.batch_first)[t, b]
        step.add_(self._nudge(step))
        return not self._moved(self._run(x), direction=direction)

    def _nudge(self, tensor: torch.Tensor) -> torch.Tensor:
        generator = torch.Generator().manual_seed(self._trial.example.seed + 3)
        signs = torch.randint(0, 2, tensor.shape, generator=generator).to(tensor) * 2 - 1
        return signs * self.NUDGE * (1 + tensor.detach().abs())

    def _run(self, x) -> torch.Tensor:
        with torch.no_grad():
            output, _ = self._trial.run(self._layer, x.detach(), self._state)
        return output

    def _moved(self, output: torch.Tensor, *, direction: int | None) -> bool:
        if self._output is None:
            self._output = self._run(self._x)
        H_out = self._trial.config.output_size
        half = (
            slice(None) if direction is None else slice(direction * H_out, (direction + 1) * H_out)
        )
        return not close(output[..., half], self._output[..., half], self._trial.tolerance())


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
    leaves = [_off_zero(p.detach().clone(), trial).requires_grad_() for _, p in parameters]
    calling = _Calling(trial, layer)

    def function(x, *rest):
        given = None
        if states:
            given = tuple(rest[: len(states)]) if spec.has_cell_state else rest[0]
        values = {f"layer.{name}": value for name, value in zip(names, rest[len(states) :])}
        output, final = torch.func.functional_call(calling, values, (x, given))
        return (output, *states_of(final))

    labels = ["x"] + (["h0", "c0"][: len(states)]) + names
    inputs = (x, *states, *leaves)
    for attempt in range(KINK_RETRIES + 1):
        try:
            torch.autograd.gradcheck(function, inputs, fast_mode=True)
            return
        except GradcheckError as error:
            verdict = str(error).strip().splitlines()[0].rstrip(",.:")
        wrong = _diagnose(function, inputs, labels)
        if not any(finding.kink for finding in wrong):
            break
        # A kink (ReLU at exactly 0, an abs, a max): no derivative to check here, and no bug.
        # Check a nearby point instead.
        event("C12: moved off a non-differentiable point")
        inputs = tuple(_nudged(t, trial, attempt).requires_grad_() for t in inputs)
    else:
        return  # every point tried sits on a kink: nothing can be said about the gradient

    outputs = ["output", "h_n", "c_n"]
    verdict = re.sub(r"input (\d+)", lambda m: labels[int(m.group(1))], verdict)
    verdict = re.sub(r"output (\d+)", lambda m: outputs[int(m.group(1))], verdict)
    groups = _group_names(spec, layer)
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


KINK_RETRIES = 3


def _off_zero(tensor: torch.Tensor, trial: Trial) -> torch.Tensor:
    """Entries that are exactly zero (biases initialised to zero) get a small random value: with
    h0 = 0 they would put a ReLU's pre-activation exactly on its kink."""
    generator = torch.Generator().manual_seed(trial.example.seed + 5)
    small = (torch.rand(tensor.shape, generator=generator, dtype=torch.float64) * 0.2 - 0.1).to(
        tensor
    )
    return torch.where(tensor == 0, small, tensor)


def _nudged(tensor: torch.Tensor, trial: Trial, attempt: int) -> torch.Tensor:
    generator = torch.Generator().manual_seed(trial.example.seed + 11 + attempt)
    noise = (torch.rand(tensor.shape, generator=generator, dtype=torch.float64) * 2 - 1).to(tensor)
    return (tensor.detach() + 1e-2 * noise).detach()


def _shrink_for_gradcheck(trial: Trial) -> None:
    """gradcheck costs two runs per perturbed number: clamp the drawn sizes to small ones."""
    example, limits = trial.example, GRADCHECK_LIMITS
    config = example.config
    features = trial.spec.features
    hidden = max(min(config.hidden_size, limits["size"]), features.min_hidden_size)
    trial.example = replace(
        example,
        config=config.but(
            input_size=max(min(config.input_size, limits["size"]), features.min_input_size),
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
    kink: bool = False  # the one-sided differences disagree: not differentiable at this point


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
        at = float(scalar(*inputs))
        for tensor, gradient, label in zip(inputs, analytical, labels):
            pairs, sides = [], []
            for _ in range(2):
                direction = torch.randn(tensor.shape, generator=generator, dtype=tensor.dtype).to(
                    tensor.device
                )
                original = tensor.clone()
                tensor.add_(direction, alpha=eps)
                above = float(scalar(*inputs))
                tensor.copy_(original).add_(direction, alpha=-eps)
                below = float(scalar(*inputs))
                tensor.copy_(original)
                given = 0.0 if gradient is None else float((gradient * direction).sum())
                pairs.append((given, (above - below) / (2 * eps)))
                sides.append(((above - at) / eps, (at - below) / eps))
            excess = max(abs(g - n) - (1e-5 + 1e-3 * abs(n)) for g, n in pairs)
            if excess <= 0:
                continue
            vanishes = gradient is None or not bool((gradient != 0).any())
            ratios = [g / n for g, n in pairs if abs(n) > 1e-6]
            scale = None
            if (
                tensor.numel() > 1
                and len(ratios) == 2
                and abs(ratios[0] - ratios[1]) <= 1e-3 * abs(ratios[0])
            ):
                scale = ratios[0]
            size = max(abs(n) for _, n in pairs) + 1e-12
            kink = any(abs(right - left) > 1e-4 + 1e-3 * abs(right) for right, left in sides)
            found.append(WrongGradient(label, excess / size, vanishes, scale, kink))
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
