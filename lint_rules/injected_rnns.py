"""RNN modules built outside a model class and handed to its constructor.

``char_lstm = nn.LSTM(..., bidirectional=True)`` in a factory function (or at module level),
then ``Tagger(vocab, char_lstm)``: ``Tagger.__init__`` stores its parameter
(``self.char_lstm = char_lstm``) and ``forward`` calls it. The analysis interprets each class once,
with unknown parameters, so such a parameter is bound here to the RNN the module's own calls
pass: an ``nn.LSTM``/``GRU``/``RNN`` assigned to a name in the same function and passed by that
name. A constructor that hands the parameter on to another class of the module
(``Encoder(lstm=lstm)``) binds that class's parameter too. A parameter passed two different RNNs
is left unknown.

A subclass may build the RNN in its own ``__init__`` and hand it to its base's
(``recurrent = nn.GRU(..., bidirectional=bidirectional)``; ``super().__init__(recurrent, ...)``,
also ``super(GRU, self).__init__`` or ``Base.__init__(self, ...)``), so the base's ``forward``
runs it. Such an RNN is read in the subclass's ``__init__`` (its parameters bound as the
project binds them), and each subclass is one way to build the model: the base's parameter
keeps every subclass's RNN, for the analysis to choose among (``InjectedRnn``).

Cheap by design: only assignments at the top level of the module's functions (and of the module,
and of its classes' ``__init__``) are read for RNNs, and only functions that build one are
searched for constructor calls.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import libcst as cst

from lint_rules.cst_names import last_name

_RNN_NAMES = frozenset(("LSTM", "GRU", "RNN"))
_CONFLICT = object()


@dataclass(frozen=True, eq=False)
class InjectedRnn:
    """An ``nn.LSTM(...)`` call whose module is handed to a class's constructor; ``subclass``
    builds it in its ``__init__`` (``init``) and hands it to its base's (None: the module's own
    code or functions build it)."""

    call: cst.Call
    subclass: cst.ClassDef | None = None
    init: cst.FunctionDef | None = None


def injected_rnns(module: cst.Module) -> dict[tuple[str, str], tuple[InjectedRnn, ...]]:
    """(class name, ``__init__`` parameter) -> the RNNs handed to it: one built by the module's
    code, or one per subclass that builds its own."""
    found: dict[tuple[str, str], tuple[InjectedRnn, ...]] = {
        key: (InjectedRnn(call),) for key, call in injected_rnn_calls(module).items()
    }
    for key, inherited in _handed_to_bases(module).items():
        found.setdefault(key, inherited)
    return found


def _handed_to_bases(module: cst.Module) -> dict[tuple[str, str], tuple[InjectedRnn, ...]]:
    """The RNNs subclasses build in ``__init__`` and hand to their base's ``__init__``."""
    classes = {
        statement.name.value: statement
        for statement in module.body
        if isinstance(statement, cst.ClassDef)
    }
    found: dict[tuple[str, str], list[InjectedRnn]] = {}
    for subclass in classes.values():
        init = _init_of(subclass)
        built = _rnns_built(init.body.body) if init is not None else {}
        if not built:
            continue
        bases = [base.value.value for base in subclass.bases if isinstance(base.value, cst.Name)]
        for call in _calls_in(init.body.body):
            target = _base_init_called(call, subclass.name.value, bases)
            if target is None or target[0] not in classes:
                continue
            handed: dict[tuple[str, str], Any] = {}
            base, skipped = target
            _bind(call, classes, built, handed, base, skipped)
            for key, rnn in handed.items():
                if rnn is not _CONFLICT:
                    found.setdefault(key, []).append(InjectedRnn(rnn, subclass, init))
    return {key: tuple(rnns) for key, rnns in found.items()}


def _base_init_called(call: cst.Call, subclass: str, bases: list[str]) -> tuple[str, int] | None:
    """(base class, leading arguments that are not its parameters) when ``call`` runs a base's
    ``__init__``: ``super().__init__(...)``, ``super(Sub, self).__init__(...)`` (the first
    base), ``Base.__init__(self, ...)``."""
    func = call.func
    if not isinstance(func, cst.Attribute) or func.attr.value != "__init__":
        return None
    owner = func.value
    if isinstance(owner, cst.Name) and owner.value in bases:
        return owner.value, 1
    if not (isinstance(owner, cst.Call) and _name(owner.func) == "super" and bases):
        return None
    if owner.args and _name(owner.args[0].value) != subclass:
        return None  # `super(Other, self)`: the class after Other in the order, not known here
    return bases[0], 0


def injected_rnn_calls(module: cst.Module) -> dict[tuple[str, str], cst.Call]:
    """(class name, ``__init__`` parameter) -> the ``nn.LSTM(...)`` call whose module the
    module's code passes for it."""
    classes = {
        statement.name.value: statement
        for statement in module.body
        if isinstance(statement, cst.ClassDef)
    }
    if not classes:
        return {}
    found: dict[tuple[str, str], Any] = {}
    scopes: list[Sequence[Any]] = [module.body]
    scopes.extend(
        statement.body.body
        for statement in module.body
        if isinstance(statement, cst.FunctionDef) and isinstance(statement.body, cst.IndentedBlock)
    )
    for body in scopes:
        built = _rnns_built(body)
        if not built:
            continue
        for call in _calls_in(body):
            _bind(call, classes, built, found)
    pending = list({key[0] for key in found})
    seen: set[str] = set()
    while pending:  # constructors handing the parameter on to another class
        owner = pending.pop()
        if owner in seen:
            continue
        seen.add(owner)
        init = _init_of(classes[owner])
        if init is None:
            continue
        passed = {param: call for (cls, param), call in found.items() if cls == owner}
        before = set(found)
        for call in _calls_in(init.body.body):
            _bind(call, classes, passed, found)
        pending.extend(key[0] for key in set(found) - before)
    return {key: call for key, call in found.items() if call is not _CONFLICT}


def _rnns_built(body: Sequence[Any]) -> dict[str, cst.Call]:
    """``name = nn.LSTM(...)`` among the statements at the top of ``body``."""
    built: dict[str, cst.Call] = {}
    for statement in body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if (
                isinstance(small, cst.Assign)
                and len(small.targets) == 1
                and isinstance(small.targets[0].target, cst.Name)
                and isinstance(small.value, cst.Call)
                and last_name(small.value.func) in _RNN_NAMES
            ):
                built[small.targets[0].target.value] = small.value
    return built


def _bind(
    call: cst.Call,
    classes: dict,
    rnns: dict[str, Any],
    found: dict,
    target: str | None = None,
    skipped: int = 0,
) -> None:
    """Record the RNNs ``call`` passes by name (``rnns``: name -> its ``nn.LSTM(...)`` call) to
    a class's ``__init__`` parameters: the class called, or ``target`` whose ``__init__`` the
    call runs after ``skipped`` leading arguments (``Base.__init__(self, ...)``)."""
    if target is None:
        if not isinstance(call.func, cst.Name) or call.func.value not in classes:
            return
        target = call.func.value
    init = _init_of(classes[target])
    if init is None:
        return
    params = [param.name.value for param in init.params.params][1:]
    keywords = {param.name.value for param in init.params.kwonly_params} | set(params)
    for position, arg in enumerate(call.args):
        if arg.star:
            return  # `*args`: positions after it are not known
        name = arg.keyword.value if arg.keyword is not None else None
        if name is None:
            position -= skipped
            name = params[position] if 0 <= position < len(params) else None
        rnn = rnns.get(_name(arg.value))
        if name is None or name not in keywords or rnn is None:
            continue
        key = (target, name)
        earlier = found.get(key)
        found[key] = rnn if earlier is None or earlier is rnn else _CONFLICT


def _calls_in(body: Sequence[Any]) -> Iterator[cst.Call]:
    pending: list[Any] = list(reversed(body))
    while pending:
        node = pending.pop()
        if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            continue
        if isinstance(node, cst.Call):
            yield node
        pending.extend(reversed(node.children))


def _init_of(node: cst.ClassDef) -> cst.FunctionDef | None:
    if not isinstance(node.body, cst.IndentedBlock):
        return None
    for statement in node.body.body:
        if isinstance(statement, cst.FunctionDef) and statement.name.value == "__init__":
            return statement if isinstance(statement.body, cst.IndentedBlock) else None
    return None


def _name(node: Any) -> str:
    return node.value if isinstance(node, cst.Name) else ""
