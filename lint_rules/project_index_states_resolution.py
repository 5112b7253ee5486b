"""Pass 2 for states that cross modules: is the tuple a scope unpacks from ``callee(...)`` the
h_n of a bidirectional RNN?

An instance is followed from where the project builds it to the call whose result is sliced:
a local or module-level ``encoder = EncoderRNN(...)``, an attribute ``self.encoder`` set from a
class in ``__init__`` or from an ``__init__`` parameter, and a function parameter, through every
call site in the project that passes it (``train(..., encoder, ...)``). Precision first: every
binding on the way must lead to a project class whose ``forward`` returns a bidirectional RNN's
h_n at that position; one binding this pass cannot follow (an argument that is not a plain name,
``*args``, a name set to anything else) and the state is not known.
"""

from __future__ import annotations

from dataclasses import dataclass

from lint_rules.project_index_states import Passing, StateReturn, StateSummary

_MAX_DEPTH = 6
Target = tuple[str, str]  # (module path, class or function name)


@dataclass(frozen=True)
class BidirectionalState:
    """``callee(...)`` in ``scope`` returns, at ``position``, the h_n of ``rnn`` (bidirectional
    as ``origin`` shows; ``layers``: its layer count when the project fixes it)."""

    scope: str
    callee: str
    position: int
    rnn: str  # "EncoderRNN.gru"
    origin: str  # "bidirectional=True from net/encoder.py:9"
    layers: int | None


def bidirectional_states(index, path: str) -> tuple[BidirectionalState, ...]:
    """The unpacked-and-sliced calls of ``path`` that return a bidirectional RNN's h_n."""
    states = _states(index, path)
    if states is None or not states.uses:
        return ()
    found = []
    for use in states.uses:
        classes = _instances(index, path, use.scope, use.callee, 0)
        if not classes:
            continue
        described = [_bidirectional_return(index, target, use.position) for target in classes]
        if any(item is None for item in described) or len(set(described)) != 1:
            continue
        rnn, origin, layers = described[0]  # type: ignore[misc]
        found.append(BidirectionalState(use.scope, use.callee, use.position, rnn, origin, layers))
    return tuple(sorted(set(found), key=lambda item: (item.scope, item.callee, item.position)))


def _states(index, path: str) -> StateSummary | None:
    summary = index.summaries.get(path)
    return getattr(summary, "states", None) if summary is not None else None


# -- instances -----------------------------------------------------------------------------


def _instances(index, path: str, scope: str, name: str, depth: int) -> frozenset[Target] | None:
    """The project classes ``name`` may be an instance of in ``scope``; None when a binding on
    the way cannot be followed. Each question is answered once per index (a cycle of calls
    answers None)."""
    memo = index.__dict__.setdefault("_state_instances", {})
    key = (path, scope, name)
    if key not in memo:
        memo[key] = None
        memo[key] = _instances_uncached(index, path, scope, name, depth)
    return memo[key]


def _instances_uncached(index, path, scope, name, depth) -> frozenset[Target] | None:
    states = _states(index, path)
    if states is None or depth > _MAX_DEPTH:
        return None
    if name.startswith("self."):
        owner = scope.split(".", 1)[0] if "." in scope else None
        if owner is None or name.count(".") != 1:
            return None
        holders = [item for item in states.holders if item.scope == owner and item.name == name]
        return _from_holders(index, path, owner, holders, depth)
    if "." in name:
        return None
    parameters = states.functions.get(scope)
    holders = [item for item in states.holders if item.scope == scope and item.name == name]
    if parameters is not None and name in parameters:
        if "." in scope or holders:
            return None  # a method's parameter (its callers are not followed), or rebound
        return _from_callers(index, (path, scope), name, parameters, depth)
    if holders or scope == "":
        return _from_holders(index, path, None, holders, depth)
    globals_ = [item for item in states.holders if item.scope == "" and item.name == name]
    return _from_holders(index, path, None, globals_, depth)


def _from_holders(index, path, owner, holders, depth) -> frozenset[Target] | None:
    if not holders:
        return None
    found: set[Target] = set()
    for holder in holders:
        if holder.source[0] == "class":
            target = index.resolve_class(path, holder.source[1])
            if target is None:
                return None
            found.add(target)
        elif holder.source[0] == "returned":
            through = _from_function(index, path, holder.source[1], holder.source[2], depth)
            if through is None:
                return None
            found |= through
        elif holder.source[0] == "param" and owner is not None:
            cls = _class_summary(index, path, owner)
            if cls is None:
                return None
            through = _from_callers(index, (path, owner), holder.source[1], cls.parameters, depth)
            if through is None:
                return None
            found |= through
        else:
            return None
    return frozenset(found)


def _from_function(index, path, callee: str, position: int | None, depth) -> frozenset | None:
    """What a project function returns (at ``position`` of its tuple): ``encoder, decoder =
    init_model()`` where every ``return`` gives names this pass can follow."""
    target = _resolve_function(index, path, callee)
    states = _states(index, target[0]) if target is not None else None
    if target is None or states is None:
        return None
    returns = states.function_returns.get(target[1]) or []
    found: set[Target] = set()
    for returned in returns:
        if position is None:
            name = returned if isinstance(returned, str) else None
        else:
            fits = isinstance(returned, tuple) and position < len(returned)
            name = returned[position] if fits else None
        classes = _instances(index, target[0], target[1], name, depth + 1) if name else None
        if classes is None:
            return None
        found |= classes
    return frozenset(found) if found else None


def _from_callers(index, target: Target, parameter: str, parameters, depth) -> frozenset | None:
    """What every call of ``target`` (a class or a module-level function) in the project passes
    as ``parameter``; None when a call passes something this pass cannot follow."""
    if parameter not in parameters:
        return None  # two classes of one name in a module: not this one's parameter
    slot = parameters.index(parameter)
    found: set[Target] = set()
    calls = _calls_of(index).get(target, ())
    if not calls:
        return None
    for caller_path, passing in calls:
        if any(key == parameter for key, _ in passing.keywords):
            name = dict(passing.keywords)[parameter]
        elif slot < len(passing.positional):
            name = passing.positional[slot]
        elif passing.starred:
            return None
        else:
            continue  # the parameter's default: a call that reaches the slice passes it
        if name is None:
            return None
        classes = _instances(index, caller_path, passing.scope, name, depth + 1)
        if classes is None:
            return None
        found |= classes
    return frozenset(found) if found else None


def _calls_of(index) -> dict[Target, list[tuple[str, Passing]]]:
    """Every call in the project whose callee is a project class or module-level function."""
    cached = index.__dict__.get("_state_calls")
    if cached is not None:
        return cached
    calls: dict[Target, list[tuple[str, Passing]]] = {}
    for path in index.summaries:
        states = _states(index, path)
        for passing in states.passings if states is not None else ():
            target = index.resolve_class(path, passing.callee) or _resolve_function(
                index, path, passing.callee
            )
            if target is not None:
                calls.setdefault(target, []).append((path, passing))
    index.__dict__["_state_calls"] = calls
    return calls


def _resolve_function(index, path: str, name: str) -> Target | None:
    """The module-level function ``name`` means in ``path``: its own, or one it imports by name
    (``from train import train``) or by module (``import train; train.train(...)``)."""
    if _defines(index, path, name):
        return path, name
    head, _, rest = name.partition(".")
    for item in index.summaries[path].imports:
        if item.local != head:
            continue
        if item.name is None and rest and "." not in rest:
            target = index.module_path(path, item.module)
            return (target, rest) if target and _defines(index, target, rest) else None
        if item.name is not None and not rest:
            target = index.module_path(path, item.module, item.level)
            return (target, item.name) if target and _defines(index, target, item.name) else None
    return None


def _defines(index, path: str, function: str) -> bool:
    states = _states(index, path)
    return states is not None and "." not in function and function in states.functions


# -- what the class returns ----------------------------------------------------------------


def _bidirectional_return(index, target: Target, position: int):
    """(label, origin, layers) when ``target``'s forward returns a bidirectional RNN's h_n at
    ``position``; None otherwise."""
    path, cls = target
    states = _states(index, path)
    if states is None:
        return None
    returned: list[StateReturn] = [
        item for item in states.returns if item.owner == cls and item.position == position
    ]
    if len(returned) != 1:
        return None
    state = returned[0]
    flag = _flag(index, path, cls, state)
    if flag is None:
        return None
    return f"{cls}.{state.rnn}", flag, _layers(index, path, cls, state)


def _flag(index, path: str, cls: str, state: StateReturn) -> str | None:
    value = state.bidirectional
    if value == ("bool", True):
        return f"bidirectional=True at {path}:{state.line}"
    if value is None or value[0] == "bool":
        return None
    if value[0] == "config":
        resolved = index.config_value(value[1])
    else:
        resolved = next(
            (item for item in index.binding(path, cls, value[1]) if item[0] is True), None
        )
        if resolved is None and not index.binding(path, cls, value[1]):
            summary = _class_summary(index, path, cls)
            if summary is not None and dict(summary.defaults).get(value[1]) is True:
                resolved = (True, f"{path}:{summary.line}")
    if resolved is None or resolved[0] is not True:
        return None
    return f"bidirectional=True from {resolved[1]}"


def _layers(index, path: str, cls: str, state: StateReturn) -> int | None:
    """The RNN's layer count when a literal fixes it, or when a parameter's default does and no
    call in the project passes that parameter."""
    layers = state.num_layers
    if layers is None:
        return None
    if layers[0] == "int":
        return layers[1]
    default = layers[2]
    if default is None:
        return None
    summary = _class_summary(index, path, cls)
    if summary is None or layers[1] not in summary.parameters:
        return None
    slot = summary.parameters.index(layers[1])
    for _, passing in _calls_of(index).get((path, cls), ()):
        if passing.starred or slot < len(passing.positional):
            return None
        if any(key == layers[1] for key, _ in passing.keywords):
            return None
    return default


def _class_summary(index, path: str, name: str):
    return next((item for item in index.summaries[path].classes if item.name == name), None)
