"""A project's data pipeline: the forms of padding it writes (pass 1), and the data files one
program saves and another loads (pass 1 records them, ``saved_padding`` joins them in pass 2).

Padding shows in more forms than ``seq + [PAD] * (max_len - len(seq))``: in place
(``seq += [0] * (n - len(seq))``, ``ids.extend([0] * (n - len(ids)))``), or through torchtext,
whose sequential ``Field`` pads every batch an iterator makes (``include_lengths=True`` says the
batch is variable-length, ``BucketIterator.splits`` builds the padded batches).

A preprocessing script that pads and saves its arrays (``pickle.dump``, ``np.save``) feeds the
training script that loads the same file, although neither imports the other. Precision first,
a file joins two programs only when: it is an array container (``.pkl``, ``.npy``, ``.npz``;
checkpoints and text files are shared by programs that pad nothing), the function that writes
it is the one that pads, and the two modules are in one folder tree (sibling folders are
separate projects whose files may merely share a name).

A path is a literal or a name the project binds to one: a module constant
(``PICKLE_PATH = ROOT + '/data/train.pkl'``), or a class attribute of a configuration class
(``class DefaultConfig: pickle_path = './data.pkl'``) read through the class
(``DefaultConfig.pickle_path``, ``DefaultConfig().pickle_path``) or through a module-level
instance of it (``opt = DefaultConfig()``; ``from config import opt``; ``open(opt.pickle_path)``),
the common way a training script names its data in a ``config.py``."""

from __future__ import annotations

import ast
import os
import re
from dataclasses import dataclass

from lint_rules.ast_names import dotted

# Array containers only: checkpoints (.pt, .pth, .h5) hold models, not padded data.
DATA_FILE = re.compile(r"([\w.-]+\.(pkl|pickle|npy|npz))$", re.IGNORECASE)

_SAVERS = frozenset(("save", "savez", "savez_compressed", "to_pickle"))
_PATH_SECOND = frozenset(("torch.save", "joblib.dump"))  # save(obj, path)
_LOADERS = frozenset(("load", "read_pickle"))

# A file reference: ("file", basename) for a literal, ("name", dotted) for a name to resolve.
FileRef = tuple[str, str]


def padding_evidence(node: ast.AST) -> str | None:
    """Padding forms besides ``seq + [PAD] * (max_len - len(seq))`` and the keyword forms."""
    if isinstance(node, ast.AugAssign) and isinstance(node.op, ast.Add):
        if _pad_run(node.value):
            return "`seq += [PAD] * (max_len - len(seq))`"
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        name = dotted(node.func) or ""
        if node.func.attr == "extend" and len(node.args) == 1 and _pad_run(node.args[0]):
            return "`seq.extend([PAD] * (max_len - len(seq)))`"
        if node.func.attr == "splits" and name.split(".")[-2:-1] == ["BucketIterator"]:
            return "torchtext's `BucketIterator.splits`"
        if node.func.attr == "Field" and _include_lengths(node):
            return "torchtext's `Field(include_lengths=True)`"
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        if node.func.id == "Field" and _include_lengths(node):
            return "torchtext's `Field(include_lengths=True)`"
    return None


def _include_lengths(call: ast.Call) -> bool:
    return any(
        keyword.arg == "include_lengths"
        and isinstance(keyword.value, ast.Constant)
        and keyword.value.value is True
        for keyword in call.keywords
    )


def _pad_run(node: ast.AST) -> bool:
    """``[PAD] * (n - len(seq))`` in either order: one element repeated up to a length."""
    if not isinstance(node, ast.BinOp) or not isinstance(node.op, ast.Mult):
        return False
    for side, count in ((node.left, node.right), (node.right, node.left)):
        if isinstance(side, ast.List) and len(side.elts) == 1 and isinstance(count, ast.BinOp):
            right = count.right
            if isinstance(count.op, ast.Sub) and isinstance(right, ast.Call):
                if isinstance(right.func, ast.Name) and right.func.id == "len":
                    return True
    return False


def file_access(node: ast.Call) -> tuple[str, list[FileRef]] | None:
    """("write" or "read", the data files named) for a call that saves or loads a file."""
    name = dotted(node.func) or ""
    last = name.rsplit(".", 1)[-1]
    if last == "open" and node.args:
        mode = node.args[1] if len(node.args) > 1 else _keyword(node, "mode")
        text = mode.value if isinstance(mode, ast.Constant) else "r"
        if not isinstance(text, str):
            return None
        kind = "write" if set(text) & set("wax") else "read"
        return kind, _refs(node.args[0])
    if name in _PATH_SECOND and len(node.args) > 1:
        return "write", _refs(node.args[1])
    if last in _SAVERS and node.args and name not in _PATH_SECOND:
        return "write", _refs(node.args[0])
    if last in _LOADERS and node.args:
        return "read", _refs(node.args[0])
    return None


def constant_file(value: ast.AST) -> str | None:
    """The data file a module-level constant names (``PICKLE = DATA_DIR + '/train.pkl'``)."""
    for kind, ref in _refs(value):
        if kind == "file":
            return ref
    return None


def _refs(node: ast.AST) -> list[FileRef]:
    """Data-file literals in a path expression, and the outermost names it reads (a called
    function's name is not a path)."""
    found: list[FileRef] = []
    pending = [node]
    while pending:
        part = pending.pop()
        if isinstance(part, ast.Constant) and isinstance(part.value, str):
            match = DATA_FILE.search(part.value.replace("\\", "/").rsplit("/", 1)[-1])
            if match:
                found.append(("file", match.group(1).lower()))
        elif isinstance(part, (ast.Name, ast.Attribute)):
            name = dotted(part)
            if name:
                found.append(("name", name))
            elif isinstance(part, ast.Attribute) and isinstance(part.value, ast.Call):
                made = dotted(part.value.func)  # `DefaultConfig().pickle_path`
                if made:
                    found.append(("name", f"{made}.{part.attr}"))
        elif isinstance(part, ast.Call):
            pending.extend(part.args)
            pending.extend(keyword.value for keyword in part.keywords)
        else:
            pending.extend(ast.iter_child_nodes(part))
    return found


def _keyword(call: ast.Call, name: str) -> ast.AST | None:
    for keyword in call.keywords:
        if keyword.arg == name:
            return keyword.value
    return None


@dataclass(frozen=True)
class DataFiles:
    """The data files one module loads, the ones it saves from a function that pads, and the
    module-level constants and class attributes that name data files (``PICKLE_PATH = ROOT +
    '/data/train.pkl'``, ``Config.pickle_path``, and ``opt.pickle_path`` for ``opt = Config()``),
    and the module-level instances of classes that may hold such attributes (``opt = Config()``)."""

    reads: tuple[tuple[int, FileRef], ...] = ()
    padded_writes: tuple[tuple[int, FileRef, int], ...] = ()  # (line, file, padding's line)
    constants: tuple[tuple[str, str], ...] = ()
    instances: tuple[tuple[str, str], ...] = ()  # (name, class as written)


class FileCollector:
    """Gathers a module's file accesses while pass 1 walks it."""

    def __init__(self) -> None:
        self.reads: list[tuple[int, FileRef]] = []
        self.writes: list[tuple[int, list[FileRef]]] = []
        self.constants: list[tuple[str, str]] = []
        self.instances: list[tuple[str, str]] = []

    def call(self, node: ast.Call) -> None:
        access = file_access(node)
        if access is None or not access[1]:
            return
        kind, refs = access
        if kind == "write":
            self.writes.append((node.lineno, refs))
        else:
            self.reads.extend((node.lineno, ref) for ref in refs)

    def constant(self, statement: ast.Assign | ast.AnnAssign, owner: str | None = None) -> None:
        """A module-level assignment, or a class attribute when ``owner`` names the class."""
        targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
        value = statement.value
        named = constant_file(value) if value is not None else None
        prefix = f"{owner}." if owner else ""
        for target in targets:
            if not isinstance(target, ast.Name):
                continue
            if named is not None:
                self.constants.append((prefix + target.id, named))
            elif owner is None and isinstance(value, ast.Call) and not value.args:
                made = dotted(value.func)  # `opt = DefaultConfig()`
                if made:
                    self.instances.append((target.id, made))

    def class_constants(self, node: ast.ClassDef) -> None:
        """``class DefaultConfig: pickle_path = './data.pkl'``."""
        for statement in node.body:
            if isinstance(statement, (ast.Assign, ast.AnnAssign)):
                self.constant(statement, node.name)

    def finish(self, body: list[ast.stmt], padding_lines: list[int]) -> DataFiles | None:
        if not (self.reads or self.writes or self.constants):
            return None
        constants = list(self.constants)
        for name, made in self.instances:  # `opt = DefaultConfig()`: `opt.pickle_path`
            constants.extend(
                (name + constant[len(made) :], file_name)
                for constant, file_name in self.constants
                if constant.startswith(made + ".")
            )
        return DataFiles(
            tuple(self.reads),
            tuple(_padded_writes(body, padding_lines, self.writes)),
            tuple(constants),
            tuple(self.instances),
        )


def _padded_writes(
    body: list[ast.stmt], padding_lines: list[int], writes: list[tuple[int, list[FileRef]]]
) -> list[tuple[int, FileRef, int]]:
    """The files written by a top-level function or class that also pads, or by the module's
    own statements when they pad (a flat preprocessing script)."""
    definitions = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    spans = [
        (statement.lineno, getattr(statement, "end_lineno", None) or statement.lineno)
        for statement in body
        if isinstance(statement, definitions)
    ]

    def unit(line: int) -> int:
        for number, (start, end) in enumerate(spans):
            if start <= line <= end:
                return number
        return -1  # the module body

    padding_units: dict[int, int] = {}
    for line in sorted(padding_lines):
        padding_units.setdefault(unit(line), line)
    return [
        (line, ref, padding_units[unit(line)])
        for line, refs in writes
        if unit(line) in padding_units
        for ref in refs
    ]


# -- pass 2: which program loads what a padding function saved --------------------------------


def saved_padding(index, path: str) -> tuple[str, str] | None:
    """(evidence, origin) when a module of ``path``'s program loads a data file that another
    program's padding function saved; ``index`` is the ``ProjectIndex``."""
    links = index.__dict__.get("_saved_padding_links")
    if links is None:
        links = index.__dict__["_saved_padding_links"] = _links(index)
    for reader, evidence, origin in links:
        if path == reader or path in index.program_of(reader):
            return evidence, origin
    return None


def _links(index) -> list[tuple[str, str, str]]:
    """(reader, evidence, origin) for each load of a file a padding function saved."""
    saved: dict[str, tuple[str, int]] = {}
    for writer in sorted(index.summaries):
        files = index.summaries[writer].data_files
        for _, ref, pad_line in files.padded_writes if files else ():
            for name in _resolve(index, writer, ref):
                saved.setdefault(name, (writer, pad_line))
    links = []
    for reader in sorted(index.summaries):
        files = index.summaries[reader].data_files
        for line, ref in files.reads if files else ():
            for name in _resolve(index, reader, ref):
                writer, pad_line = saved.get(name, (reader, 0))
                if writer == reader or not _same_tree(writer, reader):
                    continue
                padding = dict(index.summaries[writer].padding)[pad_line]
                evidence = f"`{name}`, loaded at {reader}:{line} and padded by {padding}"
                links.append((reader, evidence, f"{writer}:{pad_line}"))
    return links


def _same_tree(writer: str, reader: str) -> bool:
    """One module's folder holds the other's: sibling folders (``tutorial_1/``, ``tutorial_2/``)
    are separate projects, whose files may share a name and nothing else."""
    here, there = os.path.dirname(writer), os.path.dirname(reader)
    return _within(here, there) or _within(there, here)


def _within(folder: str, ancestor: str) -> bool:
    return not ancestor or folder == ancestor or folder.startswith(ancestor + os.sep)


def _resolve(index, path: str, ref: FileRef, through_instance: bool = True) -> list[str]:
    """The data file a reference names: a literal, or a module constant or class attribute of
    this module or of the project module it is imported from (``config.PICKLE_PATH``, ``from
    config import X``, ``from config import opt``; ``opt.pickle_path``), read through a
    module-level instance of an imported class (``opt = DefaultConfig()``) too."""
    kind, value = ref
    if kind == "file":
        return [value]
    own = _constant(index, path, value)
    if own is not None:
        return [own]
    head, _, rest = value.partition(".")
    files = index.summaries[path].data_files
    instances = dict(files.instances) if files else {}
    if rest and through_instance and head in instances:
        return _resolve(index, path, ("name", f"{instances[head]}.{rest}"), False)
    for item in index.summaries[path].imports:
        if item.local != head:
            continue
        if item.name is None and rest and item.local == item.module:
            module, constant = index.module_path(path, item.module), rest
        elif item.name not in (None, "*") and not rest:
            module, constant = index.module_path(path, item.module, item.level), item.name
        elif item.name not in (None, "*"):
            submodule = f"{item.module}.{item.name}" if item.module else item.name
            module, constant = index.module_path(path, submodule, item.level), rest
            if not module:  # `from config import opt`: an object of the module, not a module
                module = index.module_path(path, item.module, item.level)
                constant = f"{item.name}.{rest}"
        else:
            continue
        found = _constant(index, module, constant) if module else None
        return [found] if found else []
    return []


def _constant(index, path: str, name: str) -> str | None:
    files = index.summaries[path].data_files
    for constant, file_name in files.constants if files else ():
        if constant == name:
            return file_name
    return None
