"""Pass 1 of the project index: what one module tells the others, read with ``ast``.

Real projects spread the facts a rule needs: ``bidirectional`` is set in a config module or an
argparse default, the model is built in the training script, the data module pads, the decoding
loop sits in the caller. This pass reads every module of the linted roots (``ast`` parses about
nine times faster than libcst) into a ``ModuleSummary`` of plain, picklable data; pass 2
(``project_index_resolution``) joins the summaries. Only what the rules can use is kept.
"""

from __future__ import annotations

import ast
import sys
import warnings
from dataclasses import dataclass, field
from typing import Any

from lint_rules import keyword_dicts
from lint_rules.ast_names import dotted
from lint_rules.data_pipeline import DataFiles, FileCollector, padding_evidence
from lint_rules.direction_options import int_switch_default, is_direction_key, switched_on
from lint_rules.dynamic_imports import dynamic_import
from lint_rules.entry_points import entry_name
from lint_rules.evaluation_padding import EVALUATION_PADDING_TYPES, evaluation_padding_lines
from lint_rules.feature_padding import FEATURE_PADDING_TYPES
from lint_rules.feature_padding import read_scope as read_feature_padding
from lint_rules.hand_padding import HAND_PADDING_TYPES, scope_padding, unclamped
from lint_rules.hollow_packing import hollow_packs
from lint_rules.keras_padding import FUNCTION as KERAS_FUNCTION
from lint_rules.keras_padding import keras_padding
from lint_rules.merged_padding import MERGED_PADDING_TYPES, merged_padding_lines
from lint_rules.model_calls import (
    ModelCall,
    binds_a_model,
    layer_calls,
    model_calls,
    returned_single_axes,
)
from lint_rules.node_index import NodeIndex, ScopeNodes
from lint_rules.packing_helpers import returned_packing
from lint_rules.padding_sides import pad_sequence_evidence
from lint_rules.partial_parse import recovered_module
from lint_rules.readouts import last_step_read
from lint_rules.tokenizer_padding import summarised_tokenizer_calls
from lint_rules.torch_api import PACK_CALLS
from lint_rules.truncated_bptt import detaches_state
from lint_rules.yaml_configs import YamlRead, calls_a_loader, might_load_yaml, yaml_reads

# A value as a call site or a config passes it on: ("bool", True), ("param", name) for a
# parameter of the enclosing ``__init__``, ("config", key) for ``args.key`` / ``cfg["key"]``.
Value = tuple

# A tokenizer's padding modes; `padding=True` too, but not the integer 1 (which equals True in
# a set): `nn.Conv2d(..., padding=1)` pads space, not sequences.
_PADDING_MODES = frozenset(("max_length", "longest"))
_LIBRARY_ROOTS = frozenset(("nn", "torch", "F", "tf", "keras"))  # layers no project defines
# The node types each reading of a scope looks at (``ScopeNodes.of`` hands it only those):
# ``_Reader._node``'s facts, the instantiation sites and loops, and ``hand_padding``'s forms.
_NODE_TYPES = frozenset((ast.Call, ast.BinOp, ast.Dict, ast.Import, ast.ImportFrom, ast.AugAssign))
_SCOPE_TYPES = (ast.Assign, ast.For, ast.While)
_PACKING_TYPES = (ast.Assign, ast.AnnAssign, ast.Return)  # what ``returned_packing`` reads
# Frames of headroom the margin parse gives up on Python 3.11 (``_parse_with_margin``): more
# than the checker's stack is deeper than pass 1's, in one process or in a worker.
_NESTING_MARGIN = 50
_TRUE_STRINGS = frozenset(("true", "yes", "1", "y", "t"))
_FALSE_STRINGS = frozenset(("false", "no", "0", "n", "f"))


@dataclass(frozen=True)
class Import:
    """``from module import name as local`` (``name`` None: ``import module as local``;
    ``name`` "*": a star import). ``level`` counts the dots of a relative import."""

    local: str
    module: str
    name: str | None
    level: int = 0


@dataclass(frozen=True)
class ClassSummary:
    name: str
    line: int
    parameters: tuple[str, ...]  # __init__'s parameters after self, in order
    defaults: tuple[tuple[str, bool], ...] = ()  # parameters whose default is a bool
    attribute_classes: tuple[tuple[str, str], ...] = ()  # self.decoder = Decoder(...)
    forward: tuple[int, int] | None = None  # forward's (parameters after self, defaults)
    last_step: tuple[int, int, str] | None = None  # forward takes x[:, -1]: (axis, line, code)
    returns_single_axes: tuple[int, ...] = ()  # forward returns x.view(-1, 1, F): (1,)


@dataclass(frozen=True)
class FunctionSummary:
    """A module-level function: a factory (``def build(..., bidirectional)``) passes its
    parameters on to the models it builds, so call sites bind them as they bind a class's."""

    name: str
    line: int
    parameters: tuple[str, ...]  # every named parameter, in order
    positional: int  # how many of them a positional argument can fill
    defaults: tuple[tuple[str, bool], ...] = ()  # parameters whose default is a bool
    returned_keys: tuple = ()  # (key, value, line) of the dict literals it returns (keyword_dicts)
    returned_packing: tuple = ()  # what it returns packed, or from a function (packing_helpers)


@dataclass(frozen=True)
class Instantiation:
    """``Callee(args)`` with the arguments whose value is known or traceable."""

    callee: str  # dotted name as written
    line: int
    positional: tuple[Value | None, ...]
    keywords: tuple[tuple[str, Value | None], ...]
    enclosing_class: str | None  # set when the call sits in that class's __init__
    enclosing_function: str | None = None  # set when it sits in that module-level function
    # dicts of keywords (keyword_dicts sources): passed as an argument (name or position), and
    # unpacked into the call with `**`
    dict_arguments: tuple[tuple[str | int, tuple], ...] = ()
    unpacked: tuple[tuple, ...] = ()


@dataclass(frozen=True)
class ConfigDefault:
    key: str  # lower case, dashes as underscores
    value: bool
    line: int
    how: str  # "argparse default", "config attribute", ...
    note: str = ""  # how the value follows, where the declaration does not spell it


@dataclass(frozen=True)
class SteppingLoop:
    """A loop that calls ``callee`` with a state and takes the new state back."""

    callee: str  # dotted name as written: "self.decoder", "model", "decoder"
    line: int
    enclosing_class: str | None
    local_class: str | None  # the class a local ``callee`` was built from, in the same function


@dataclass
class ModuleSummary:
    path: str  # as displayed
    imports: list[Import] = field(default_factory=list)
    classes: list[ClassSummary] = field(default_factory=list)
    functions: list[FunctionSummary] = field(default_factory=list)
    instantiations: list[Instantiation] = field(default_factory=list)
    config_defaults: list[ConfigDefault] = field(default_factory=list)
    padding: list[tuple[int, str]] = field(default_factory=list)  # (line, evidence)
    loops: list[SteppingLoop] = field(default_factory=list)
    packs: bool = False  # outside model classes (data or training code that packs batches)
    parsed: bool = True
    syntax_error_line: int = 0  # where Python stopped; the parts that parse are summarised
    dynamic_imports: list[tuple[str, bool]] = field(default_factory=list)  # (module, package)
    # ``ast.parse`` accepted the module within a margin of Python's nesting limit, so the
    # checker need not ask ``compile`` whether libcst can be given it (``_parse_with_margin``)
    nesting_checked: bool = False
    data_files: DataFiles | None = None  # data files saved and loaded (data_pipeline)
    states: Any = None  # project_index_states.StateSummary: RNN states returned across modules
    model_calls: list[ModelCall] = field(default_factory=list)  # model(x) of a model built here
    grid_true: list[tuple[str, int]] = field(default_factory=list)  # {"key": [True, ...]}
    # YAML configs (yaml_configs): paths handed to a loader, whether the module calls a YAML
    # loader, and the module-level functions that do
    yaml_reads: list[YamlRead] = field(default_factory=list)
    loads_yaml: bool = False
    yaml_loaders: list[str] = field(default_factory=list)
    # argparse options left off by default that a command line can turn on: (key, line, how)
    switches: list[tuple[str, int, str]] = field(default_factory=list)
    # ``feature_padding``'s facts (padding to an RNN's input size pads features, not steps):
    # (line, name) of the length a pad call pads to, (class, name) of an RNN's input size,
    # (callee, key, kind, value) of a call's arguments, (key, name) of dict entries
    padded_lengths: list[tuple[int, str]] = field(default_factory=list)
    rnn_inputs: set[tuple[str, str]] = field(default_factory=set)
    model_arguments: list[tuple[str, str, str, str]] = field(default_factory=list)
    keyed_values: set[tuple[str, str]] = field(default_factory=set)


def summarise(path: str, text: str) -> ModuleSummary:
    """The summary of one module; an unparsable module gives an empty one."""
    summary = ModuleSummary(path)
    try:
        tree = _parse_with_margin(text)
        summary.nesting_checked = tree is not None
        if tree is None:  # nested too deeply for the margin, not for Python: parse it plainly
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tree = ast.parse(text)
    except SyntaxError as error:
        summary.parsed = False
        summary.syntax_error_line = error.lineno or 1
        tree = recovered_module(text)  # the parts that parse still say how data is padded
    except (ValueError, RecursionError, MemoryError):
        summary.parsed = False
        return summary
    from lint_rules.project_index_states import summarise_states  # it reads this module's helpers

    try:
        nodes = NodeIndex(tree)  # one walk, shared by every collector below
        _Reader(summary, nodes, might_load_yaml(text)).read(tree)
        summary.states = summarise_states(tree, nodes)
    except RecursionError:
        pass
    return summary


def _parse_with_margin(text: str) -> ast.Module | None:
    """``ast.parse(text)``, or None where its nesting comes near Python's limit.

    The checker asks Python's compiler first whether a module nests too deeply for libcst
    (``checker._refuse_what_python_cannot_nest``); that costs a tenth of a libcst parse. On
    Python 3.12 and later ``ast.parse`` refuses whatever ``compile`` refuses for its nesting,
    so a module parsed here needs no second look. On 3.11 both limits move with the depth of
    the caller's stack, so the parse here runs with ``_NESTING_MARGIN`` fewer frames allowed
    than the checker will have; on 3.10 ``ast.parse`` accepts deeper nesting than ``compile``,
    so the checker always asks (``ModuleSummary.nesting_checked`` stays False)."""
    if sys.version_info < (3, 11):
        return None
    limit = sys.getrecursionlimit()
    margin = _NESTING_MARGIN if sys.version_info < (3, 12) else 0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sys.setrecursionlimit(limit - margin)
            try:
                return ast.parse(text)
            finally:
                sys.setrecursionlimit(limit)
    except (RecursionError, MemoryError):
        return None


def normalise_key(name: str) -> str:
    return name.lstrip("-").replace("-", "_").lower()


def bool_of_text(text: str) -> bool | None:
    """A flag's value as a command line or a config string spells it ("true", "0", "yes")."""
    lowered = text.strip().lower()
    if lowered in _TRUE_STRINGS:
        return True
    if lowered in _FALSE_STRINGS:
        return False
    return None


def _bool_of(node: ast.AST) -> bool | None:
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool):
            return node.value
        if isinstance(node.value, str):
            return bool_of_text(node.value)
    return None


def config_key_of(node: ast.AST) -> str | None:
    """``args.bidirectional``, ``self.config.bidirectional``, ``cfg["bidirectional"]``,
    ``opt.get("bidirectional")``, ``opt.__dict__.get(...)``: the key read from a config."""
    if isinstance(node, ast.Attribute) and isinstance(node.value, (ast.Name, ast.Attribute)):
        if dotted(node.value) not in (None, "self"):
            return normalise_key(node.attr)
    if isinstance(node, ast.Subscript):
        index = node.slice
        if isinstance(index, ast.Constant) and isinstance(index.value, str):
            return normalise_key(index.value)
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "get"
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    ):
        return normalise_key(node.args[0].value)
    return None


def is_model_class(node: ast.ClassDef) -> bool:
    """A class defining ``forward`` or derived from a ``...Module``: its packing is its own."""
    if any(isinstance(item, ast.FunctionDef) and item.name == "forward" for item in node.body):
        return True
    return any((dotted(base) or "").endswith("Module") for base in node.bases)


class _Reader:
    def __init__(self, summary: ModuleSummary, nodes: NodeIndex, names_yaml: bool = False) -> None:
        self.summary = summary
        self.nodes = nodes
        self.names_yaml = names_yaml  # the text mentions YAML: its loads are looked for
        self.in_model = False  # the scope being read is a model class's or one of its methods
        self.summarised: set[int] = set()  # tokenizer calls of the scope no RNN can read
        self.hollow: dict[int, str] = {}  # the scope's packs that pack nothing (hollow_packing)
        self.module_values: dict[str, Value] = {}  # module-level names set to a flag's value

    def read(self, tree: ast.Module) -> None:
        self.files = FileCollector()
        self.module_functions: set[int] = set()
        top_level_imports = set()
        for statement in tree.body:
            self._top_level(statement)
            if isinstance(statement, (ast.Import, ast.ImportFrom)):
                top_level_imports.add(id(statement))
        self.top_level_imports = top_level_imports
        # each scope (the module's statements, then each function's and class's) in turn
        pending: list[tuple[list[ast.stmt], str | None, ast.AST | None]] = [(tree.body, None, None)]
        models: set[str] = set()
        while pending:
            body, owner, function = pending.pop()
            self.in_model = owner in models
            scope = self.nodes.scope(tree if function is None else function)
            padded_before = len(self.summary.padding)
            nested_scopes = self._scope(scope, body, owner, function)
            read_feature_padding(scope.of(*FEATURE_PADDING_TYPES), self.summary, owner)
            if len(self.summary.padding) > padded_before:
                self._drop_merged_padding(scope, padded_before)
                self._drop_evaluation_padding(scope, padded_before)
            for nested, nested_owner in nested_scopes:
                if isinstance(nested, ast.ClassDef):
                    if is_model_class(nested):
                        models.add(nested.name)
                    pending.append((nested.body, nested.name, nested))
                else:
                    pending.append((nested.body, nested_owner, nested))
        padding_lines = [line for line, _ in self.summary.padding]
        self.summary.data_files = self.files.finish(tree.body, padding_lines)

    def _drop_merged_padding(self, scope: ScopeNodes, first: int) -> None:
        """Forget the padding this scope found (entries from ``first`` on) that it merges away
        (``merged_padding``): tracks of one item aligned and reduced into one sequence."""
        merged = merged_padding_lines(scope.of(*MERGED_PADDING_TYPES))
        if merged:
            found = self.summary.padding
            found[first:] = [
                (line, evidence) for line, evidence in found[first:] if line not in merged
            ]

    def _drop_evaluation_padding(self, scope: ScopeNodes, first: int) -> None:
        """Forget the padding this scope found (entries from ``first`` on) that serves
        evaluation only (``evaluation_padding``): predictions and targets padded to score them."""
        found = self.summary.padding
        lines = [line for line, _ in found[first:]]
        if lines:
            scored = evaluation_padding_lines(scope.of(*EVALUATION_PADDING_TYPES), lines)
            if scored:
                found[first:] = [
                    (line, evidence) for line, evidence in found[first:] if line not in scored
                ]

    def _node(self, node: ast.AST) -> None:
        """Facts any node may hold, wherever it is."""
        evidence = padding_evidence(node)
        if evidence is not None:
            self.summary.padding.append((node.lineno, evidence))
        if isinstance(node, ast.Call):
            self._call(node)
            self.files.call(node)
        elif isinstance(node, ast.BinOp):
            self._manual_padding(node)
        elif isinstance(node, ast.Dict):
            self._dict(node)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            if id(node) not in self.top_level_imports:
                self._import(node)  # imports inside functions or try blocks

    # -- module level ----------------------------------------------------------------------

    def _top_level(self, statement: ast.stmt) -> None:
        if isinstance(statement, (ast.Import, ast.ImportFrom)):
            self._import(statement)
        elif isinstance(statement, ast.ClassDef):
            self._class(statement)
            self.files.class_constants(statement)
        elif isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self._function(statement)
        elif isinstance(statement, (ast.Assign, ast.AnnAssign)):
            self._constant(statement, "config module")
            self.files.constant(statement)
        elif isinstance(statement, (ast.If, ast.Try)):
            for child in statement.body:
                self._top_level(child)

    def _import(self, node: ast.Import | ast.ImportFrom) -> None:
        imports = self.summary.imports
        if isinstance(node, ast.Import):
            for alias in node.names:
                local = alias.asname or alias.name.split(".", 1)[0]
                imports.append(Import(local, alias.name, None))
            return
        module = node.module or ""
        for alias in node.names:
            local = "*" if alias.name == "*" else alias.asname or alias.name
            imports.append(Import(local, module, alias.name, node.level))

    def _constant(self, statement: ast.Assign | ast.AnnAssign, how: str) -> None:
        targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
        value = _bool_of(statement.value) if statement.value is not None else None
        if value is None or not (statement.value and isinstance(statement.value.value, bool)):
            return  # a bare string is not a flag at module level
        for target in targets:
            if isinstance(target, ast.Name):
                self.summary.config_defaults.append(
                    ConfigDefault(normalise_key(target.id), value, statement.lineno, how)
                )

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.module_functions.add(id(node))
        arguments = node.args
        positional = [arg.arg for arg in arguments.posonlyargs + arguments.args]
        named = tuple(positional + [arg.arg for arg in arguments.kwonlyargs])
        scope = self.nodes.scope(node)
        returns = scope.of(ast.Return)
        packing = returned_packing(node, scope.of(*_PACKING_TYPES), _hollow(scope)) if returns else ()
        self.summary.functions.append(
            FunctionSummary(
                node.name,
                node.lineno,
                named,
                len(positional),
                _bool_defaults(arguments),
                keyword_dicts.returned_keys(returns, set(named), _value) if returns else (),
                packing,
            )
        )

    def _class(self, node: ast.ClassDef) -> None:
        parameters: tuple[str, ...] = ()
        defaults: tuple[tuple[str, bool], ...] = ()
        attribute_classes: list[tuple[str, str]] = []
        forward = None
        forward_node: ast.FunctionDef | None = None
        entry = entry_name(item.name for item in node.body if isinstance(item, ast.FunctionDef))
        for statement in node.body:
            if isinstance(statement, ast.FunctionDef) and statement.name == entry:
                positional = statement.args.posonlyargs + statement.args.args
                forward = (len(positional) - 1, len(statement.args.defaults))
                forward_node = statement
            if isinstance(statement, (ast.Assign, ast.AnnAssign)):
                self._constant(statement, "config class")
            if isinstance(statement, ast.FunctionDef) and statement.name == "__init__":
                arguments = statement.args.posonlyargs + statement.args.args
                parameters = tuple(arg.arg for arg in arguments[1:])
                parameters += tuple(arg.arg for arg in statement.args.kwonlyargs)
                defaults = _bool_defaults(statement.args)
                for inner in self.nodes.walked(statement, ast.Assign):
                    if isinstance(inner, ast.Assign) and isinstance(inner.value, ast.Call):
                        callee = dotted(inner.value.func)
                        for target in inner.targets:
                            if (
                                callee
                                and isinstance(target, ast.Attribute)
                                and isinstance(target.value, ast.Name)
                                and target.value.id == "self"
                            ):
                                attribute_classes.append((target.attr, callee))
        self.summary.classes.append(
            ClassSummary(
                node.name,
                node.lineno,
                parameters,
                defaults,
                tuple(attribute_classes),
                forward,
                last_step_read(node, self.nodes),
                returned_single_axes(forward_node) if forward_node is not None else (),
            )
        )
        layers: dict[str, list[str]] = {}
        for name, callee in attribute_classes:
            if callee.split(".", 1)[0] in _LIBRARY_ROOTS:
                continue  # nn.LSTM, torch.nn.Linear: never a project class
            if callee not in layers.setdefault(name, []):
                layers[name].append(callee)
        if layers:
            methods = [item for item in node.body if isinstance(item, ast.FunctionDef)]
            self.summary.model_calls.extend(layer_calls(methods, layers))

    # -- calls -----------------------------------------------------------------------------

    def _call(self, node: ast.Call) -> None:
        name = dotted(node.func) or ""
        last = name.rsplit(".", 1)[-1]
        if last in PACK_CALLS:
            if id(node) not in self.hollow:  # a pack with the padded rows' lengths packs nothing
                self.summary.packs = self.summary.packs or not self.in_model
        elif last == "pad_sequence":
            side = next((k.value for k in node.keywords if k.arg == "padding_side"), None)
            written = side.value if isinstance(side, ast.Constant) else None
            evidence = self.hollow.get(id(node)) or pad_sequence_evidence(written)
            self.summary.padding.append((node.lineno, evidence))
        elif last == KERAS_FUNCTION:
            evidence = keras_padding(node, self.summary.imports)
            if evidence is not None:
                self.summary.padding.append((node.lineno, evidence))
        elif last == "BucketIterator" or name.endswith("BucketIterator.splits"):
            self.summary.padding.append((node.lineno, "torchtext's `BucketIterator`"))
        elif last in ("import_module", "__import__"):
            loaded = dynamic_import(node)
            if loaded is not None:
                self.summary.dynamic_imports.append(loaded)
        elif last == "add_argument":
            self._argument(node)
        elif last == "set_defaults":
            for keyword in node.keywords:
                value = _bool_of(keyword.value) if keyword.arg else None
                if value is not None:
                    self._default(keyword.arg, value, node.lineno, "argparse default")
        elif last == "dict":
            for keyword in node.keywords:
                if keyword.arg and isinstance(keyword.value, ast.Constant):
                    value = keyword.value.value
                    if isinstance(value, bool):
                        self._default(keyword.arg, value, node.lineno, "config dict")
        for keyword in node.keywords:
            if keyword.arg == "padding" and isinstance(keyword.value, ast.Constant):
                mode = keyword.value.value
                if id(node) in self.summarised:
                    continue  # padding for a transformer whose one-vector summary is read
                if mode is True or (isinstance(mode, str) and mode in _PADDING_MODES):
                    evidence = f"a tokenizer called with `padding={mode!r}`"
                    self.summary.padding.append((node.lineno, evidence))
            elif keyword.arg == "fix_length" and last == "Field":
                self.summary.padding.append((node.lineno, "torchtext's `Field(fix_length=...)`"))

    def _default(self, key: str, value: bool, line: int, how: str, note: str = "") -> None:
        self.summary.config_defaults.append(
            ConfigDefault(normalise_key(key), value, line, how, note)
        )

    def _argument(self, node: ast.Call) -> None:
        flags = [
            arg.value
            for arg in node.args
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
        ]
        if not flags:
            return
        keywords = {keyword.arg: keyword.value for keyword in node.keywords if keyword.arg}
        long_flags = [flag for flag in flags if flag.startswith("--")] or flags
        dest = keywords.get("dest")
        key = dest.value if isinstance(dest, ast.Constant) and isinstance(dest.value, str) else None
        key = normalise_key(key or long_flags[0])
        action = keywords.get("action")
        action_name = action.value if isinstance(action, ast.Constant) else None
        note = ""
        if "default" in keywords:
            value = _bool_of(keywords["default"])
            if value is None and is_direction_key(key) and not key.startswith("no_"):
                value = int_switch_default(keywords)  # `--bidirectional`, type=int, default=1
        elif action_name == "store_true":
            value = False
        elif action_name == "store_false":
            value = True
            if not normalise_key(long_flags[0]).startswith("no_"):  # `--bidirectional` turns it off
                note = f", `store_false`: True unless `{long_flags[0]}` is given"
        else:
            value = None
        if value is not True and not key.startswith("no_"):
            how = switched_on(long_flags[0], keywords)
            if how is not None:
                self.summary.switches.append((key, node.lineno, how))
        if value is None:
            return
        if key.startswith("no_") and dest is None:
            key = key[3:]  # `--no-bidirectional`, store_false: bidirectional defaults to True
        self._default(key, value, node.lineno, "argparse default", note)

    def _dict(self, node: ast.Dict) -> None:
        for key, value in zip(node.keys, node.values):
            if not isinstance(key, ast.Constant) or not isinstance(key.value, str):
                continue
            if isinstance(value, ast.Constant) and isinstance(value.value, bool):
                self._default(key.value, value.value, node.lineno, "config dict")
            elif isinstance(value, (ast.List, ast.Tuple)) and any(
                isinstance(item, ast.Constant) and item.value is True for item in value.elts
            ):
                # a hyper-parameter grid (`{"bidir": [True, False]}`): True is a value it runs
                self.summary.grid_true.append((normalise_key(key.value), value.lineno))

    def _manual_padding(self, node: ast.BinOp) -> None:
        """``seq + [PAD] * (max_len - len(seq))``, the count also kept from going negative
        (``[PAD] * max(0, max_len - len(seq))``, after ``seq[:max_len]``)."""
        if not isinstance(node.op, ast.Add) or not isinstance(node.right, ast.BinOp):
            return
        right = node.right
        if not isinstance(right.op, ast.Mult):
            return
        for side, count in ((right.left, right.right), (right.right, right.left)):
            count = unclamped(count)
            if isinstance(side, ast.List) and len(side.elts) == 1 and isinstance(count, ast.BinOp):
                if isinstance(count.op, ast.Sub) and _calls_len(count.right):
                    self.summary.padding.append(
                        (node.lineno, "`seq + [PAD] * (max_len - len(seq))`")
                    )
                    return

    def _yaml(self, calls: list[ast.AST], assignments: list[ast.Assign], function) -> None:
        """The YAML paths the scope hands on, and whether it parses YAML itself."""
        if calls_a_loader(calls):
            self.summary.loads_yaml = True
            if id(function) in self.module_functions:
                self.summary.yaml_loaders.append(function.name)
        self.summary.yaml_reads.extend(yaml_reads(calls, assignments))

    # -- functions: instantiation sites and stepping loops ---------------------------------

    def _scope(
        self, scope: ScopeNodes, body: list[ast.stmt], owner: str | None, function: ast.AST | None
    ):
        """Read one scope; return the functions and classes nested in it, to read next."""
        nested = scope.nested
        self.hollow = hollow_packs(scope.of(ast.Assign, ast.Call))
        if isinstance(function, ast.ClassDef):
            self.summarised = summarised_tokenizer_calls(scope.nodes)
            for node in scope.of(*_NODE_TYPES):
                self._node(node)
            self.summary.padding.extend(scope_padding(scope.of(*HAND_PADDING_TYPES)))
            return [(item, owner) for item in nested]
        parameters: set[str] = set()
        if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            arguments = function.args
            parameters = {
                a.arg for a in arguments.posonlyargs + arguments.args + arguments.kwonlyargs
            }
        in_init = owner is not None and getattr(function, "name", "") == "__init__"
        factory = getattr(function, "name", None) if id(function) in self.module_functions else None
        known = parameters if in_init or factory else set()
        local_classes: dict[str, str] = {}
        assignments: list[ast.Assign] = []
        calls: list[tuple[str, ast.Call]] = []
        loops: list[ast.AST] = []
        called: set[str] = set()  # names called here: a model bound and called is read
        self.summary.padding.extend(scope_padding(scope.of(*HAND_PADDING_TYPES)))
        self.summarised = summarised_tokenizer_calls(scope.nodes)
        for node in scope.of(*_NODE_TYPES, *_SCOPE_TYPES):
            if type(node) in _NODE_TYPES:
                self._node(node)
            if isinstance(node, ast.Assign):
                assignments.append(node)
                if isinstance(node.value, ast.Call):
                    callee = dotted(node.value.func)
                    for target in node.targets:
                        if isinstance(target, ast.Name) and callee:
                            local_classes[target.id] = callee
            elif isinstance(node, ast.Call):
                callee = dotted(node.func)
                if callee and callee.rsplit(".", 1)[-1][:1].isupper():
                    calls.append((callee, node))
                    continue
                if isinstance(node.func, ast.Name):
                    called.add(node.func.id)
                if callee and not callee.startswith("self."):
                    calls.append((callee, node))  # kept below when it passes a traceable value
            elif isinstance(node, (ast.For, ast.While)):
                loops.append(node)
        if any(binds_a_model(node, called) for node in assignments):
            self.summary.model_calls.extend(model_calls(body))
        if self.names_yaml:
            self._yaml(scope.of(ast.Call), assignments, function)
        local_values = _local_values(assignments)
        if function is None:
            self.module_values = local_values
        else:  # a module-level name the function neither binds nor takes keeps its value
            bound_here = parameters | _stored_names(assignments, loops)
            inherited = self.module_values.items()
            local_values = {
                **{name: value for name, value in inherited if name not in bound_here},
                **local_values,
            }
        local_dicts = keyword_dicts.local_sources(
            assignments, known, lambda node, names: _value(node, names, local_values)
        )
        for callee, node in calls:
            positional = tuple(_value(arg, known, local_values) for arg in node.args)
            keywords = tuple(
                (keyword.arg, _value(keyword.value, known, local_values))
                for keyword in node.keywords
                if keyword.arg
            )
            dict_arguments, unpacked = _keyword_dicts(node, known, local_dicts)
            if (
                not callee.rsplit(".", 1)[-1][:1].isupper()
                and not any(value is not None for value in (*positional, *(v for _, v in keywords)))
                and not (dict_arguments or unpacked)
            ):
                continue  # a function call that passes nothing traceable binds nothing
            self.summary.instantiations.append(
                Instantiation(
                    callee,
                    node.lineno,
                    positional,
                    keywords,
                    owner if in_init else None,
                    factory,
                    dict_arguments,
                    unpacked,
                )
            )
        for loop in loops:
            for loop_call in _stepping_calls(loop):
                local = local_classes.get(loop_call[0])
                self.summary.loops.append(SteppingLoop(loop_call[0], loop_call[1], owner, local))
        return [(item, None if isinstance(item, ast.ClassDef) else owner) for item in nested]


def _hollow(scope: ScopeNodes) -> set[int]:
    """The ids of the scope's packs that pack nothing (``hollow_packing``)."""
    return set(hollow_packs(scope.of(ast.Assign, ast.Call)))


def _walk_scope(body: list[ast.stmt], nested: list | None = None):
    """Every node of a scope, without descending into nested functions or classes (collected
    into ``nested`` when given)."""
    definitions = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    pending = list(reversed(body))
    while pending:
        node = pending.pop()
        if isinstance(node, definitions):
            if nested is not None:
                nested.append(node)
            continue
        yield node
        pending.extend(reversed(list(ast.iter_child_nodes(node))))


def _local_values(assignments: list[ast.Assign]) -> dict[str, Value]:
    """Names a scope sets to one bool literal or to one config key, and to nothing else
    (``bidirectional = True``, ``bidir = args.bidir``, ``BIDIR = True if args.bidir else
    False``): a call that passes the name passes that value."""
    values: dict[str, set] = {}
    for node in assignments:
        value = node.value.value if isinstance(node.value, ast.Constant) else None
        found: Value | None = ("bool", value) if isinstance(value, bool) else None
        if found is None:
            key = _flag_key(node.value)
            found = ("config", key) if key is not None else None
        for target in node.targets:
            if isinstance(target, ast.Name):
                values.setdefault(target.id, set()).add(found)
    return {
        name: next(iter(found))
        for name, found in values.items()
        if len(found) == 1 and None not in found
    }


def _stored_names(assignments: list[ast.Assign], loops: list[ast.AST]) -> set[str]:
    """Names a scope assigns or loops over: there a module-level value of the name is not
    the one a call passes."""
    targets: list[ast.AST] = [target for node in assignments for target in node.targets]
    targets += [loop.target for loop in loops if isinstance(loop, ast.For)]
    names: set[str] = set()
    for target in targets:
        if type(target) is ast.Name:  # most targets: no walk needed
            names.add(target.id)
        else:
            names.update(node.id for node in ast.walk(target) if isinstance(node, ast.Name))
    return names


def _flag_key(node: ast.AST) -> str | None:
    """The config key a flag's value comes from: ``args.bidir``, ``bool(args.bidir)``,
    ``True if args.bidir else False``, ``True if args.bi_rnn == 1 else False`` (a comparison
    with a true value: 1, True, "true"); anything else, None."""
    key = config_key_of(node)
    if key is not None:
        return key
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and len(node.args) == 1:
        return _flag_key(node.args[0]) if node.func.id in ("bool", "int") else None
    if not isinstance(node, ast.IfExp):
        return None
    body, orelse = node.body, node.orelse
    if not isinstance(body, ast.Constant) or not isinstance(orelse, ast.Constant):
        return None
    if body.value is not True or orelse.value is not False:
        return None
    test = node.test
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq):
        compared = test.comparators[0]
        if isinstance(compared, ast.Constant) and _is_true_constant(compared.value):
            return config_key_of(test.left)
        return None
    return config_key_of(test)


def _is_true_constant(value: object) -> bool:
    if value is True or (type(value) is int and value != 0):
        return True
    return isinstance(value, str) and bool_of_text(value) is True


def _value(
    node: ast.AST, parameters: set[str], local_values: dict[str, Value] | None = None
) -> Value | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, bool):
        return ("bool", node.value)
    if isinstance(node, ast.Name) and local_values and node.id in local_values:
        return local_values[node.id]
    if isinstance(node, ast.Name) and node.id in parameters:
        return ("param", node.id)
    key = _flag_key(node)
    if key is not None:
        return ("config", key)
    return None


def _keyword_dicts(
    call: ast.Call, parameters: set[str], local_dicts: dict[str, tuple]
) -> tuple[tuple, tuple]:
    """The dicts of keywords ``call`` passes on by keyword (``build(param=params)``) or by
    position (a literal, or a name the scope binds once to one: ``load(path, params)``), and
    those it unpacks with ``**`` (``keyword_dicts``)."""
    passed: list[tuple[str | int, tuple]] = []
    unpacked: list[tuple] = []
    for position, arg in enumerate(call.args):
        if isinstance(arg, ast.Starred):
            break  # `*args`: the positions after it are not known
        if isinstance(arg, (ast.Dict, ast.Call, ast.Name)):
            source = keyword_dicts.source_of(arg, parameters, local_dicts, _value)
            if source is not None and source[0] == "dict":
                passed.append((position, source))
    for keyword in call.keywords:
        source = keyword_dicts.source_of(keyword.value, parameters, local_dicts, _value)
        if source is None:
            continue
        if keyword.arg is None:
            unpacked.append(source)
        elif source[0] == "returned" or (
            source[0] == "dict" and any(value is not None for _, value in source[1])
        ):
            passed.append((keyword.arg, source))  # a parameter passed on is in `keywords`
    return tuple(passed), tuple(unpacked)


def _bool_defaults(arguments: ast.arguments) -> tuple[tuple[str, bool], ...]:
    positional = arguments.posonlyargs + arguments.args
    pairs = list(zip(positional[len(positional) - len(arguments.defaults) :], arguments.defaults))
    pairs += [(arg, d) for arg, d in zip(arguments.kwonlyargs, arguments.kw_defaults) if d]
    return tuple(
        (arg.arg, default.value)
        for arg, default in pairs
        if isinstance(default, ast.Constant) and isinstance(default.value, bool)
    )


def _calls_len(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "len"


def _names(node: ast.AST) -> set[str]:
    if isinstance(node, (ast.Tuple, ast.List)):
        found: set[str] = set()
        for element in node.elts:
            found |= _names(element)
        return found
    name = dotted(node)
    return {name} if name else set()


def _stepping_calls(loop: ast.For | ast.While) -> list[tuple[str, int]]:
    """``out, h = callee(x_t, h)`` inside the loop: the state goes in and comes back."""
    found = []
    for statement in _walk_scope(loop.body):
        if not isinstance(statement, ast.Assign) or not isinstance(statement.value, ast.Call):
            continue
        call = statement.value
        callee = dotted(call.func)
        if callee is None:
            continue
        targets: set[str] = set()
        for target in statement.targets:
            if isinstance(target, (ast.Tuple, ast.List)):
                for element in target.elts[1:]:
                    targets |= _names(element)
        passed: set[str] = set()
        for arg in call.args[1:]:
            passed |= _names(arg)
        for keyword in call.keywords:
            passed |= _names(keyword.value)
        carried = targets & passed
        if carried and not detaches_state(loop.body, carried):
            found.append((callee, call.lineno))
    return found
