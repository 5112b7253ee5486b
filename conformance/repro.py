"""A copy-paste snippet that reproduces a failing example without the plugin's machinery.

It goes through the spec as the check did: the layer built by its factory (or its class, for a
spec made by ``LayerSpec.from_class``) from the example's seed, called through its ``call`` hook,
with the exact input, h0 (and c0), lengths and packing the check drew.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

from conformance.spec import LayerConfig, LayerSpec
from conformance.trial import INPUT_HIGH, INPUT_LOW, Trial

FROM_CLASS_FACTORY = "LayerSpec.from_class.<locals>.factory"


def importable(value: Any) -> tuple[str, str] | None:
    """(module, name) when ``value`` is a module-level object that an import line can name."""
    module, name = getattr(value, "__module__", None), getattr(value, "__qualname__", "")
    if not module or not name or "<" in name or "." in name:
        return None
    try:
        return (module, name) if getattr(importlib.import_module(module), name) is value else None
    except Exception:
        return None


def _origin_object(spec: LayerSpec) -> Any:
    if not spec.origin or ":" not in spec.origin:
        return None
    module, _, attribute = spec.origin.partition(":")
    try:
        target: Any = importlib.import_module(module)
        for part in attribute.split("."):
            target = getattr(target, part)
    except Exception:
        return None
    return target


def _find_spec(spec: LayerSpec) -> str | None:
    """``module:NAME`` of a spec that its origin does not name: a module-level attribute of the
    module that defines its factory or its call hook."""
    for hook in (spec.factory, spec.call):
        module = sys.modules.get(getattr(hook, "__module__", None) or "")
        for name, value in vars(module).items() if module is not None else ():
            if (
                isinstance(value, LayerSpec)
                and value.name == spec.name
                and value.factory is spec.factory
            ):
                return f"{module.__name__}:{name}"
    return None


NO_SNIPPET = (
    "  (no repro snippet: the spec could not be named by an import; give it "
    "origin='module:NAME', or define its factory and call hook at module level)"
)


def _import(module: str, name: str) -> str:
    if module.startswith("torch.nn.modules"):
        module = "torch.nn"
    return f"from {module} import {name}"


def _construction(spec: LayerSpec, trial: Trial) -> tuple[list[str], str, str] | None:
    """(import lines, the line that builds ``layer``, how to call it) or None if not nameable."""
    config = trial.example.config
    named = _origin_object(spec)
    origin = spec.origin if isinstance(named, LayerSpec) else _find_spec(spec)
    if origin:
        module, _, attribute = origin.partition(":")
        head = attribute.split(".")[0]
        imports = ["from conformance.spec import LayerConfig", f"from {module} import {head}"]
        build = f"layer = {attribute}.factory({config!r})"
        call = f"{attribute}.call" if spec.call is not None else ""
        return imports, build, call
    imports, call = [], ""
    if spec.call is not None:
        found = importable(spec.call)
        if found is None:
            return None  # a hook defined inline cannot be named: a snippet without it would lie
        imports.append(_import(*found))
        call = found[1]
    if spec.layer_class is not None and spec.factory.__qualname__ == FROM_CLASS_FACTORY:
        found = importable(spec.layer_class)
        if found is None:
            return None
        arguments = {**config.constructor_kwargs(spec.features), **spec.constructor_kwargs}
        rendered = ", ".join(f"{key}={value!r}" for key, value in arguments.items())
        return [_import(*found), *imports], f"layer = {found[1]}({rendered})", call
    found = importable(spec.factory)
    if found is None:
        return None
    imports = ["from conformance.spec import LayerConfig", _import(*found), *imports]
    return imports, f"layer = {found[1]}({config!r})", call


def snippet(trial: Trial) -> str | None:
    """The layer's construction from the example's seed, the check's inputs and the call."""
    example, spec = trial.example, trial.spec
    if example is None or trial.input_shape is None or trial.input_index is None:
        return None
    construction = _construction(spec, trial)
    if construction is None:
        return None
    imports, build, call = construction
    device, dtype = str(trial.device), f"torch.{str(trial.dtype).removeprefix('torch.')}"
    lines = ["import torch", *imports, ""]
    lines += [
        f"torch.manual_seed({example.seed})  # the weights",
        build,
        f"layer = layer.to(device={device!r}, dtype={dtype})",
        "",
        "def drawn(index, shape):  # the check's tensors: uniform in [-2, 2), one seed each",
        f"    generator = torch.Generator().manual_seed({example.seed + 1} + index)",
        "    values = torch.rand(shape, generator=generator, dtype=torch.float64)",
        f"    values = values * {INPUT_HIGH - INPUT_LOW} + {INPUT_LOW}",
        f"    return values.to(device={device!r}, dtype={dtype})",
        "",
        f"x = drawn({trial.input_index}, {trial.input_shape})",
    ]
    state = "None"
    if trial.state_indices is not None:
        tensors = [
            f"drawn({i}, {shape})" for i, shape in zip(trial.state_indices, trial.state_shapes)
        ]
        lines.append(f"h0 = {tensors[0]}")
        state = "h0"
        if len(tensors) == 2:
            lines.append(f"c0 = {tensors[1]}")
            state = "(h0, c0)"
    target = "output, state" if spec.features.returns_state else "output"
    invoke = (
        f"{call}(layer, {{x}}, {state})"
        if call
        else ("layer({x})" if state == "None" else f"layer({{x}}, {state})")
    )
    lines.append(f"{target} = {invoke.format(x='x')}")
    lengths = trial.drawn.get("lengths")
    if lengths is not None:
        enforce_sorted = bool(trial.drawn.get("enforce_sorted")) or spec.features.packed == "sorted"
        if enforce_sorted:
            lengths = sorted(lengths, reverse=True)
        lines += [
            "# the check's packed run:",
            "from torch.nn.utils.rnn import pack_padded_sequence",
            f"packed = pack_padded_sequence(x, torch.tensor({lengths}), "
            f"batch_first={example.config.batch_first}, "
            f"enforce_sorted={enforce_sorted})",
            f"packed_{target.replace(', ', ', packed_')} = {invoke.format(x='packed')}",
        ]
    try:
        lines += _replayed_calls(trial, call, dtype, device)
    except Exception:  # a snippet without the replayed calls beats a failure without a snippet
        lines.append("# (the calls the check compared could not be written out)")
    return "\n".join(lines)


# Calls of more values than this are not written out as literals.
MAX_LITERAL_VALUES = 256


def _literal(tensor, dtype: str, device: str) -> str:
    """A tensor as Python literals: exact, since float(repr(x)) == x for every float."""
    return f"torch.tensor({tensor.detach().cpu().tolist()!r}, dtype={dtype}, device={device!r})"


def _replayed_calls(trial: Trial, call: str, dtype: str, device: str) -> list[str]:
    """The calls a relational clause compared (C10: the run with one h0 row changed; C16: a call
    that had to raise), with their exact tensors, so that the snippet shows the defect."""
    replay = trial.replay
    if replay is None:
        return []
    comment, calls, *setup = replay
    tensors = [t for _, x, state, *_ in calls for t in (x, *_states(state))]
    if sum(t.numel() for t in tensors) > MAX_LITERAL_VALUES:
        return [f"# (the calls the check compared are too large to write out: {comment})"]
    lines = ["", f"# the calls the check compared: {comment}", *(setup[0] if setup else [])]
    if any(len(entry) > 3 for entry in calls):  # a call of the direction-swapped layer (C4)
        swap = _swap_lines(trial.spec, trial.example.config)
        if swap is None:
            return [f"# (C4's swapped layer cannot be rebuilt here without the spec: {comment})"]
        lines += swap
    for number, (label, x, state, *module) in enumerate(calls, start=1):
        lines.append(f"x_{number} = {_literal(x, dtype, device)}  # {label}")
        names = [f"{name}_{number}" for name in ("h0", "c0")[: len(_states(state))]]
        for name, tensor in zip(names, _states(state)):
            lines.append(f"{name} = {_literal(tensor, dtype, device)}")
        given = "None" if not names else names[0] if len(names) == 1 else f"({', '.join(names)})"
        target = module[0] if module else "layer"
        invoke = (
            f"{call}({target}, x_{number}, {given})" if call else f"{target}(x_{number}, {given})"
        )
        lines.append(f"result_{number} = {invoke}")
    return lines


def _swap_lines(spec: LayerSpec, config: LayerConfig) -> list[str] | None:
    """Lines that make ``swapped``: the layer with its directions swapped as C4 swaps them (for
    ``config`` when the spec's ``swap_input`` moves the input, which layer 0's weights follow)."""
    named = _origin_object(spec)
    origin = spec.origin if isinstance(named, LayerSpec) else _find_spec(spec)
    if origin:
        expression = origin.partition(":")[2]
        imports = []
    elif spec.layer_class is not None and not (spec.parameter_names or spec.swap_directions):
        found = importable(spec.layer_class)
        if found is None:
            return None
        expression = f"LayerSpec.from_class({found[1]})"
        imports = ["from conformance.spec import LayerConfig, LayerSpec"]
    else:
        return None
    for_config = f", {config!r}" if spec.swap_input is not None else ""
    return [
        "import copy",
        "from conformance.adapters import swap_directions",
        *imports,
        "swapped = copy.deepcopy(layer)",
        f"swap_directions({expression}, swapped{for_config})",
    ]


def _states(state) -> tuple:
    if state is None:
        return ()
    return state if isinstance(state, tuple) else (state,)
