"""Pass 2 of the project index: join the modules' summaries into the facts each module needs.

Imports are resolved among the linted files only (absolute, relative, star, and the flat script
layout where ``train.py`` imports its sibling ``model.py``); nothing outside the linted roots is
guessed. What comes out for one module is a ``ModuleFacts``: small, picklable, and exactly what
its findings may depend on, so the cache can key a module's findings by it.

Precision first: a constructor parameter counts as bidirectional only when a call site in the
project binds it to True (a literal, a config default, or a parameter of an enclosing
constructor or module-level function that is itself bound); a config key only when every
default the project gives it agrees. A module-level function's parameters are bound from its
call sites by the same rules, so a factory (``def build(bidirectional): return Model(
bidirectional=bidirectional)``) passes its callers' True on to the model it builds.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from lint_rules.data_pipeline import saved_padding
from lint_rules.direction_options import is_direction_key
from lint_rules.feature_padding import pads_features
from lint_rules.keyword_dicts_resolution import unpacked_bindings
from lint_rules.packing_helpers import packing_helpers_for
from lint_rules.project_index import (
    ClassSummary,
    FunctionSummary,
    ModuleSummary,
    Value,
    normalise_key,
)
from lint_rules.project_index_states_resolution import bidirectional_states
from lint_rules.readouts import readouts_for
from lint_rules.run_scripts import RunFlag, script_candidates
from lint_rules.single_step_resolution import single_step_classes
from lint_rules.yaml_configs import YamlRead, boolean_values

Origin = str  # "train.py:41"
Resolved = tuple[bool, Origin]

_TORCH_NN_STAR = {
    name: f"torch.nn.{name}"
    for name in (
        "LSTM",
        "GRU",
        "RNN",
        "Linear",
        "Embedding",
        "Module",
        "ModuleList",
        "Sequential",
        "Dropout",
        "LayerNorm",
    )
}


@dataclass(frozen=True)
class ModuleFacts:
    """What the rest of the project says to one module; every field is plain data."""

    parameters: tuple[tuple[str, str, bool, Origin], ...] = ()  # (class, parameter, value, origin)
    config: tuple[tuple[str, bool, Origin], ...] = ()  # (key, value, origin)
    padding: tuple[str, Origin] | None = None  # evidence of padding in the data code
    project_packs: bool = False  # a module of the same program packs sequences
    stepped: tuple[tuple[str, Origin], ...] = ()  # (class, where a loop steps it with a state)
    star_names: tuple[tuple[str, str], ...] = ()  # local name -> qualified, from star imports
    # calls that return a bidirectional RNN's h_n built elsewhere (project_index_states_resolution)
    bidirectional_states: tuple = ()
    single_step: tuple[tuple[str, tuple[int, ...], Origin], ...] = ()  # every call feeds 1 step
    readouts: tuple[tuple[str, int, Origin, str], ...] = ()  # classes whose forward takes x[:, -1]
    packing_helpers: tuple = ()  # imported functions that return a packed batch (packing_helpers)

    def parameter(self, class_name: str, parameter: str) -> Resolved | None:
        for owner, name, value, origin in self.parameters:
            if owner == class_name and name == parameter:
                return value, origin
        return None

    def config_value(self, key: str) -> Resolved | None:
        key = key.lower()
        for name, value, origin in self.config:
            if name == key:
                return value, origin
        return None

    def stepped_by(self, class_name: str) -> Origin | None:
        for owner, origin in self.stepped:
            if owner == class_name:
                return origin
        return None

    def fingerprint(self) -> str:
        return hashlib.sha256(pickle.dumps(self, protocol=4)).hexdigest()


NO_FACTS = ModuleFacts()


@dataclass
class ProjectIndex:
    """The summaries of every module of the linted roots, joined."""

    summaries: dict[str, ModuleSummary]
    run_flags: tuple[RunFlag, ...] = ()  # flags the project's shell scripts pass (run_scripts)
    # the text of a YAML file a module loads (a path as displayed), None where there is none
    yaml_text: Callable[[str], str | None] | None = None
    _by_suffix: dict[str, list[str]] = field(default_factory=dict)
    _classes: dict[str, dict[str, ClassSummary]] = field(default_factory=dict)
    _functions: dict[str, dict[str, FunctionSummary]] = field(default_factory=dict)
    _bindings: dict[tuple[str, str, str], list[Resolved]] = field(default_factory=dict)
    _config: dict[str, Resolved | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for path, summary in self.summaries.items():
            self._classes[path] = {cls.name: cls for cls in summary.classes}
            self._functions[path] = {function.name: function for function in summary.functions}
            for suffix in _module_names(path):
                self._by_suffix.setdefault(suffix, []).append(path)
        self._collect_config()
        self._collect_bindings()
        self._packers = [path for path in sorted(self.summaries) if self.summaries[path].packs]
        self._padders = [path for path in sorted(self.summaries) if self.summaries[path].padding]
        self._programs: dict[str, set[str]] = {}

    # -- modules and names -----------------------------------------------------------------

    def module_path(self, importer: str, module: str, level: int = 0) -> str | None:
        """The linted file that ``import module`` (with ``level`` dots) means in ``importer``."""
        key = (
            os.path.dirname(importer) if level or module in self._by_suffix else "",
            module,
            level,
        )
        cache = self.__dict__.setdefault("_module_paths", {})
        if key not in cache:
            cache[key] = self._module_path(importer, module, level)
        return cache[key]

    def _module_path(self, importer: str, module: str, level: int) -> str | None:
        if level:
            base = os.path.dirname(importer)
            for _ in range(level - 1):
                base = os.path.dirname(base)
            stem = os.path.join(base, *module.split(".")) if module else base
            for candidate in (stem + ".py", os.path.join(stem, "__init__.py")):
                if os.path.normpath(candidate) in self._normalised:
                    return self._normalised[os.path.normpath(candidate)]
            return None
        candidates = self._by_suffix.get(module, [])
        if len(candidates) == 1:
            return candidates[0]
        here = os.path.dirname(importer)
        # the copy rooted at the importer's folder, as Python finds it from a script there
        # (``process.template`` from ``copy2/main.py`` is ``copy2/process/template.py``)
        rooted = [path for path in candidates if _import_root(path, module) == here]
        if len(rooted) == 1:
            return rooted[0]
        return None

    @property
    def _normalised(self) -> dict[str, str]:
        cached = getattr(self, "_normalised_paths", None)
        if cached is None:
            cached = {os.path.normpath(path): path for path in self.summaries}
            self._normalised_paths = cached
        return cached

    def resolve_class(self, path: str, name: str) -> tuple[str, str] | None:
        """(module path, class name) of the project class ``name`` means in ``path``."""
        return self._resolve(path, name, self._classes)

    def resolve_function(self, path: str, name: str) -> tuple[str, str] | None:
        """(module path, function name) of the module-level function ``name`` means in ``path``."""
        return self._resolve(path, name, self._functions)

    def callee_parameters(
        self, path: str, callee: str
    ) -> tuple[tuple[str, str], tuple[str, ...]] | None:
        """What a call of ``callee`` in ``path`` builds or runs (a project class, else a
        module-level function) and the parameters its positional arguments bind, in order."""
        target = self.resolve_class(path, callee)
        if target is not None:
            return target, self._classes[target[0]][target[1]].parameters
        target = self.resolve_function(path, callee)
        if target is None:
            return None
        function = self._functions[target[0]][target[1]]
        return target, function.parameters[: function.positional]

    def _resolve(
        self, path: str, name: str, defined: dict, depth: int = 0
    ) -> tuple[str, str] | None:
        if depth > 4 or path not in self.summaries:
            return None
        head, _, rest = name.partition(".")
        if not rest and head in defined[path]:
            return path, head
        for item in self.summaries[path].imports:
            if item.local == "*" and not rest:
                target = self.module_path(path, item.module, item.level)
                if target is not None and target != path:
                    found = self._resolve(target, head, defined, depth + 1)
                    if found:
                        return found
                continue
            if item.local != head:
                continue
            if item.name is None:  # `import a.b` binds a; `import a.b as head` binds a.b
                root = item.module if item.local != item.module.split(".", 1)[0] else head
                module, _, cls = f"{root}.{rest}".rpartition(".")
                target = self.module_path(path, module) if rest else None
                return self._resolve(target, cls, defined, depth + 1) if target else None
            target = self.module_path(path, item.module, item.level)
            if target is None:
                submodule = f"{item.module}.{item.name}" if item.module else item.name
                sub = self.module_path(path, submodule, item.level)
                if sub is not None and rest:
                    return self._resolve(sub, rest, defined, depth + 1)
                return None
            if rest:
                sub = self.module_path(path, f"{item.module}.{item.name}", item.level)
                return self._resolve(sub, rest, defined, depth + 1) if sub else None
            return self._resolve(target, item.name, defined, depth + 1)
        return None

    def star_names(self, path: str, depth: int = 0) -> dict[str, str]:
        """Names a module gets from ``from project_module import *``: the imports and torch
        names those modules hold (so ``nn.LSTM`` is torch's there too)."""
        names: dict[str, str] = {}
        if depth > 4:
            return names
        for item in self.summaries[path].imports:
            if item.local != "*":
                continue
            if item.module in ("torch.nn", "torch.nn.modules") and not item.level:
                names.update(_TORCH_NN_STAR)
                continue
            target = self.module_path(path, item.module, item.level)
            if target is None or target == path:
                continue
            names.update(self.star_names(target, depth + 1))
            for imported in self.summaries[target].imports:
                if imported.local == "*":
                    continue
                if imported.name is None:  # `import a.b` binds a, `import a.b as x` binds a.b
                    root = imported.module.split(".", 1)[0]
                    names[imported.local] = root if imported.local == root else imported.module
                elif not imported.level:
                    prefix = f"{imported.module}." if imported.module else ""
                    names[imported.local] = prefix + imported.name
        return names

    # -- config and bindings ---------------------------------------------------------------

    def _collect_config(self) -> None:
        seen: dict[str, list[Resolved]] = {}
        declared: dict[str, Resolved] = {}  # the first argparse declaration of each key
        for path, summary in self.summaries.items():
            for default in summary.config_defaults:
                found = (default.value, f"{path}:{default.line}{default.note}")
                seen.setdefault(default.key, []).append(found)
                if default.how == "argparse default":
                    declared.setdefault(default.key, found)
        for key, values in seen.items():
            agreed = {value for value, _ in values}
            # where the defaults agree, the parser's is the value `args.key` reads: named first
            self._config[key] = declared.get(key, values[0]) if len(agreed) == 1 else None
        self._defaults = seen
        self._collect_yaml()
        # A direction flag is bidirectional where the program can run so (as `_choose` says of
        # call sites): in the program of a hyper-parameter grid that lists True, of a script
        # that a shell script of the project runs with the flag, or of a module declaring an
        # option that turns it on; there it beats the default.
        self._scoped: dict[str, list[tuple[Resolved, str | frozenset[str]]]] = {}
        for path, summary in self.summaries.items():
            for key, line in summary.grid_true:
                if is_direction_key(key):
                    found = (True, f"{path}:{line} (one of a grid's values)")
                    self._scoped.setdefault(key, []).append((found, path))
        for flag in self.run_flags:
            if flag.value and is_direction_key(flag.key):
                program = self._program_declaring(flag)
                if program:
                    found = (True, f"{flag.path}:{flag.line}")
                    self._scoped.setdefault(flag.key, []).append((found, frozenset(program)))
        # last, an option the program declares that a command line can turn on (`--bidir`,
        # `store_true`): a way the project offers to run bidirectional (`direction_options`)
        for path, summary in self.summaries.items():
            for key, line, how in summary.switches:
                if is_direction_key(key):
                    found = (True, f"{path}:{line}, when run with `{how}`")
                    self._scoped.setdefault(key, []).append((found, path))

    def _collect_yaml(self) -> None:
        """The booleans of the YAML files the project loads (``yaml_configs``), each with the
        module that loads it: they are defaults in that module's program only."""
        self._yaml: dict[str, list[tuple[Resolved, str]]] = {}
        if self.yaml_text is None:
            return
        files: dict[str, list[tuple[str, bool, int]] | None] = {}
        for path, summary in self.summaries.items():
            for read in summary.yaml_reads:
                if not self._reaches_a_loader(path, read):
                    continue
                for candidate in _yaml_candidates(path, read):
                    if candidate not in files:
                        text = self.yaml_text(candidate)
                        files[candidate] = boolean_values(text) if text is not None else None
                    values = files[candidate]
                    if values is None:
                        continue
                    for key, value, line in values:
                        found = (value, f"{candidate}:{line}")
                        self._yaml.setdefault(normalise_key(key), []).append((found, path))
                    break

    def _reaches_a_loader(self, path: str, read: YamlRead) -> bool:
        """The path goes to ``open`` or a YAML loader in a module that parses YAML, or to a
        project function that does."""
        if read.via is None:
            return self.summaries[path].loads_yaml
        target = self.resolve_function(path, read.via)
        return target is not None and target[1] in self.summaries[target[0]].yaml_loaders

    def _program_declaring(self, flag: RunFlag) -> set[str]:
        """The modules of the program ``flag``'s line runs (the script and what it imports),
        when one of them declares the option with argparse; else nothing."""
        if flag.is_module:
            target = self.module_path(flag.path, flag.script)
        else:
            target = next(
                (self._normalised[c] for c in script_candidates(flag) if c in self._normalised),
                None,
            )
        if target is None:
            return set()
        program = self._reach({target}, self.imported_modules)
        declared = any(
            default.key == flag.key and default.how == "argparse default"
            for module in program
            for default in self.summaries[module].config_defaults
        )
        return program if declared else set()

    def config_value(self, key: str, path: str | None = None) -> Resolved | None:
        """The value the project gives ``key``; in a module (``path``) of a program that runs
        with True (a grid's value, a shell script's flag), True."""
        for found, scope in self._scoped.get(key, ()):
            if path is None:
                break
            program = self.program_of(scope) if isinstance(scope, str) else scope
            if path in program or path == scope:
                return found
        if path is not None and key in self._yaml:
            loaded = [found for found, loader in self._yaml[key] if loader == path]
            loaded += [
                found
                for found, loader in self._yaml[key]
                if loader != path and path in self.program_of(loader)
            ]  # the module's own YAML named first
            if loaded:  # a YAML config of this program: it and every other default must agree
                agreed = {value for value, _ in loaded + self._defaults.get(key, [])}
                return loaded[0] if len(agreed) == 1 else None
        return self._config.get(key)

    def _collect_bindings(self) -> None:
        raw: dict[tuple[str, str, str], list[tuple[Value, str, tuple[str, str] | None]]] = {}
        for path, summary in self.summaries.items():
            for site in summary.instantiations:
                called = self.callee_parameters(path, site.callee)
                if called is None:
                    continue
                target, parameters = called
                owner = site.enclosing_class or site.enclosing_function
                enclosing = (path, owner) if owner else None
                bound = list(zip(parameters, site.positional)) + list(site.keywords)
                for name, value in bound:
                    if value is not None:
                        origin = f"{path}:{site.line}"
                        raw.setdefault((*target, name), []).append((value, origin, enclosing))
        self._raw_bindings = raw

    def binding(self, path: str, cls: str, parameter: str, depth: int = 0) -> list[Resolved]:
        """Every value the project's call sites give ``cls(parameter=...)`` (``cls`` a class or
        a module-level function), resolved."""
        key = (path, cls, parameter)
        if key in self._bindings:
            return self._bindings[key]
        self._bindings[key] = []  # cycles resolve to nothing
        found: list[Resolved] = []
        unpacked = unpacked_bindings(self, path, cls, parameter)  # `**params` (keyword_dicts)
        for value, origin, enclosing in [*self._raw_bindings.get(key, ()), *unpacked]:
            if value[0] == "bool":
                found.append((value[1], origin))
            elif value[0] == "config":
                resolved = self.config_value(value[1], origin.rpartition(":")[0])
                if resolved is not None:
                    found.append(resolved)
            elif value[0] == "param" and enclosing is not None and depth < 6:
                outer = self.binding(enclosing[0], enclosing[1], value[1], depth + 1)
                if outer:
                    found.extend(outer)
                else:
                    owner = self._classes[enclosing[0]].get(enclosing[1]) or self._functions[
                        enclosing[0]
                    ].get(enclosing[1])
                    defaults = dict(owner.defaults) if owner else {}
                    if value[1] in defaults:
                        line = owner.line if owner else 0
                        found.append((defaults[value[1]], f"{enclosing[0]}:{line}"))
        self._bindings[key] = found
        return found

    # -- the data pipeline -----------------------------------------------------------------

    def imported_modules(self, path: str) -> set[str]:
        """The project modules ``path`` imports (any form, at any depth of its code)."""
        cache = self.__dict__.setdefault("_imported", {})
        if path not in cache:
            cache[path] = self._imported_modules(path)
        return cache[path]

    def _imported_modules(self, path: str) -> set[str]:
        """What ``path`` imports; a module of a package below ``path``'s folder brings along the
        modules of its folder that offer a model of the same shape (``from models.lstm import
        ...`` next to ``models/rcnn.py``, both ``forward(self, x, batch_size=None)``: the package
        offers interchangeable models to the same pipeline). Modules of ``path``'s own folder or
        of a folder above it join only when imported, so scripts side by side stay separate
        programs, and a model importing the root's config does not pull in the root's scripts."""
        found = self._direct_imports(path)
        here = os.path.dirname(path)
        for target in list(found):
            folder = os.path.dirname(target)
            shapes = self._forward_shapes(target)
            if folder == here or not shapes or not _is_below(folder, here):
                continue
            found.update(
                sibling
                for sibling in self._folders.get(folder, ())
                if self._forward_shapes(sibling) & shapes
            )
        found.discard(path)
        return found

    def _forward_shapes(self, path: str) -> set[tuple[int, int]]:
        return {cls.forward for cls in self.summaries[path].classes if cls.forward is not None}

    @property
    def _folders(self) -> dict[str, list[str]]:
        folders = self.__dict__.get("_folder_map")
        if folders is None:
            folders = {}
            for known in self.summaries:
                folders.setdefault(os.path.dirname(known), []).append(known)
            self.__dict__["_folder_map"] = folders
        return folders

    def _direct_imports(self, path: str) -> set[str]:
        found = set()
        for item in self.summaries[path].imports:
            module = item.module
            target = self.module_path(path, module, item.level)
            if item.name not in (None, "*"):
                submodule = f"{module}.{item.name}" if module else item.name
                target = self.module_path(path, submodule, item.level) or target
            if target is not None and target != path:
                found.add(target)
        for module, package in self.summaries[path].dynamic_imports:
            if package:
                found.update(self._package_modules(path, module))
            else:
                target = self.module_path(path, module)
                if target is not None:
                    found.add(target)
        found.discard(path)
        return found

    def _package_modules(self, path: str, package: str) -> list[str]:
        """The modules of the folder a package name means from ``path`` (its own folder or the
        nearest folder above that holds it): what ``import_module("models." + name)`` may
        load."""
        relative = os.path.join(*package.split("."))
        base = os.path.dirname(path)
        while True:
            folder = os.path.normpath(os.path.join(base, relative))
            modules = self._folders.get(folder) or self._folders.get(os.path.join(base, relative))
            if modules:
                return modules
            if not base:
                return []
            base = os.path.dirname(base)

    def _reach(self, starts: set[str], edges) -> set[str]:
        seen, pending = set(starts), list(starts)
        while pending:
            for neighbour in edges(pending.pop()):
                if neighbour not in seen:
                    seen.add(neighbour)
                    pending.append(neighbour)
        return seen

    def program_of(self, padder: str) -> set[str]:
        """The modules one program shares with ``padder`` (a module that pads or packs): what it
        imports, what imports it, and everything those importers import (``train.py`` importing
        ``data`` and ``model``). Scripts that merely share a folder are separate programs."""
        if padder not in self._programs:
            importers: dict[str, set[str]] = getattr(self, "_importers", None) or {}
            if not importers:
                for path in self.summaries:
                    for target in self.imported_modules(path):
                        importers.setdefault(target, set()).add(path)
                self._importers = importers
            drivers = self._reach({padder}, lambda path: importers.get(path, ()))
            self._programs[padder] = self._reach(drivers, self.imported_modules)
        return self._programs[padder]

    def _padding_for(self, path: str) -> tuple[str, Origin] | None:
        for padder in self._padders:
            if path == padder or path in self.program_of(padder):
                summary = self.summaries[padder]
                steps = [
                    entry for entry in summary.padding if not pads_features(self, padder, entry[0])
                ]
                if not steps:
                    continue
                line, evidence = steps[0]
                if summary.syntax_error_line:
                    broken = summary.syntax_error_line
                    evidence += f", found although the module has a syntax error at line {broken},"
                return evidence, f"{padder}:{line}"
        return saved_padding(self, path)

    # -- loops -----------------------------------------------------------------------------

    def stepped_classes(self) -> dict[tuple[str, str], Origin]:
        found: dict[tuple[str, str], Origin] = {}
        for path, summary in self.summaries.items():
            for loop in summary.loops:
                class_name = loop.local_class
                if loop.callee.startswith("self.") and loop.enclosing_class:
                    owner = self._classes[path].get(loop.enclosing_class)
                    attribute = loop.callee[5:]
                    for name, callee in owner.attribute_classes if owner else ():
                        if name == attribute:
                            class_name = callee
                if class_name is None:
                    continue
                target = self.resolve_class(path, class_name)
                if target is not None:
                    found.setdefault(target, f"{path}:{loop.line}")
        return found

    # -- per module ------------------------------------------------------------------------

    def facts_for(self, path: str, text: str) -> ModuleFacts:
        """The facts ``path`` may use: its classes' bindings, the config keys its text
        mentions, the project's padding and packing, the loops that step its classes."""
        summary = self.summaries.get(path)
        if summary is None:
            return NO_FACTS
        lowered = text.lower()
        imported = {item.local.lower() for item in summary.imports}
        parameters = []
        for owner in (*summary.classes, *summary.functions):
            for parameter in owner.parameters:
                values = self.binding(path, owner.name, parameter)
                chosen = _choose(values, "bidir" in parameter.lower())
                if chosen is not None:
                    parameters.append((owner.name, parameter, *chosen))
        config = tuple(
            (key, *value)
            for key, value in sorted(
                (key, self.config_value(key, path))
                for key in {*self._config, *self._scoped, *self._yaml}
            )
            if value is not None and _reads_config_key(key, lowered, imported)
        )
        stepped = tuple(
            (cls, origin)
            for (owner_path, cls), origin in sorted(self._stepped().items())
            if owner_path == path
        )
        return ModuleFacts(
            parameters=tuple(parameters),
            config=config,
            padding=self._padding_for(path),
            project_packs=any(
                path == packer or path in self.program_of(packer) for packer in self._packers
            ),
            stepped=stepped,
            star_names=tuple(sorted(self.star_names(path).items())),
            bidirectional_states=bidirectional_states(self, path),
            single_step=single_step_classes(self, path),
            readouts=readouts_for(self, path),
            packing_helpers=packing_helpers_for(self, path),
        )

    def _stepped(self) -> dict[tuple[str, str], Origin]:
        cached = getattr(self, "_stepped_cache", None)
        if cached is None:
            cached = self.stepped_classes()
            self._stepped_cache = cached
        return cached


def _import_root(path: str, module: str) -> str | None:
    """The folder from which ``import module`` finds ``path`` (``a/b/c.py`` for ``b.c``: ``a``)."""
    stem = path[: -len(".py")] if path.endswith(".py") else path
    if os.path.basename(stem) == "__init__":
        stem = os.path.dirname(stem)
    parts = module.split(".")
    for part in reversed(parts):
        if os.path.basename(stem) != part:
            return None
        stem = os.path.dirname(stem)
    return stem


def _reads_config_key(key: str, lowered_text: str, imported: set[str]) -> bool:
    """``cfg.key``, ``cfg["key"]``, ``get('key')`` or ``from config import KEY``: the module
    may read this key from a config (a keyword argument ``key=`` alone does not)."""
    return key in imported or any(
        form in lowered_text for form in (f".{key}", f'"{key}"', f"'{key}'")
    )


def _choose(values: list[Resolved], is_direction_flag: bool) -> Resolved | None:
    """A direction flag is bidirectional when any call site makes it so (that path exists);
    any other flag only when every call site agrees."""
    if not values:
        return None
    if is_direction_flag:
        for value in values:
            if value[0] is True:
                return value
    agreed = {value for value, _ in values}
    return values[0] if len(agreed) == 1 else None


def _is_below(folder: str, ancestor: str) -> bool:
    """``folder`` lies inside ``ancestor`` (the root "" holds every folder)."""
    if folder == ancestor:
        return False
    return not ancestor or folder.startswith(ancestor.rstrip(os.sep) + os.sep)


def _module_names(path: str) -> Iterable[str]:
    """``a/b/c.py`` can be imported as ``c``, ``b.c`` or ``a.b.c`` depending on the root."""
    parts = os.path.normpath(path).split(os.sep)
    parts = [part for part in parts if part not in ("", ".")]
    if not parts:
        return []
    last = parts[-1]
    if last.endswith(".py"):
        parts[-1] = last[:-3]
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return [".".join(parts[start:]) for start in range(len(parts)) if parts[start:]]


def _yaml_candidates(path: str, read: YamlRead) -> list[str]:
    """Where a YAML path of module ``path`` may lie: beside the module, or (a path relative to
    where the program runs) also from the root."""
    beside = os.path.normpath(os.path.join(os.path.dirname(path), read.path))
    if read.anchored:
        return [beside]
    return list(dict.fromkeys((beside, os.path.normpath(read.path))))


def build_index(
    summaries: Iterable[ModuleSummary],
    run_flags: Iterable[RunFlag] = (),
    yaml_text: Callable[[str], str | None] | None = None,
) -> ProjectIndex:
    return ProjectIndex(
        {summary.path: summary for summary in summaries}, tuple(run_flags), yaml_text
    )
