"""Torch-style defaults for the spec's hooks, and the one place that calls a user's layer.

Every check goes through ``build_layer`` and ``run_layer`` so that a layer that raises, returns
the wrong type or NaN is reported the same way, with the clause that was being checked.
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Mapping
from typing import Any

import torch
from torch.nn.utils.rnn import PackedSequence

from conformance.failures import LayerContractError
from conformance.parameter_views import ParameterView
from conformance.spec import LayerConfig, LayerSpec

TORCH_PARAMETER = re.compile(r"^(weight|bias)_(ih|hh|hr)_l(\d+)(_reverse)?$")


def build_layer(
    spec: LayerSpec, config: LayerConfig, *, seed: int, device, dtype
) -> torch.nn.Module:
    """The layer for one example: weights drawn from ``seed`` so that a failure replays."""
    with torch.random.fork_rng(devices=[]):
        if torch.cuda.is_initialized():
            torch.manual_seed(seed)
        else:
            # The CPU generator is all a factory draws from until CUDA is up; torch.manual_seed
            # would also queue lazy CUDA/XPU/MTIA seeding, which formats the call stack each time
            # (about 15% of a CPU run's harness time).
            torch.default_generator.manual_seed(seed)
        try:
            module = spec.factory(config)
        except Exception as error:
            raise LayerContractError(
                f"{spec.name}'s factory raised {type(error).__name__}: {error} "
                f"(configuration {config})"
            ) from error
    if not isinstance(module, torch.nn.Module):
        raise LayerContractError(
            f"{spec.name}'s factory returned {type(module).__name__}, not a torch.nn.Module"
        )
    return module.to(
        device=device, dtype=getattr(torch, dtype) if isinstance(dtype, str) else dtype
    )


def run_layer(spec: LayerSpec, module, x, state=None, *, doing: str = "calling the layer"):
    """Call the layer through its adapter and check that it returned (output, state).

    An exception from the spec's ``call`` hook itself (not from the module it calls) is an
    ``AdapterError`` naming the hook and ``doing``: the layer is not to blame for its adapter.
    """
    if spec.call is not None:
        try:
            result = spec.call(module, x, state)
        except LayerContractError:
            raise
        except Exception as error:
            if _raised_in_hook(error, spec.call):
                raise AdapterError(
                    f"{spec.name}'s `call` hook (the spec's adapter, not the layer) raised "
                    f"{type(error).__name__}: {error} while {doing}"
                ) from error
            raise
    elif state is None:
        result = module(x)
    else:
        result = module(x, state)
    return _checked_result(spec, result)


def _raised_in_hook(error: BaseException, hook) -> bool:
    """The hook's own code raised: no module call is under its frame in the traceback."""
    code = getattr(hook, "__code__", None)
    frames = [frame.f_code for frame, _ in traceback.walk_tb(error.__traceback__)]
    if code not in frames:
        return False
    below = frames[len(frames) - frames[::-1].index(code) :]
    return not any(frame.co_name in MODULE_CALL_FRAMES for frame in below)


# The frames of torch.nn.Module.__call__: under one of these, the layer itself was running.
MODULE_CALL_FRAMES = ("_call_impl", "_wrapped_call_impl", "forward")


def _checked_result(spec: LayerSpec, result):
    if not spec.features.returns_state:
        # An output-only layer: its output alone, or (output, None) from an adapter.
        if isinstance(result, tuple) and len(result) == 2 and result[1] is None:
            result = result[0]
        if isinstance(result, (torch.Tensor, PackedSequence)):
            return result, None
        raise LayerContractError(
            f"{spec.name} declares no returned state (Features(returns_state=False)) but returned "
            f"{_describe(result)}; expected its output tensor alone"
        )
    if not isinstance(result, tuple) or len(result) != 2:
        raise LayerContractError(
            f"{spec.name} returned {_describe(result)}; expected a tuple (output, h_n) or "
            "(output, (h_n, c_n)) as torch's RNNs do (give the spec a `call` hook to adapt it, or "
            "declare Features(returns_state=False) for a layer that returns its output only)"
        )
    output, state = result
    if not isinstance(output, (torch.Tensor, PackedSequence)):
        raise LayerContractError(
            f"{spec.name} returned an output of type {_describe(output)}; expected a tensor "
            "(T,B,2*H_out), or a PackedSequence for packed input (torch.stack joins per-step outputs)"
        )
    tensors = state if isinstance(state, tuple) else (state,)
    if not all(isinstance(t, torch.Tensor) for t in tensors) or len(tensors) > 2:
        raise LayerContractError(
            f"{spec.name} returned a state of type {_describe(state)}; expected h_n or (h_n, c_n)"
        )
    return output, state


def _describe(value: Any) -> str:
    if isinstance(value, (tuple, list)):
        inner = ", ".join(type(v).__name__ for v in value[:3])
        return f"{type(value).__name__} of {len(value)} ({inner})"
    return type(value).__name__


def states_of(state) -> tuple[torch.Tensor, ...]:
    """h_n alone, or (h_n, c_n): the state as a tuple of tensors (empty for an output-only layer)."""
    if state is None:
        return ()
    return state if isinstance(state, tuple) else (state,)


def parameter_names(spec: LayerSpec, module) -> dict[str, str | ParameterView]:
    """Torch name -> the module's own parameter name, or a view of one (identity for torch-named layers)."""
    if spec.parameter_names is not None:
        return dict(
            in_hook(
                spec,
                "parameter_names",
                "mapping the parameters to torch's names",
                spec.parameter_names,
                module,
            )
        )
    return {name: name for name, _ in module.named_parameters() if TORCH_PARAMETER.match(name)}


def own_name(mapped: str | ParameterView) -> str:
    """The module's own parameter behind a map entry."""
    return mapped.source if isinstance(mapped, ParameterView) else mapped


def torch_named_parameters(spec: LayerSpec, module) -> dict[str, torch.Tensor]:
    """The layer's parameters under torch's names, in torch's layout. Renamed ones are the same
    tensor objects; views are computed from the own parameter, so gradients still reach it."""
    own = dict(module.named_parameters())
    names = parameter_names(spec, module)
    for torch_name, mapped in names.items():
        if own_name(mapped) not in own:
            raise AdapterError(
                f"{spec.name}'s `parameter_names` hook (the spec's adapter) maps {torch_name} to "
                f"{own_name(mapped)!r}, which the module built for this configuration does not "
                "have (a bias at bias=False? a layer beyond num_layers?); map only what exists"
            )
    return {torch_name: _read(own, mapped) for torch_name, mapped in names.items()}


def torch_gradients(
    spec: LayerSpec, module, own_gradients: Mapping[str, torch.Tensor]
) -> dict[str, torch.Tensor]:
    """Gradients w.r.t. the own parameters, rearranged into torch's names and layout."""
    return {
        torch_name: _read(own_gradients, mapped)
        for torch_name, mapped in parameter_names(spec, module).items()
        if own_name(mapped) in own_gradients
    }


def _read(tensors: Mapping[str, torch.Tensor], mapped: str | ParameterView) -> torch.Tensor:
    if isinstance(mapped, ParameterView):
        return mapped.read(tensors[mapped.source])
    return tensors[mapped]


def direction_parameters(spec: LayerSpec, module) -> dict[tuple[int, int], list[str]]:
    """(layer, direction) -> the module's parameter names that belong to it."""
    if spec.direction_parameters is not None:
        groups = in_hook(
            spec,
            "direction_parameters",
            "grouping the parameters by direction for C6",
            spec.direction_parameters,
            module,
        )
        return {key: list(names) for key, names in groups.items()}
    groups: dict[tuple[int, int], list[str]] = {}
    for torch_name, mapped in parameter_names(spec, module).items():
        match = TORCH_PARAMETER.match(torch_name)
        if match:
            key = (int(match.group(3)), 1 if match.group(4) else 0)
            if own_name(mapped) not in groups.setdefault(key, []):
                groups[key].append(own_name(mapped))
    return groups


@torch.no_grad()
def swap_directions(spec: LayerSpec, module, config: LayerConfig | None = None) -> None:
    """In place: exchange every forward parameter with its backward twin (the swap of C4).

    In layers l >= 1 the input-to-hidden weights also exchange their two column halves: their
    input is [forward; backward] of the layer below, and after the swap those halves trade places.
    Layer 0's follow the spec's ``swap_input`` (for ``config``) when it permutes the input's
    features: the swapped layer reads the input in that order. Works through the parameter map,
    so transposed, sliced and reordered parameters swap too.
    """
    if spec.swap_directions is not None:
        in_hook(
            spec, "swap_directions", "swapping the directions for C4", spec.swap_directions, module
        )
        return
    names = parameter_names(spec, module)
    current = {
        name: tensor.detach().clone()
        for name, tensor in torch_named_parameters(spec, module).items()
    }
    swapped: dict[str, torch.Tensor] = {}
    input_order = _input_order(spec, config)
    for torch_name in current:
        match = TORCH_PARAMETER.match(torch_name)
        if not match:
            continue
        twin = torch_name[: -len("_reverse")] if match.group(4) else torch_name + "_reverse"
        if twin not in current:
            raise LayerContractError(
                f"{spec.name}: parameter {torch_name} has no `{twin}` twin; give the "
                "spec a `swap_directions` or `parameter_names` hook"
            )
        new = current[twin]
        if match.group(1) == "weight" and match.group(2) == "ih" and int(match.group(3)) >= 1:
            half = new.shape[1] // 2
            new = torch.cat([new[:, half:], new[:, :half]], dim=1)
        elif match.group(1) == "weight" and match.group(2) == "ih" and input_order is not None:
            new = new[:, input_order]
        swapped[torch_name] = new
    own = dict(module.named_parameters())
    for torch_name, value in swapped.items():
        mapped = names[torch_name]
        if isinstance(mapped, ParameterView):
            mapped.write(own[mapped.source], value)
        else:
            own[mapped].copy_(value)


def _input_order(spec: LayerSpec, config: LayerConfig | None) -> torch.Tensor | None:
    """The permutation of the input's features that ``swap_input`` makes for ``config`` (found by
    swapping the feature indices themselves), or None: no hook, no permutation, or the identity."""
    if spec.swap_input is None or config is None:
        return None
    features = torch.arange(config.input_size, dtype=torch.float64).view(1, 1, -1)
    moved = in_hook(
        spec, "swap_input", "swapping the input for C4", spec.swap_input, config, features
    )
    if not isinstance(moved, torch.Tensor) or moved.shape != features.shape:
        return None
    order = moved.flatten().long()
    if not torch.equal(order.sort().values, features.flatten().long()):
        return None
    return None if torch.equal(order, features.flatten().long()) else order


# Normalisation layers keep their shift (named bias) whatever the RNN's bias flag says.
NORMALISATION_LAYERS = (
    torch.nn.LayerNorm,
    torch.nn.GroupNorm,
    torch.nn.modules.batchnorm._NormBase,
)


def bias_like_parameters(spec: LayerSpec, module) -> list[str]:
    """Own parameters that act as the RNN's biases: those mapped to torch's bias names, and any
    other named ``bias``/``b_*``, except the shifts of normalisation layers."""
    found = [
        own_name(mapped)
        for torch_name, mapped in parameter_names(spec, module).items()
        if torch_name.startswith("bias_")
    ]
    owners = dict(module.named_modules())
    for name, _ in module.named_parameters():
        owner, _, leaf = name.rpartition(".")
        if not re.fullmatch(r"(.*_)?bias(_.*)?|b_[a-z]+\d*", leaf):
            continue
        if isinstance(owners.get(owner), NORMALISATION_LAYERS) or name in found:
            continue
        found.append(name)
    return found


class AdapterError(LayerContractError):
    """A spec's hook (not the layer) raised: the message names the hook and what it was doing."""


def in_hook(spec: LayerSpec, hook: str, doing: str, function, *arguments):
    """Call one of the spec's hooks; what it raises is the adapter's (``AdapterError``)."""
    try:
        return function(*arguments)
    except LayerContractError:
        raise
    except Exception as error:
        raise AdapterError(
            f"{spec.name}'s `{hook}` hook (the spec's adapter, not the layer) raised "
            f"{type(error).__name__}: {error} while {doing}"
        ) from error


def swap_state_directions(state):
    """Exchange rows 2l and 2l+1 of h (and c): the state's side of the C4 swap."""

    def swap(tensor: torch.Tensor) -> torch.Tensor:
        rows = tensor.shape[0]
        order = [i ^ 1 for i in range(rows)]
        return tensor[order]

    if state is None:
        return None
    if isinstance(state, tuple):
        return tuple(swap(t) for t in state)
    return swap(state)
