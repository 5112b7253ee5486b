"""Pass 2: the keywords a ``**`` dict binds, followed to the dict literals that hold them.

``keyword_dicts`` records, per call, the dicts it unpacks and the dicts it passes on; here a
constructor's (or factory's) parameter gets the values those dicts give its name, as a keyword
argument would: ``Model(**params)`` with ``params = model_parameter(...)`` binds ``bidirect`` to
the True that ``model_parameter``'s returned literal holds, and ``def build(param): return
Model(**param)`` called as ``build(param=params)`` passes the same dict through. The values are
then resolved by ``ProjectIndex.binding`` like any keyword's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lint_rules.project_index_resolution import ProjectIndex

Enclosing = tuple[str, str] | None  # (path, class or function) whose parameter a value names
Bound = tuple[tuple, str, Enclosing]  # (value, origin, enclosing), as ProjectIndex's bindings
_Site = tuple[tuple, str, Enclosing, str]  # (source, origin, enclosing, path of the call)
_DEPTH = 6


def unpacked_bindings(index: ProjectIndex, path: str, owner: str, parameter: str) -> list[Bound]:
    """What the dicts unpacked into ``owner(...)`` calls give ``parameter``."""
    found: list[Bound] = []
    for source, origin, enclosing, site_path in _sites(index)[0].get((path, owner), ()):
        for key, value, key_origin, key_enclosing in _entries(
            index, source, origin, enclosing, site_path, 0
        ):
            if key == parameter and value is not None:
                found.append((value, key_origin, key_enclosing))
    return found


def _entries(
    index: ProjectIndex, source: tuple, origin: str, enclosing: Enclosing, path: str, depth: int
) -> list[tuple[str, tuple | None, str, Enclosing]]:
    """``(key, value, origin, enclosing)`` for each key of the dict ``source`` names."""
    kind = source[0]
    if kind == "dict":
        return [(key, value, origin, enclosing) for key, value in source[1]]
    if kind == "returned":
        target = index.resolve_function(path, source[1])
        if target is None:
            return []
        function = index._functions[target[0]][target[1]]
        return [
            (key, value, f"{target[0]}:{line}", target)
            for key, value, line in function.returned_keys
        ]
    if kind == "param" and enclosing is not None and depth < _DEPTH:
        found = []
        for passed, passed_origin, passed_enclosing, passed_path in _sites(index)[1].get(
            (*enclosing, source[1]), ()
        ):
            found.extend(
                _entries(index, passed, passed_origin, passed_enclosing, passed_path, depth + 1)
            )
        return found
    return []


def _sites(index: ProjectIndex) -> tuple[dict, dict]:
    """(class or function -> dicts unpacked into its calls, (callee, parameter) -> dicts passed
    to that parameter), over the whole project, built once per index."""
    cached = index.__dict__.get("_keyword_dict_sites")
    if cached is not None:
        return cached
    unpacked: dict[tuple[str, str], list[_Site]] = {}
    passed: dict[tuple[str, str, str], list[_Site]] = {}
    for path, summary in index.summaries.items():
        for site in summary.instantiations:
            forwarded = [
                (name, value)
                for name, value in (*enumerate(site.positional), *site.keywords)
                if value is not None and value[0] == "param"
            ]  # a parameter of the caller passed on: maybe a dict its own callers give it
            if not (site.unpacked or site.dict_arguments or forwarded):
                continue
            called = index.callee_parameters(path, site.callee)
            if called is None:
                continue
            target, parameters = called
            owner = site.enclosing_class or site.enclosing_function
            enclosing = (path, owner) if owner else None
            origin = f"{path}:{site.line}"
            for source in site.unpacked:
                unpacked.setdefault(target, []).append((source, origin, enclosing, path))
            for name, source in (*site.dict_arguments, *forwarded):
                if isinstance(name, int):
                    if name >= len(parameters):
                        continue
                    name = parameters[name]
                passed.setdefault((*target, name), []).append((source, origin, enclosing, path))
    index.__dict__["_keyword_dict_sites"] = (unpacked, passed)
    return unpacked, passed
