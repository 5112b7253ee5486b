"""The registry of checks: one per clause, grouped in modules by what they check.

A check is a function of a ``Trial`` that draws what it needs, runs the layer and raises
``ConformanceFailure`` when its clause does not hold. ``requires`` says when a clause does not
apply to a layer (a feature it lacks, a device it needs), so that the item is skipped with a reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from conformance.spec import LayerSpec

Requirement = Callable[[LayerSpec, str], "str | None"]


@dataclass(frozen=True)
class Check:
    clause_id: str
    run: Callable
    requires: Requirement | None = None
    examples_factor: float = 1.0

    def skip_reason(self, spec: LayerSpec, device: str) -> str | None:
        return self.requires(spec, device) if self.requires else None


CHECKS: dict[str, Check] = {}


def check(clause_id: str, *, requires: Requirement | None = None, examples_factor: float = 1.0):
    """Register the decorated function as the check of ``clause_id``."""

    def register(function: Callable) -> Callable:
        if clause_id in CHECKS:
            raise ValueError(f"two checks for {clause_id}: {CHECKS[clause_id].run} and {function}")
        CHECKS[clause_id] = Check(clause_id, function, requires, examples_factor)
        return function

    return register


def needs_feature(feature: str, why: str) -> Requirement:
    """A requirement that the spec declares ``feature``."""

    def requirement(spec: LayerSpec, device: str) -> str | None:
        if getattr(spec.features, feature):
            return None
        return f"{spec.name} does not declare `{feature}` support in its spec; {why}"

    return requirement


def needs_returned_state(why: str, *, as_output: bool = False) -> Requirement:
    """A requirement that the layer returns a state (and, with ``as_output``, that its state is
    the output's ends, which a cell state such as a QRNN's c is not)."""

    def requirement(spec: LayerSpec, device: str) -> str | None:
        if not spec.features.returns_state:
            return f"{spec.name} returns no state (Features(returns_state=False)); {why}"
        if as_output and not spec.features.state_is_output:
            return (
                f"{spec.name}'s returned state is not its output (Features(state_is_output=False), "
                f"e.g. a cell state); {why}"
            )
        return None

    return requirement


def all_of(*requirements: Requirement) -> Requirement:
    """The first reason any of ``requirements`` gives."""

    def requirement(spec: LayerSpec, device: str) -> str | None:
        return next((r for r in (req(spec, device) for req in requirements) if r), None)

    return requirement


def needs_parameter_map(purpose: str) -> Requirement:
    """A requirement that every parameter of the layer is known under torch's names.

    Without that map a direction swap (C4) or a reference run (C11) would silently cover only
    part of the layer and report a correct layer as broken, so the clause is skipped instead.
    """

    def requirement(spec: LayerSpec, device: str) -> str | None:
        if spec.parameter_names is not None:
            return None
        from conformance import adapters
        from conformance.spec import LayerConfig

        try:
            features = spec.features
            config = LayerConfig(
                input_size=max(2, features.min_input_size),
                hidden_size=max(2, features.min_hidden_size),
                num_layers=min(2, features.max_layers),
            )
            module = spec.factory(config)
            mapped = {adapters.own_name(m) for m in adapters.parameter_names(spec, module).values()}
            unmapped = [name for name, _ in module.named_parameters() if name not in mapped]
        except Exception:  # the check itself will report a factory that fails
            return None
        if not unmapped:
            return None
        return (
            f"{spec.name} has parameters without torch's names ({', '.join(unmapped[:3])}"
            f"{', ...' if len(unmapped) > 3 else ''}); {purpose}: give its LayerSpec a "
            "`parameter_names` hook (torch name -> own name)"
        )

    return requirement


def all_checks() -> dict[str, Check]:
    """Every registered check, in clause order (importing the check modules registers them)."""
    from conformance.checks import (  # noqa: F401
        batching,
        devices,
        gradients,
        persistence,
        reference_checks,
        sequences,
        shapes,
        states,
        symmetry,
        validation,
    )

    return {key: CHECKS[key] for key in sorted(CHECKS, key=lambda c: int(c[1:]))}
