"""Models of the same module used inside another: ``self.encoder = Encoder(...)`` and then
``out = self.encoder(x)``; ``out[:, -1]``.

Calling such an instance runs (once) the ``forward`` of its class (or the ``__call__`` it defines
in its place) and hands back the sequence
outputs it returns (``return output`` or ``return output, hidden``), so that what the outer
model does with them is seen (BRN004). Only outputs come back: the layer-size and layout checks
compare names, and a size named ``hidden`` in the outer class need not be the inner class's
``hidden`` (``Encoder(dim, hidden // 2)``), so the outer class's layers and reshapes of an
output that came this way are not recorded (``crossed_a_class``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lint_rules.entry_points import ENTRY_POINTS
from lint_rules.values import TensorFact, TupleValue

_RETURNED_ROLES = ("output", "per_step")


@dataclass(frozen=True, eq=False)
class Instance:
    """An instance of a class of this module (its ``ClassDef`` node)."""

    node: Any


def call_instance(analysis: Any, instance: Instance, frame: Any) -> Any:
    """What the instance's ``forward`` returns: its outputs (alone or in a tuple), else None."""
    context = analysis.classes.get(id(instance.node))
    if context is None or frame.owner is context:
        return None
    analysis.process_class(context)
    forward = _forward_of(context)
    if forward is None:
        return None
    returned = analysis.interpret_function(forward, context, None).returned
    kept = _outputs_only(returned)
    sites: set[int] = analysis.__dict__.setdefault("_sites_from_instances", set())
    for value in kept.items if isinstance(kept, TupleValue) else (kept,):
        if isinstance(value, TensorFact):
            sites.add(id(value.site))
            analysis.events.instance_classes[id(value.site)] = context.name
    return kept


def crossed_a_class(analysis: Any, value: Any, frame: Any) -> bool:
    """``value`` came out of another class's ``forward`` (``call_instance``) and is used in a
    class other than the one that calls its RNN."""
    if not isinstance(value, TensorFact):
        return False
    sites = analysis.__dict__.get("_sites_from_instances")
    if not sites or id(value.site) not in sites:
        return False
    call = analysis.calls_by_site.get(id(value.site))
    return call is None or frame.owner is None or call.owner != frame.owner.name


def _forward_of(context: Any) -> Any:
    """The ``forward`` of the class or its nearest base that has one; else the ``__call__``
    one defines in its place (``entry_points``)."""
    for name in ENTRY_POINTS:
        pending = [context]
        while pending:
            current = pending.pop(0)
            method = current.methods.get(name)
            if method is not None:
                return method
            pending.extend(current.bases)
    return None


def _outputs_only(value: Any) -> Any:
    if isinstance(value, TensorFact):
        return value if value.role in _RETURNED_ROLES else None
    if isinstance(value, TupleValue):
        items = tuple(
            _outputs_only(item) if isinstance(item, TensorFact) else None for item in value.items
        )
        return TupleValue(items) if any(item is not None for item in items) else None
    return None
