"""Ready-made ``parameter_names``, ``swap_directions`` and ``direction_parameters`` hooks for the
common case: a layer whose parameters are told apart by a per-layer, per-direction prefix.

Prefixes are templates with ``{layer}`` for the layer index (none for a one-layer module):
``("layers.{layer}.fw.", "layers.{layer}.bw.")`` names the forward and backward parameters of
each layer, and so does one template with ``{direction}`` for 0 and 1
(``"layers.{layer}.directions.{direction}."``). ``prefixed_torch_names`` maps torch's names onto them; ``twin_prefixes`` swaps and
groups parameters that have no torch name at all (a layer norm, a projection of another shape).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TypeAlias, TypedDict

import torch

from conformance.parameter_views import ParameterView

# Forward and backward prefix templates, or one with {direction} (0, 1) in it.
Prefixes: TypeAlias = "str | tuple[str, str]"
# What one torch name maps to: an own parameter's name (after the prefix) or a view of one, or a
# (forward, backward) pair of them for a tensor that holds both directions.
Mapped: TypeAlias = "str | ParameterView"
OwnName: TypeAlias = "Mapped | tuple[Mapped, Mapped]"

TORCH_BASE_NAMES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr")
SUFFIXES = ("", "_reverse")


def prefixed_torch_names(
    prefixes: Prefixes, **own_names: OwnName
) -> Callable[[torch.nn.Module], dict[str, Mapped]]:
    """A ``parameter_names`` hook for a layer whose parameters differ from torch's by name.

    ``prefixes``: the (forward, backward) prefix templates, one with ``{direction}``, or one
    without it for both directions when every own tensor holds both (then each own name is a
    (forward, backward) pair, e.g. from ``parameter_views.direction_halves``). ``own_names`` maps torch's base names (``weight_ih``,
    ``weight_hh``, ``bias_ih``, ``bias_hh``, ``weight_hr``) to the own name after the prefix
    (which may hold ``{layer}`` too: ``weight_ih_{layer}``); none given: the layer uses torch's
    base names. Only parameters the module has are mapped
    (no biases at ``bias=False``), for as many layers as it has.
    """
    pair = _per_direction(prefixes)
    given: Mapping[str, OwnName] = own_names or {name: name for name in TORCH_BASE_NAMES}
    templates = [*pair, *(_source(_of_direction(own, d)) for own in given.values() for d in (0, 1))]

    def parameter_names(module: torch.nn.Module) -> dict[str, Mapped]:
        present = {name for name, _ in module.named_parameters()}
        names: dict[str, Mapped] = {}
        for layer in _layers(templates):
            found = {}
            for direction, prefix in enumerate(pair):
                for base, own in given.items():
                    mapped = _prefixed(prefix, _of_direction(own, direction), layer)
                    if _source(mapped) in present:
                        found[f"{base}_l{layer}{SUFFIXES[direction]}"] = mapped
            if not found:
                break
            names.update(found)
        return names

    return parameter_names


def _per_direction(prefixes: Prefixes) -> tuple[str, str]:
    if isinstance(prefixes, tuple):
        return prefixes
    return prefixes.replace("{direction}", "0"), prefixes.replace("{direction}", "1")


def _layers(templates: Sequence[str]) -> Iterator[int]:
    """0, 1, 2, ... while the templates name layers; 0 alone for a one-layer module's."""
    layer = 0
    while True:
        yield layer
        if not any("{layer}" in template for template in templates):
            return
        layer += 1


def _of_direction(own: OwnName, direction: int) -> Mapped:
    return own[direction] if isinstance(own, tuple) else own


def _prefixed(prefix: str, own: Mapped, layer: int) -> Mapped:
    if isinstance(own, ParameterView):
        return own.on((prefix + own.source).format(layer=layer))
    return (prefix + own).format(layer=layer)


def _source(mapped: Mapped) -> str:
    return mapped.source if isinstance(mapped, ParameterView) else mapped


class TwinHooks(TypedDict):
    """The two hooks ``twin_prefixes`` returns, to be spread into ``LayerSpec(**hooks)``."""

    swap_directions: Callable[[torch.nn.Module], None]
    direction_parameters: Callable[[torch.nn.Module], dict[tuple[int, int], list[str]]]


def twin_prefixes(*pairs: Prefixes, column_halves: tuple[str, ...] = ()) -> TwinHooks:
    """``swap_directions`` and ``direction_parameters`` for a layer whose direction twins differ
    by a prefix only: ``forward_prefix + rest`` is the twin of ``backward_prefix + rest``, for
    each pair of prefix templates (or template with ``{direction}``) in ``pairs``.

    In layers >= 1 the weights whose names end with one of ``column_halves`` read [forward;
    backward] of the layer below, so the swap also exchanges their two column halves (as the
    suite does for torch's ``weight_ih_l1``). Every parameter under a forward prefix must have
    its twin: one left out would make a correct layer fail C4.
    """

    def twins(module: torch.nn.Module) -> Iterator[tuple[int, str, str]]:
        names = [name for name, _ in module.named_parameters()]
        for forward_template, backward_template in map(_per_direction, pairs):
            for layer in _layers([forward_template, backward_template]):
                forward = forward_template.format(layer=layer)
                backward = backward_template.format(layer=layer)
                if not any(name.startswith(forward) for name in names):
                    break
                for name in names:
                    if name.startswith(forward):
                        yield layer, name, backward + name[len(forward) :]

    def swap_directions(module: torch.nn.Module) -> None:
        parameters = dict(module.named_parameters())
        for layer, forward_name, backward_name in list(twins(module)):
            forward, backward = parameters[forward_name], parameters[backward_name]
            with torch.no_grad():
                saved = forward.clone()
                forward.copy_(backward)
                backward.copy_(saved)
                if layer >= 1 and forward_name.endswith(column_halves):
                    for weight in (forward, backward):
                        weight.copy_(weight.roll(weight.shape[1] // 2, dims=1))

    def direction_parameters(module: torch.nn.Module) -> dict[tuple[int, int], list[str]]:
        groups: dict[tuple[int, int], list[str]] = {}
        for layer, forward_name, backward_name in twins(module):
            groups.setdefault((layer, 0), []).append(forward_name)
            groups.setdefault((layer, 1), []).append(backward_name)
        return groups

    return TwinHooks(swap_directions=swap_directions, direction_parameters=direction_parameters)
