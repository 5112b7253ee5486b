"""Tensors handed to a helper of the same module: ``self.attention_net(output, h_n)``.

A helper is interpreted once with unknown parameters (``interpret_function``), so what it does
to an RNN's output or state it receives as an argument is not seen. When a call passes such a
tensor, the helper is run again with its parameters bound to the call's values, and only the
events about the tensors that came in are kept: everything else the helper does was already
recorded by its first run, and its calls of other functions are left to their own runs. A
padded batch handed over (``self.encode(self.embedding(words))``) is followed the same way: the
helper's RNN calls that read it are kept, so BRN005 sees the padding they read.
"""

from __future__ import annotations

from typing import Any

from lint_rules.events import Events, Scope
from lint_rules.scopes import Frame
from lint_rules.values import FunctionRef, Padded, StateTuple, TensorFact

_MAX_DEPTH = 3  # helpers calling helpers with the same tensor
_MAX_RUNS = 8  # runs of one helper with bound arguments, per module


def _passed_tensors(args: Any) -> list[Any]:
    values = list(args.positional) + list(args.keywords.values())
    return [value for value in values if isinstance(value, (TensorFact, StateTuple))]


def follow_into_helper(analysis: Any, callee: FunctionRef, args: Any, caller: Frame) -> Any:
    """Run ``callee`` with the call's arguments bound; return what it returns (None: unknown).

    The events its body records about the passed tensors join the module's events."""
    passed = _passed_tensors(args)
    values = list(args.positional) + list(args.keywords.values())
    padded = any(isinstance(value, Padded) for value in values)
    if not (passed or padded) or args.unknown:
        return None
    function = callee.node
    active: set[int] = analysis.__dict__.setdefault("_helpers_running", set())
    runs: dict[int, int] = analysis.__dict__.setdefault("_helper_runs", {})
    if id(function) in active or len(active) >= _MAX_DEPTH:
        return None
    if runs.get(id(function), 0) >= _MAX_RUNS:
        return None  # generated code calling one helper hundreds of times: the first runs say it
    runs[id(function)] = runs.get(id(function), 0) + 1
    parent = callee.enclosing or analysis.module_frame  # a closure reads its defining frame
    frame = Frame(env={}, scope=Scope(function), parent=parent, owner=callee.owner)
    frame.guard = caller.guard
    analysis._bind_parameters(function, frame, callee.owner)
    if not _bind_arguments(function, frame, args):
        return None
    sites = {id(value.site) for value in passed}
    outer_events, memo_before = analysis.events, set(analysis.functions)
    analysis.events = Events()
    active.add(id(function))
    try:
        analysis.run_block(function.body, frame)
        seen = analysis.events
    finally:
        active.discard(id(function))
        analysis.events = outer_events
        for key in set(analysis.functions) - memo_before:
            del analysis.functions[key]  # first runs made here recorded into the scratch events
    for name in ("reshapes", "indexes", "chunks", "layer_uses"):
        kept = [event for event in getattr(seen, name) if id(event.value.site) in sites]
        getattr(outer_events, name).extend(kept)
    outer_events.calls.extend(
        call
        for call in seen.calls
        if (isinstance(call.input, TensorFact) and id(call.input.site) in sites)
        or (padded and isinstance(call.input, Padded))
    )  # an RNN of the helper reading the passed output or padded batch (BRN005)
    if not passed:
        return None  # what a helper returns is followed for RNN outputs handed to it only
    returned = [value for value in frame.returns if value is not None]
    return returned[0] if len(returned) == 1 and len(frame.returns) == 1 else None


def _bind_arguments(function: Any, frame: Frame, args: Any) -> bool:
    """Bind positional and keyword arguments to the parameters; False when they do not fit."""
    params = function.params
    ordered = [param.name.value for param in list(params.posonly_params) + list(params.params)]
    if frame.self_name is not None and ordered and ordered[0] == frame.self_name:
        ordered = ordered[1:]
    if len(args.positional) > len(ordered):
        return False
    named = set(ordered) | {param.name.value for param in params.kwonly_params}
    for name, value in zip(ordered, args.positional):
        if value is not None:
            frame.env[name] = value
    for name, value in args.keywords.items():
        if name not in named:
            return False
        if value is not None:
            frame.env[name] = value
    return True
