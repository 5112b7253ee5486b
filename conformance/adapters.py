"""Torch-style defaults for the spec's hooks, and the one place that calls a user's layer.

Every check goes through ``build_layer`` and ``run_layer`` so that a layer that raises, returns
the wrong type or NaN is reported the same way, with the clause that was being checked.
"""

from __future__ import annotations

import re
from typing import Any

import torch
from torch.nn.utils.rnn import PackedSequence

from conformance.failures import LayerContractError
from conformance.spec import LayerConfig, LayerSpec

TORCH_PARAMETER = re.compile(r"^(weight|bias)_(ih|hh|hr)_l(\d+)(_reverse)?$")


def build_layer(spec: LayerSpec, config: LayerConfig, *, seed: int, device, dtype) -> torch.nn.Module:
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
    return module.to(device=device, dtype=getattr(torch, dtype) if isinstance(dtype, str) else dtype)


def run_layer(spec: LayerSpec, module, x, state=None):
    """Call the layer through its adapter and check that it returned (output, state)."""
    try:
        if spec.call is not None:
            result = spec.call(module, x, state)
        elif state is None:
            result = module(x)
        else:
            result = module(x, state)
    except LayerContractError:
        raise
    return _checked_result(spec, result)


def _checked_result(spec: LayerSpec, result):
    if not isinstance(result, tuple) or len(result) != 2:
        raise LayerContractError(
            f"{spec.name} returned {_describe(result)}; expected a tuple (output, h_n) or "
            "(output, (h_n, c_n)) as torch's RNNs do (give the spec a `call` hook to adapt it)"
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
    """h_n alone, or (h_n, c_n): the state as a tuple of tensors."""
    return state if isinstance(state, tuple) else (state,)


def parameter_names(spec: LayerSpec, module) -> dict[str, str]:
    """Torch name -> the module's own parameter name (identity for torch-named layers)."""
    if spec.parameter_names is not None:
        return dict(spec.parameter_names(module))
    return {name: name for name, _ in module.named_parameters() if TORCH_PARAMETER.match(name)}


def torch_named_parameters(spec: LayerSpec, module) -> dict[str, torch.Tensor]:
    """The layer's parameters under torch's names (the same tensor objects, so grads follow)."""
    own = dict(module.named_parameters())
    return {torch_name: own[own_name] for torch_name, own_name in parameter_names(spec, module).items()}


def direction_parameters(spec: LayerSpec, module) -> dict[tuple[int, int], list[str]]:
    """(layer, direction) -> the module's parameter names that belong to it."""
    if spec.direction_parameters is not None:
        return {key: list(names) for key, names in spec.direction_parameters(module).items()}
    groups: dict[tuple[int, int], list[str]] = {}
    for torch_name, own_name in parameter_names(spec, module).items():
        match = TORCH_PARAMETER.match(torch_name)
        if match:
            key = (int(match.group(3)), 1 if match.group(4) else 0)
            groups.setdefault(key, []).append(own_name)
    return groups


@torch.no_grad()
def swap_directions(spec: LayerSpec, module) -> None:
    """In place: exchange every forward parameter with its backward twin (the swap of C4).

    In layers l >= 1 the input-to-hidden weights also exchange their two column halves: their
    input is [forward; backward] of the layer below, and after the swap those halves trade places.
    """
    if spec.swap_directions is not None:
        spec.swap_directions(module)
        return
    parameters = torch_named_parameters(spec, module)
    for torch_name, forward in parameters.items():
        match = TORCH_PARAMETER.match(torch_name)
        if not match or match.group(4):
            continue
        backward = parameters.get(torch_name + "_reverse")
        if backward is None:
            raise LayerContractError(
                f"{spec.name}: parameter {torch_name} has no `{torch_name}_reverse` twin; give the "
                "spec a `swap_directions` or `parameter_names` hook"
            )
        saved = forward.detach().clone()
        forward.copy_(backward)
        backward.copy_(saved)
        if match.group(1) == "weight" and match.group(2) == "ih" and int(match.group(3)) >= 1:
            for weight in (forward, backward):
                half = weight.shape[1] // 2
                weight.copy_(torch.cat([weight[:, half:], weight[:, :half]], dim=1))


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
