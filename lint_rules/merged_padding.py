"""Padding merged away: parallel sequences of ONE item padded to a common length and then
reduced across them, so that no padded batch is left.

The tracks of one MIDI file padded to the longest and merged into one piano roll
(``all_arys[i] += [[0] * 88] * (max_len - len(all_arys[i]))``, then
``all_arys = np.array(all_arys).max(axis=0)``), the stems of one song padded and mixed
(``padded = [np.pad(s, (0, n - len(s))) for s in stems]``, ``mix = np.sum(padded, axis=0)``):
the padding only aligns the members before they are summed, maxed or averaged into one
sequence, and what becomes a sample later has no padded steps. A padding form counts as
merged when it writes into the members of a list or array (``rows[i] += ...``,
``rows[i].extend(...)``, ``rows[i, :n] = ...``, ``rows.append(a)`` with ``a`` the padded value,
``rows = [np.pad(...) for ...]``) that the same scope then reduces over its first axis
(``rows.max(axis=0)``, ``np.sum(rows, 0)``, through ``np.array(rows)`` or ``np.stack``) and
never reads again unreduced: a batch whose statistics are taken (``mean = batch.mean(axis=0)``)
and which is itself still used stays padding.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

from lint_rules.ast_names import dotted

# The node types ``merged_padding_lines`` reads: a caller with nodes filed by type passes these.
MERGED_PADDING_TYPES = (ast.Assign, ast.AugAssign, ast.Return, ast.Call, ast.Name)

_REDUCERS = frozenset(
    ("max", "min", "sum", "mean", "median", "prod", "any", "all")
    + ("amax", "amin", "nanmax", "nanmin", "nansum", "nanmean")
)
_ARRAY_LIBRARIES = frozenset(("np", "numpy", "torch"))
# Calls that make an array of a list without changing which axis holds its members.
_CONVERSIONS = frozenset(("array", "asarray", "stack", "tensor", "as_tensor", "FloatTensor"))
_GROWERS = frozenset(("append", "extend"))


def merged_padding_lines(nodes: Iterable[ast.AST]) -> set[int]:
    """The lines of one scope's statements that pad members of a container the scope reduces
    across its members (see the module's docstring)."""
    nodes = list(nodes)
    aliases = _aliases(nodes)
    merged = _merged_containers(nodes, aliases)
    if not merged:
        return set()
    lines: set[int] = set()
    appended: set[str] = set()
    for node in nodes:
        if isinstance(node, (ast.Assign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(_member_of(target, aliases) in merged for target in targets):
                lines.update(_span(node))  # rows[i] += ..., rows = [np.pad(s, ...) for ...]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in _GROWERS and _member_of(node.func.value, aliases) in merged:
                lines.update(_span(node))  # rows[i].extend(...), rows.append(np.pad(...))
                appended.update(arg.id for arg in node.args if isinstance(arg, ast.Name))
    for node in nodes:
        if isinstance(node, (ast.Assign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(target, ast.Name) and target.id in appended for target in targets):
                lines.update(_span(node))  # a = np.concatenate([a, zeros(n - len(a))])
    return lines


def _aliases(nodes: list[ast.AST]) -> dict[str, str]:
    """name -> the container it converts: ``arr = np.array(tracks)`` makes ``arr`` ``tracks``."""
    found: dict[str, str] = {}
    for node in nodes:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, source = node.targets[0], _converted(node.value)
            if isinstance(target, ast.Name) and source is not None and source != target.id:
                found[target.id] = found.get(source, source)
    return found


def _converted(node: ast.AST) -> str | None:
    """``x`` of ``x``, ``np.array(x)``, ``np.stack(x)``, ``torch.tensor(x)``, nested."""
    while (
        isinstance(node, ast.Call)
        and len(node.args) == 1
        and (dotted(node.func) or "").rsplit(".", 1)[-1] in _CONVERSIONS
    ):
        node = node.args[0]
    return node.id if isinstance(node, ast.Name) else None


def _merged_containers(nodes: list[ast.AST], aliases: dict[str, str]) -> set[str]:
    """The containers reduced over their first axis that are not read unreduced afterwards
    (a reduction that rebinds the container's own name ends its life there)."""
    reductions: dict[str, list[tuple[ast.AST, int, bool]]] = {}
    for node in nodes:
        if not isinstance(node, (ast.Assign, ast.Return)) or node.value is None:
            continue
        rebinds = {
            aliases.get(target.id, target.id)
            for target in getattr(node, "targets", ())
            if isinstance(target, ast.Name)
        }
        for part in ast.walk(node.value):
            container = _reduced(part)
            if container is not None:
                container = aliases.get(container, container)
                reductions.setdefault(container, []).append(
                    (part, node.lineno, container in rebinds)
                )
    merged = set()
    for container, found in reductions.items():
        names = {container} | {alias for alias, source in aliases.items() if source == container}
        inside = {id(name) for part, _, _ in found for name in ast.walk(part)}
        first_line = min(line for _, line, _ in found)
        ended = min((line for _, line, rebinds in found if rebinds), default=None)
        if not any(
            isinstance(node, ast.Name)
            and isinstance(node.ctx, ast.Load)
            and node.id in names
            and id(node) not in inside
            and node.lineno >= first_line
            and (ended is None or node.lineno <= ended)
            for node in nodes
        ):
            merged.add(container)
    return merged


def _reduced(node: ast.AST) -> str | None:
    """The container of ``c.max(axis=0)``, ``c.sum(0)``, ``np.max(c, axis=0)``,
    ``torch.sum(c, dim=0)``, ``np.array(c).max(axis=0)``: a reduction across the members."""
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
        return None
    if node.func.attr not in _REDUCERS:
        return None
    owner = node.func.value
    if isinstance(owner, ast.Name) and owner.id in _ARRAY_LIBRARIES:
        if not node.args or not _first_axis(node.args[1:2], node.keywords):
            return None
        return _converted(node.args[0])
    if not _first_axis(node.args[:1], node.keywords):
        return None
    return _converted(owner)


def _first_axis(positional: list[ast.expr], keywords: list[ast.keyword]) -> bool:
    given = positional + [k.value for k in keywords if k.arg in ("axis", "dim")]
    return len(given) == 1 and isinstance(given[0], ast.Constant) and given[0].value == 0


def _member_of(node: ast.AST, aliases: dict[str, str]) -> str | None:
    """The container whose member ``node`` is (``rows[i]``, ``rows[i][:n]``, ``rows[-1]``), or
    the container itself for ``rows.append``'s ``rows``."""
    while isinstance(node, ast.Subscript):
        node = node.value
    if isinstance(node, ast.Name):
        return aliases.get(node.id, node.id)
    return None


def _span(node: ast.AST) -> range:
    return range(node.lineno, (getattr(node, "end_lineno", None) or node.lineno) + 1)
