"""Pass 1 for states that cross modules: which classes return their RNN's final state, and where
instances of them travel.

``encoder_outputs, encoder_hidden = encoder(x, lengths)`` in a training script slices the h_n
of a bidirectional GRU that ``EncoderRNN.forward`` returned, in another module. To see it, one
module's summary keeps: the positions of ``forward``'s returned tuple that are an owned RNN's
h_n (and what decides that RNN's ``bidirectional`` and ``num_layers``), the names a scope binds to
an instance (``encoder = EncoderRNN(...)``, ``self.encoder = encoder`` in ``__init__``), the
names its calls pass on, and the calls whose returned tuple it unpacks and then slices. Pass 2
(``project_index_states_resolution``) follows instances from where they are built to where their
state is sliced. Scopes are named ``""`` (module level), ``"f"`` (a module-level function) and
``"Class.method"``; a class's attributes live in scope ``"Class"``.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from lint_rules.entry_points import entry_name
from lint_rules.node_index import NodeIndex, ScopeNodes
from lint_rules.project_index import Value, config_key_of, dotted

_RNN_KINDS = frozenset(("LSTM", "GRU", "RNN"))
_TORCH_NN_PREFIXES = frozenset(("nn", "torch.nn", "torch.nn.modules.rnn"))
# nn.Module methods that return the module itself: ``encoder = encoder.to(device)`` is the same
# instance
_SAME_MODULE_METHODS = frozenset(
    (
        "to",
        "cuda",
        "cpu",
        "train",
        "eval",
        "double",
        "float",
        "half",
        "requires_grad_",
        "share_memory",
    )
)
_BIDIRECTIONAL_POSITION = (
    6  # nn.GRU(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional)
)
_NUM_LAYERS_POSITION = 2


@dataclass(frozen=True)
class StateReturn:
    """``forward`` of ``owner`` returns the h_n of its RNN ``self.<rnn>`` at ``position``."""

    owner: str
    position: int
    rnn: str
    kind: str
    bidirectional: Value | None  # ("bool", v), ("param", name), ("config", key); None: unknown
    num_layers: tuple | None  # ("int", n), ("param", name, default int or None); None: unknown
    line: int  # the RNN's constructor


@dataclass(frozen=True)
class Holder:
    """``name`` in ``scope`` is bound to ``source``: ("class", callee as written), ("param", an
    ``__init__`` parameter) or ("other",) for anything this pass cannot follow."""

    scope: str
    name: str
    source: tuple


@dataclass(frozen=True)
class Passing:
    """A call in ``scope`` and the plain names it passes (None: an argument that is not one)."""

    scope: str
    callee: str
    positional: tuple[str | None, ...]
    keywords: tuple[tuple[str, str | None], ...]
    starred: bool  # *args or **kwargs: the slots are not known


@dataclass(frozen=True)
class StateUse:
    """``..., name, ... = callee(...)`` in ``scope``, then ``name[lo:hi]``: the element at
    ``position`` of what ``callee`` returned is sliced along its first dimension."""

    scope: str
    callee: str
    position: int
    line: int


@dataclass
class StateSummary:
    returns: list[StateReturn] = field(default_factory=list)
    holders: list[Holder] = field(default_factory=list)
    passings: list[Passing] = field(default_factory=list)
    uses: list[StateUse] = field(default_factory=list)
    functions: dict[str, tuple[str, ...]] = field(default_factory=dict)  # scope -> parameters
    # module-level function -> what each of its ``return``s gives: a name, a tuple of names (None
    # where not a name), or None
    function_returns: dict[str, list] = field(default_factory=dict)


def summarise_states(tree: ast.Module, nodes: NodeIndex | None = None) -> StateSummary:
    """``nodes``: the module's pass-1 node index, when the caller has built it already."""
    nodes = nodes or NodeIndex(tree)
    summary = StateSummary()
    for statement in _module_statements(tree.body):
        if isinstance(statement, ast.ClassDef):
            _class(statement, summary, nodes)
        elif isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            parameters = _parameters(statement, skip_self=False)
            summary.functions[statement.name] = parameters
            scope = nodes.scope(statement)
            _scope(_fact_nodes(scope), statement.name, summary, parameters)
            summary.function_returns[statement.name] = [
                _returned_names(node.value)  # type: ignore[attr-defined]
                for node in scope.of(ast.Return, in_lambdas=False)
            ]
    # the module's own statements, with the tests of module-level ``if``s and the types of
    # ``except`` clauses left out, as ``_module_statements`` opens their bodies only
    headers = {id(node) for header in _opened_headers(tree.body) for node in ast.walk(header)}
    module_code = _fact_nodes(nodes.scope(tree))
    if headers:
        module_code = [node for node in module_code if id(node) not in headers]
    _scope(module_code, "", summary, ())
    return summary


# what ``_scope`` reads: the states' facts sit in these nodes, outside lambdas
_FACT_TYPES = (
    ast.Subscript,
    ast.Call,
    ast.Assign,
    ast.AugAssign,
    ast.AnnAssign,
    ast.For,
    ast.With,
    ast.NamedExpr,
)


def _fact_nodes(scope: ScopeNodes) -> list[ast.AST]:
    return scope.of(*_FACT_TYPES, in_lambdas=False)


def _opened_headers(body: list[ast.stmt]):
    """The parts of module-level ``if``/``try`` statements that ``_module_statements`` skips."""
    for statement in body:
        if isinstance(statement, ast.If):
            yield statement.test
            yield from _opened_headers(statement.body)
            yield from _opened_headers(statement.orelse)
        elif isinstance(statement, ast.Try):
            for block in (statement.body, statement.orelse, statement.finalbody):
                yield from _opened_headers(block)
            for handler in statement.handlers:
                if handler.type is not None:
                    yield handler.type
                yield from _opened_headers(handler.body)


def _module_statements(body: list[ast.stmt]):
    """Module-level statements, with the bodies of module-level ``if``/``try`` opened: a class
    defined under ``if USE_CUDA:`` is still a module-level class."""
    for statement in body:
        if isinstance(statement, ast.If):
            yield from _module_statements(statement.body)
            yield from _module_statements(statement.orelse)
        elif isinstance(statement, ast.Try):
            for block in (statement.body, statement.orelse, statement.finalbody):
                yield from _module_statements(block)
            for handler in statement.handlers:
                yield from _module_statements(handler.body)
        else:
            yield statement


def _parameters(function: ast.FunctionDef | ast.AsyncFunctionDef, skip_self: bool) -> tuple:
    arguments = function.args.posonlyargs + function.args.args
    names = tuple(arg.arg for arg in arguments)
    if skip_self:
        names = names[1:]
    return names + tuple(arg.arg for arg in function.args.kwonlyargs)


def _class(node: ast.ClassDef, summary: StateSummary, nodes: NodeIndex) -> None:
    methods = {
        item.name: item
        for item in node.body
        if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))
    }
    init = methods.get("__init__")
    rnns: dict[str, tuple[str, Value | None, tuple | None, int]] = {}
    if init is not None:
        rnns = _owned_rnns(init, nodes)
    for name, method in methods.items():
        scope = f"{node.name}.{name}"
        parameters = _parameters(method, skip_self=True)
        summary.functions[scope] = parameters
        _scope(
            _fact_nodes(nodes.scope(method)),
            scope,
            summary,
            parameters,
            node.name,
            name == "__init__",
        )
    forward = methods.get(entry_name(methods) or "forward")
    if forward is not None and rnns:
        summary.returns.extend(_state_returns(node.name, nodes.scope(forward), rnns))


def _owned_rnns(init: ast.FunctionDef | ast.AsyncFunctionDef, nodes: NodeIndex) -> dict:
    """``self.gru = nn.GRU(...)`` in ``__init__``: attribute -> (kind, bidirectional, layers,
    line)."""
    parameters = set(_parameters(init, skip_self=True))
    int_defaults = _int_defaults(init.args)
    aliases: dict[str, str] = {}  # self.bidirectional = bidirectional
    found: dict[str, tuple[str, Value | None, tuple | None, int]] = {}
    assigned: dict[str, int] = {}
    for statement in nodes.walked(init, ast.Assign):
        if not isinstance(statement, ast.Assign) or len(statement.targets) != 1:
            continue
        target = statement.targets[0]
        if not (isinstance(target, ast.Attribute) and dotted(target.value) == "self"):
            continue
        assigned[target.attr] = assigned.get(target.attr, 0) + 1
        value = statement.value
        if isinstance(value, ast.Name) and value.id in parameters:
            aliases[target.attr] = value.id
        kind = _rnn_kind(value)
        if kind is None:
            continue
        assert isinstance(value, ast.Call)
        keywords = {keyword.arg: keyword.value for keyword in value.keywords if keyword.arg}
        flag = keywords.get("bidirectional")
        if flag is None and len(value.args) > _BIDIRECTIONAL_POSITION:
            flag = value.args[_BIDIRECTIONAL_POSITION]
        layers = keywords.get("num_layers")
        if layers is None and len(value.args) > _NUM_LAYERS_POSITION:
            layers = value.args[_NUM_LAYERS_POSITION]
        found[target.attr] = (
            kind,
            ("bool", False) if flag is None else _flag(flag, parameters, aliases),
            ("int", 1) if layers is None else _layers(layers, parameters, int_defaults),
            statement.lineno,
        )
    return {name: rnn for name, rnn in found.items() if assigned[name] == 1}


def _rnn_kind(node: ast.AST) -> str | None:
    """``nn.GRU(...)`` / ``torch.nn.LSTM(...)``: torch's RNN classes, spelled through torch.nn."""
    if not isinstance(node, ast.Call) or any(isinstance(arg, ast.Starred) for arg in node.args):
        return None
    name = dotted(node.func) or ""
    prefix, _, last = name.rpartition(".")
    return last if last in _RNN_KINDS and prefix in _TORCH_NN_PREFIXES else None


def _flag(node: ast.AST, parameters: set[str], aliases: dict[str, str]) -> Value | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, bool):
        return ("bool", node.value)
    if isinstance(node, ast.Name) and node.id in parameters:
        return ("param", node.id)
    if isinstance(node, ast.Attribute) and dotted(node.value) == "self" and node.attr in aliases:
        return ("param", aliases[node.attr])
    key = config_key_of(node)
    return ("config", key) if key is not None else None


def _layers(node: ast.AST, parameters: set[str], defaults: dict[str, int]) -> tuple | None:
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return ("int", node.value)
    if isinstance(node, ast.Name) and node.id in parameters:
        return ("param", node.id, defaults.get(node.id))
    return None


def _int_defaults(arguments: ast.arguments) -> dict[str, int]:
    positional = arguments.posonlyargs + arguments.args
    pairs = list(zip(positional[len(positional) - len(arguments.defaults) :], arguments.defaults))
    pairs += [(arg, d) for arg, d in zip(arguments.kwonlyargs, arguments.kw_defaults) if d]
    return {
        arg.arg: default.value
        for arg, default in pairs
        if isinstance(default, ast.Constant) and type(default.value) is int
    }


def _state_returns(owner: str, forward: ScopeNodes, rnns: dict):
    """The positions of ``forward``'s returned tuple that are h_n of an owned RNN, when every
    ``return`` agrees and the name holding h_n is bound once."""
    states: dict[str, str] = {}  # local name -> RNN attribute
    bound: dict[str, int] = {}
    returns: list[ast.Return] = []
    for node in forward.of(ast.Return, *_FACT_TYPES, in_lambdas=False):
        if isinstance(node, ast.Return):
            returns.append(node)
        for target in _assigned_targets(node):
            for name in _target_names(target):
                bound[name] = bound.get(name, 0) + 1
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            rnn = _called_rnn(node.value, rnns)
            target = node.targets[0]
            if rnn is not None and isinstance(target, (ast.Tuple, ast.List)):
                if len(target.elts) == 2 and isinstance(target.elts[1], ast.Name):
                    if rnns[rnn][0] != "LSTM":  # an LSTM's second element is (h_n, c_n)
                        states[target.elts[1].id] = rnn
                elif len(target.elts) == 2 and isinstance(target.elts[1], (ast.Tuple, ast.List)):
                    inner = target.elts[1].elts
                    if len(inner) == 2 and isinstance(inner[0], ast.Name):
                        states[inner[0].id] = rnn
    if not returns:
        return []
    per_return = [_returned_states(item.value, states, rnns, bound) for item in returns]
    agreed = set(per_return[0])
    for found in per_return[1:]:
        agreed &= set(found)
    out = []
    for position, rnn in sorted(agreed):
        kind, flag, layers, line = rnns[rnn]
        out.append(StateReturn(owner, position, rnn, kind, flag, layers, line))
    return out


def _returned_states(value, states: dict[str, str], rnns: dict, bound: dict[str, int]):
    if isinstance(value, ast.Call):
        rnn = _called_rnn(value, rnns)
        return [(1, rnn)] if rnn is not None and rnns[rnn][0] != "LSTM" else []
    if not isinstance(value, ast.Tuple):
        return []
    return [
        (position, states[item.id])
        for position, item in enumerate(value.elts)
        if isinstance(item, ast.Name) and item.id in states and bound.get(item.id) == 1
    ]


def _returned_names(value: ast.AST | None):
    if isinstance(value, ast.Name):
        return value.id
    if isinstance(value, ast.Tuple):
        return tuple(item.id if isinstance(item, ast.Name) else None for item in value.elts)
    return None


def _called_rnn(value: ast.AST, rnns: dict) -> str | None:
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute):
        if dotted(value.func.value) == "self" and value.func.attr in rnns:
            return value.func.attr
    return None


def _scope(
    nodes: list[ast.AST],
    scope: str,
    summary: StateSummary,
    parameters: tuple[str, ...],
    owner: str | None = None,
    in_init: bool = False,
) -> None:
    sliced: set[str] = set()
    unpacked: list[tuple[str, int, str, int]] = []  # (callee, position, name, line)
    for node in nodes:
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
            first = (
                node.slice.elts[0]
                if isinstance(node.slice, ast.Tuple) and node.slice.elts
                else node.slice
            )
            if isinstance(first, ast.Slice):
                sliced.add(node.value.id)
        elif isinstance(node, ast.Call):
            _passing(node, scope, summary)
        if isinstance(node, ast.Assign):
            _assignment(node, scope, summary, parameters, owner, in_init, unpacked)
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign, ast.For, ast.With, ast.NamedExpr)):
            for target in _assigned_targets(node):
                for name in _target_names(target):
                    summary.holders.append(Holder(scope, name, ("other",)))
    for callee, position, name, line in unpacked:
        if name in sliced:
            summary.uses.append(StateUse(scope, callee, position, line))


def _assignment(node, scope, summary, parameters, owner, in_init, unpacked) -> None:
    value = node.value
    callee = dotted(value.func) if isinstance(value, ast.Call) else None
    for target in node.targets:
        if isinstance(target, (ast.Tuple, ast.List)):
            for position, item in enumerate(target.elts):
                if isinstance(item, ast.Name) and callee is not None:
                    unpacked.append((callee, position, item.id, node.lineno))
                    source: tuple = ("returned", callee, position)
                    summary.holders.append(Holder(scope, item.id, source))
                else:
                    for name in _target_names(item):
                        summary.holders.append(Holder(scope, name, ("other",)))
                    attribute = dotted(item) if isinstance(item, ast.Attribute) else None
                    if owner is not None and attribute and attribute.startswith("self."):
                        summary.holders.append(Holder(owner, attribute, ("other",)))
            continue
        name = dotted(target) if isinstance(target, (ast.Name, ast.Attribute)) else None
        if name is None:
            continue
        if name.startswith("self."):
            if owner is None or name.count(".") != 1:
                continue
            holder_scope = owner
        elif isinstance(target, ast.Name):
            holder_scope = scope
        else:
            continue
        if callee is not None and callee.rpartition(".")[0] == name:
            if callee.rpartition(".")[2] in _SAME_MODULE_METHODS:
                continue  # encoder = encoder.to(device): the same instance
        if callee is not None and callee.rpartition(".")[2][:1].isupper():
            source = ("class", callee)
        elif callee is not None and isinstance(target, ast.Name):
            source = ("returned", callee, None)
        elif in_init and isinstance(value, ast.Name) and value.id in parameters:
            source = ("param", value.id)
        else:
            source = ("other",)
        summary.holders.append(Holder(holder_scope, name, source))


def _passing(node: ast.Call, scope: str, summary: StateSummary) -> None:
    callee = dotted(node.func)
    if callee is None or not (node.args or node.keywords):
        return
    starred = any(isinstance(arg, ast.Starred) for arg in node.args) or any(
        keyword.arg is None for keyword in node.keywords
    )
    summary.passings.append(
        Passing(
            scope,
            callee,
            tuple(arg.id if isinstance(arg, ast.Name) else None for arg in node.args),
            tuple(
                (keyword.arg, keyword.value.id if isinstance(keyword.value, ast.Name) else None)
                for keyword in node.keywords
                if keyword.arg
            ),
            starred,
        )
    )


def _assigned_targets(node: ast.AST) -> list[ast.AST]:
    if isinstance(node, ast.Assign):
        return list(node.targets)
    if isinstance(node, (ast.AugAssign, ast.AnnAssign, ast.For, ast.NamedExpr)):
        return [node.target]
    if isinstance(node, ast.With):
        return [item.optional_vars for item in node.items if item.optional_vars is not None]
    return []


def _target_names(target: ast.AST) -> list[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [name for item in target.elts for name in _target_names(item)]
    if isinstance(target, ast.Starred):
        return _target_names(target.value)
    return []
