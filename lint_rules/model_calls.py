"""Pass 1 of the project index, for one question: what do the project's calls of a model feed it?

``model = BiLSTM(...)`` (or a model unpickled with ``pickle.load`` / ``torch.load``) and then
``model(x.view(-1, 1, F))`` or ``model(row.unsqueeze(0).unsqueeze(0))``: the input's axes known
to have length 1 tell whether every sequence the model ever sees is one step long. A model that
escapes the scope (handed to a function, returned, stored, read by a nested function) may be
called where this cannot see, so it counts as a call with nothing known. A model class's call of
its own layer (``self.head(features)``) is a call of the layer's class too; when its input is
another layer's output, pass 2 reads what that layer's ``forward`` returns.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from lint_rules.ast_names import dotted, last_name, literal_int

_LOADERS = frozenset(("pickle.load", "torch.load", "joblib.load", "dill.load"))
# Callees that take a model without calling it.
_HARMLESS = frozenset(("print", "dump", "save", "repr", "str", "type", "isinstance", "id"))
_KEEPING = frozenset(("float", "double", "half", "to", "cuda", "cpu", "contiguous", "detach"))
_INPUT_RANK = 3  # an RNN's batched input


@dataclass(frozen=True)
class ModelCall:
    """``model(x)``: ``cls`` as written where ``model = cls(...)`` ("" for a loaded model); the
    axes of ``x`` (rank 3) known to be 1; () when nothing is known (or the model escapes)."""

    cls: str
    line: int
    single_axes: tuple[int, ...]
    producer: str = ""  # the input is what this layer class's forward returns (pass 2 reads it)


def binds_a_model(assignment: ast.Assign, called: set[str]) -> bool:
    """``name = Cls(...)``, ``Cls(...).to(device)``, ``pickle.load(f)`` with ``name(...)``
    among the scope's ``called`` names: worth reading the scope for (``self.x = ...`` is not:
    a module's own layers are not its callers' models). A model called only in a nested
    function is not read, so it has no call found and keeps its findings."""
    targets = assignment.targets
    if len(targets) != 1 or not isinstance(targets[0], ast.Name) or targets[0].id not in called:
        return False
    return _model_class(assignment.value) is not None


def model_calls(body: list[ast.stmt]) -> list[ModelCall]:
    """The calls of models bound in this scope (``body``, nested functions included)."""
    models: dict[str, set[str]] = {}  # a name rebound to other models stands for each of them
    values: dict[str, ast.AST] = {}
    nodes = list(_walk(body))
    for node in nodes:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name):
                values[target.id] = node.value
                cls = _model_class(node.value)
                if cls is not None:
                    models.setdefault(target.id, set()).add(cls)
    if not models:
        return []
    found: list[ModelCall] = []
    called: set[int] = set()
    harmless: set[int] = set()
    for node in nodes:
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in models:
            called.add(id(func))
            axes: tuple[int, ...] = ()
            if node.args and not node.keywords:
                axes = _single_axes(node.args[0], values)
            found.extend(ModelCall(cls, node.lineno, axes) for cls in sorted(models[func.id]))
        elif last_name(func) in _HARMLESS:
            harmless.update(id(arg) for arg in node.args)
    for node in nodes:
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            harmless.add(id(node.value))  # model.eval(), model.parameters()
    for node in nodes:
        if (
            isinstance(node, ast.Name)
            and node.id in models
            and isinstance(node.ctx, ast.Load)
            and id(node) not in called
            and id(node) not in harmless
        ):
            escaped = (ModelCall(cls, node.lineno, ()) for cls in sorted(models[node.id]))
            found.extend(escaped)  # called where this cannot see
    return found


def layer_calls(methods: list[ast.FunctionDef], layers: dict[str, list[str]]) -> list[ModelCall]:
    """A model class's calls of its own layers, ``self.encoder(x)`` with ``self.encoder =
    Encoder(...)`` (``layers``: attribute -> classes as written): each a call of that class. An
    input that is another layer's output, ``self.encoder(self.frontend(x))``, names that layer's
    class as its producer; a layer used other than by calling it (handed on, returned) counts as
    a call with nothing known."""
    found: list[ModelCall] = []
    for method in methods:
        nodes = list(_walk(method.body))
        values = _bound_once(nodes)
        called: set[int] = set()
        used: set[int] = set()
        for node in nodes:
            if isinstance(node, ast.Call):
                attribute = _layer(node.func, layers)
                if attribute is None:
                    continue
                called.add(id(node.func))
                axes: tuple[int, ...] = ()
                producer = ""
                if len(node.args) == 1 and not node.keywords:
                    axes = _single_axes(node.args[0], values)
                    producer = _producer(node.args[0], values, layers)
                found.extend(
                    ModelCall(cls, node.lineno, axes, producer) for cls in layers[attribute]
                )
            elif isinstance(node, ast.Attribute) and _layer(node.value, layers) is not None:
                used.add(id(node.value))  # self.encoder.parameters()
        for node in nodes:
            attribute = _layer(node, layers)
            if attribute is not None and id(node) not in called | used:
                if isinstance(getattr(node, "ctx", None), ast.Load):
                    found.extend(ModelCall(cls, node.lineno, ()) for cls in layers[attribute])
    return found


def returned_single_axes(function: ast.FunctionDef) -> tuple[int, ...]:
    """Axes of length 1 in every value ``forward`` returns (rank 3): ``return x.view(-1, 1, F)``
    -> (1,); () when a return is unknown or there is none."""
    nodes = list(_walk(function.body))
    values = _bound_once(nodes)
    returns: list[ast.AST] = []
    for node in nodes:
        if isinstance(node, ast.Return):
            if node.value is None:
                return ()
            returns.append(node.value)
    if not returns:
        return ()
    axes = set(_single_axes(returns[0], values))
    for value in returns[1:]:
        axes &= set(_single_axes(value, values))
    return tuple(sorted(axes))


def _bound_once(nodes: list[ast.AST]) -> dict[str, ast.AST]:
    """Names bound once in a function, by a plain assignment: their value is the one they hold
    wherever they are read (a name rebound on the way, ``x = self.conv(x)``, is not followed)."""
    values: dict[str, ast.AST] = {}
    stores: dict[str, int] = {}
    for node in nodes:
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            stores[node.id] = stores.get(node.id, 0) + 1
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            if isinstance(node.targets[0], ast.Name):
                values[node.targets[0].id] = node.value
    return {name: value for name, value in values.items() if stores.get(name) == 1}


def _layer(node: ast.AST, layers: dict[str, list[str]]) -> str | None:
    if (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "self"
        and node.attr in layers
    ):
        return node.attr
    return None


def _producer(node: ast.AST, values: dict[str, ast.AST], layers: dict[str, list[str]]) -> str:
    """The class of the layer whose output ``node`` is, read through names bound once ("" for
    none, or for a layer built from more than one class)."""
    for _ in range(3):
        if isinstance(node, ast.Name) and node.id in values:
            node = values[node.id]
    if isinstance(node, ast.Call):
        attribute = _layer(node.func, layers)
        if attribute is not None and len(layers[attribute]) == 1:
            return layers[attribute][0]
    return ""


def _walk(body: list[ast.stmt]):
    for statement in body:
        yield from ast.walk(statement)


def _model_class(value: ast.AST | None) -> str | None:
    while (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Attribute)
        and value.func.attr in ("to", "cuda", "cpu", "eval", "train", "float", "double")
    ):
        value = value.func.value
    if not isinstance(value, ast.Call):
        return None
    callee = dotted(value.func)
    if callee is None:
        return None
    if callee in _LOADERS:
        return ""
    return callee if callee.rsplit(".", 1)[-1][:1].isupper() else None


def _single_axes(node: ast.AST, values: dict[str, ast.AST], depth: int = 0) -> tuple[int, ...]:
    """Axes of a rank-3 input known to be 1: ``x.view(-1, 1, F)`` -> (1,);
    ``row.unsqueeze(0).unsqueeze(0)`` -> (0, 1); a name is read through its assignment."""
    positions = list(range(_INPUT_RANK))  # position at this level -> axis of the input
    ones: set[int] = set()
    while True:
        if isinstance(node, ast.Name) and node.id in values and depth < 3:
            node, depth = values[node.id], depth + 1
            continue
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            break
        method, base = node.func.attr, node.func.value
        if method in _KEEPING:
            node = base
            continue
        if method == "unsqueeze" and len(node.args) == 1:
            dim = literal_int(node.args[0])
            rank = len(positions)
            if dim is None or rank == 0:
                break
            dim = dim + rank if dim < 0 else dim
            if not 0 <= dim < rank:
                break
            ones.add(positions.pop(dim))
            node = base
            continue
        if method in ("view", "reshape"):
            sizes = (
                node.args[0].elts
                if len(node.args) == 1 and isinstance(node.args[0], (ast.Tuple, ast.List))
                else node.args
            )
            if len(sizes) == len(positions):
                ones.update(positions[i] for i, size in enumerate(sizes) if literal_int(size) == 1)
        break
    return tuple(sorted(ones))
