"""YAML configs the project loads: which loads count, and the flags the files set.

``config = read_yaml(os.path.join(os.path.dirname(__file__), "config.yml"))`` and then
``nn.LSTM(..., bidirectional=config.bidirectional)``: the flag lives in ``config.yml``. Pass 1
records where a module hands a YAML path written in its code (a literal ``*.yml``/``*.yaml``,
directly, through a name the scope binds once, or joined to the module's own folder,
``os.path.dirname(__file__)``, or to literal folders) to ``open``, to a YAML loader
(``yaml.safe_load``, ``OmegaConf.load``...) or to a function of the project; and which
functions call a YAML loader themselves. Pass 2 counts a load only when the path reaches a
loader: ``open`` or a loader in a module that calls a loader, or a project function that does.
Only then is the file read (PyYAML's safe composer, for the lines), and its boolean values,
at any depth of the mapping, become config defaults of the loading module's program.

A YAML file nothing loads, a path computed at run time (``args.config``), or a file opened
for writing says nothing. Files are read only when a module loads them, so a run costs nothing
more in a project without YAML.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from lint_rules.ast_names import dotted

_SUFFIXES = (".yml", ".yaml")
# Calls that parse YAML (``from yaml import safe_load`` leaves the bare name).
_LOADERS = frozenset(
    (
        "yaml.load",
        "yaml.safe_load",
        "yaml.full_load",
        "yaml.unsafe_load",
        "yaml.load_all",
        "yaml.safe_load_all",
        "safe_load",
        "full_load",
        "OmegaConf.load",
        "omegaconf.OmegaConf.load",
    )
)
_OPENERS = frozenset(("open", "io.open", "codecs.open"))
_JOINS = frozenset(("os.path.join", "path.join", "osp.join", "join"))
_PATHS = frozenset(("Path", "pathlib.Path"))
_BOOL = "tag:yaml.org,2002:bool"
MAX_YAML_CHARS = 200_000  # a config is small; a data dump in YAML is not read


@dataclass(frozen=True)
class YamlRead:
    """``path`` (as written, folders joined with ``/``) handed on ``line`` to ``open`` or a
    loader of the module (``via`` None) or to the project function ``via``; ``anchored``: joined
    to the module's own folder (``__file__``), else relative to where the program runs."""

    path: str
    line: int
    anchored: bool
    via: str | None = None


def might_load_yaml(text: str) -> bool:
    """The cheap test before any of this module's work: the text names YAML at all."""
    lowered = text.lower()
    return ".yml" in lowered or "yaml" in lowered


def calls_a_loader(calls: Iterable[ast.AST]) -> bool:
    return any(isinstance(call, ast.Call) and dotted(call.func) in _LOADERS for call in calls)


def yaml_reads(calls: Iterable[ast.AST], assignments: Iterable[ast.Assign]) -> Iterator[YamlRead]:
    """The YAML paths this scope's calls hand to ``open``, a loader or a project function."""
    bound: dict[str, list[ast.AST]] = {}
    for assignment in assignments:
        for target in assignment.targets:
            if isinstance(target, ast.Name):
                bound.setdefault(target.id, []).append(assignment.value)
    once = {name: values[0] for name, values in bound.items() if len(values) == 1}
    for call in calls:
        if not isinstance(call, ast.Call):
            continue
        callee = dotted(call.func)
        if callee is None or callee.startswith(("self.", "os.")) or callee in _JOINS | _PATHS:
            continue  # a method, or a path being built: not where the file goes
        if callee in _OPENERS:
            if _writes(call):
                continue
            via = None
        elif callee in _LOADERS:
            via = None
        elif all(part[:1].islower() for part in callee.split(".")):
            via = callee  # a function of the project, maybe: pass 2 decides (not a class's)
        else:
            continue
        for argument in (*call.args, *(keyword.value for keyword in call.keywords)):
            found = _path(argument, once, 0)
            if found is not None:
                yield YamlRead(found[0], call.lineno, found[1], via)


def _writes(call: ast.Call) -> bool:
    """``open(path, "w")``: a file written (or opened in a mode not written out), not read."""
    mode = call.args[1] if len(call.args) > 1 else None
    for keyword in call.keywords:
        if keyword.arg == "mode":
            mode = keyword.value
    if mode is None:
        return False
    if not isinstance(mode, ast.Constant) or not isinstance(mode.value, str):
        return True
    return any(letter in mode.value for letter in "wax+")


def _path(node: ast.AST, bound: dict[str, ast.AST], depth: int) -> tuple[str, bool] | None:
    """(path, anchored to the module's folder) of a YAML path expression, or None."""
    if depth > 3:
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        text = node.value
        if text.lower().endswith(_SUFFIXES) and not text.startswith(("/", "~")):
            return text, False
        return None
    if isinstance(node, ast.Name) and node.id in bound:
        return _path(bound[node.id], bound, depth + 1)
    if isinstance(node, ast.Call):
        callee = dotted(node.func) or ""
        if callee in _PATHS and len(node.args) == 1:
            return _path(node.args[0], bound, depth + 1)
        if callee in _JOINS and len(node.args) >= 2:
            return _joined(node.args[:-1], node.args[-1], bound, depth)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        return _joined([node.left], node.right, bound, depth)
    return None


def _joined(
    folders: list[ast.expr], last: ast.expr, bound: dict[str, ast.AST], depth: int
) -> tuple[str, bool] | None:
    """``os.path.join(folder, ..., "config.yml")``: anchored when the first folder is the
    module's own (it names ``__file__``), relative when every folder is a literal."""
    name = _path(last, bound, depth + 1)
    if name is None or name[1]:
        return None
    parts: list[str] = []
    anchored = False
    for position, folder in enumerate(folders):
        if isinstance(folder, ast.Constant) and isinstance(folder.value, str):
            parts.append(folder.value)
        elif position == 0 and _names_this_file(folder, bound, depth):
            anchored = True
        else:
            return None
    if parts and parts[0].startswith(("/", "~")):
        return None
    return "/".join([*parts, name[0]]), anchored


def _names_this_file(node: ast.AST, bound: dict[str, ast.AST], depth: int) -> bool:
    """``os.path.dirname(os.path.realpath(__file__))``, ``Path(__file__).parent``, or a name
    bound to one."""
    if depth > 3:
        return False
    for inner in ast.walk(node):
        if isinstance(inner, ast.Name):
            if inner.id == "__file__":
                return True
            if inner.id in bound and _names_this_file(bound[inner.id], bound, depth + 1):
                return True
    return False


def boolean_values(text: str) -> list[tuple[str, bool, int]]:
    """``(key, value, line)`` for every boolean a YAML text sets, at any depth of its
    mappings (``model: {bidirectional: true}`` gives ``bidirectional``); nothing when the text
    does not parse."""
    if len(text) > MAX_YAML_CHARS:
        return []
    import yaml  # here, not at the top: most projects load no YAML, and PyYAML costs ~60 ms

    try:
        documents = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
    except yaml.YAMLError:
        return []
    found: list[tuple[str, bool, int]] = []
    pending = [document for document in documents if document is not None]
    while pending:
        node = pending.pop()
        if isinstance(node, yaml.SequenceNode):
            pending.extend(node.value)
        if not isinstance(node, yaml.MappingNode):
            continue
        for key, value in node.value:
            if isinstance(value, (yaml.MappingNode, yaml.SequenceNode)):
                pending.append(value)
            elif (
                isinstance(key, yaml.ScalarNode)
                and isinstance(value, yaml.ScalarNode)
                and value.tag == _BOOL
            ):
                flag = yaml.SafeLoader.bool_values.get(value.value.lower())
                if flag is not None:
                    found.append((str(key.value), flag, key.start_mark.line + 1))
    return sorted(found, key=lambda item: item[2])


def read_config_file(path: str) -> str | None:
    """The text of a YAML file a module loads (``path`` as displayed: from where the linter
    runs), or None where there is no such small file."""
    try:
        if not os.path.isfile(path) or os.path.getsize(path) > MAX_YAML_CHARS:
            return None
        with open(path, encoding="utf-8", errors="replace") as file:
            return file.read()
    except OSError:
        return None
