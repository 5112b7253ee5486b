"""RNN modules built outside a model class and handed to its constructor.

``char_lstm = nn.LSTM(..., bidirectional=True)`` in a factory function (or at module level),
then ``Tagger(vocab, char_lstm)``: ``Tagger.__init__`` stores its parameter
(``self.char_lstm = char_lstm``) and ``forward`` calls it. The analysis interprets each class once,
with unknown parameters, so such a parameter is bound here to the RNN the module's own calls
pass: an ``nn.LSTM``/``GRU``/``RNN`` assigned to a name in the same function and passed by that
name. A constructor that hands the parameter on to another class of the module
(``Encoder(lstm=lstm)``) binds that class's parameter too. A parameter passed two different RNNs
is left unknown.

Cheap by design: only assignments at the top level of the module's functions (and of the module)
are read for RNNs, and only functions that build one are searched for constructor calls.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import libcst as cst

from lint_rules.cst_names import last_name

_RNN_NAMES = frozenset(("LSTM", "GRU", "RNN"))
_CONFLICT = object()


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


def _bind(call: cst.Call, classes: dict, rnns: dict[str, Any], found: dict) -> None:
    """Record the RNNs ``call`` passes by name (``rnns``: name -> its ``nn.LSTM(...)`` call) to
    a class's ``__init__`` parameters."""
    if not isinstance(call.func, cst.Name) or call.func.value not in classes:
        return
    init = _init_of(classes[call.func.value])
    if init is None:
        return
    params = [param.name.value for param in init.params.params][1:]
    keywords = {param.name.value for param in init.params.kwonly_params} | set(params)
    for position, arg in enumerate(call.args):
        if arg.star:
            return  # `*args`: positions after it are not known
        name = arg.keyword.value if arg.keyword is not None else None
        if name is None:
            name = params[position] if position < len(params) else None
        rnn = rnns.get(_name(arg.value))
        if name is None or name not in keywords or rnn is None:
            continue
        key = (call.func.value, name)
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
