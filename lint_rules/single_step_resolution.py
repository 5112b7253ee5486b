"""Pass 2 for model calls: the models every call in the project feeds one step at a time.

A bidirectional RNN's last step has read the whole sequence in both directions when the
sequence is one step long, so ``out[:, -1]`` is then the right summary. Every call of a model
class the project makes (``model_calls``) must feed an input whose time axis is 1, and there
must be at least one; a loaded model (``pickle.load``) counts as a call of each project class
its module defines or imports, so that it can only keep a class from being quiet.
"""

from __future__ import annotations

from typing import Any

from lint_rules.model_calls import ModelCall

CallsByClass = dict[tuple[str, str], list[tuple[ModelCall, str]]]


def single_step_classes(index: Any, path: str) -> tuple[tuple[str, tuple[int, ...], str], ...]:
    """(class, axes of length 1 in every call's input, where one call is) for ``path``'s
    classes that the project calls at least once."""
    calls_by_class = _calls_by_class(index)
    found = []
    for cls in index.summaries[path].classes:
        calls = calls_by_class.get((path, cls.name))
        if not calls:
            continue
        axes = set(_single_axes(index, *calls[0]))
        for call, caller in calls[1:]:
            axes &= set(_single_axes(index, call, caller))
        if axes:
            call, caller = calls[0]
            found.append((cls.name, tuple(sorted(axes)), f"{caller}:{call.line}"))
    return tuple(found)


def _single_axes(index: Any, call: ModelCall, caller: str) -> tuple[int, ...]:
    """The call's own axes of length 1, else those of every value its producer, a layer class
    of the project, returns from ``forward`` (``self.lstm(self.frontend(x))`` with the
    frontend returning ``x.view(-1, 1, F)``)."""
    if call.single_axes or not call.producer:
        return call.single_axes
    target = index.resolve_class(caller, call.producer)
    if target is None:
        return ()
    producer = index._classes.get(target[0], {}).get(target[1])
    return producer.returns_single_axes if producer is not None else ()


def _calls_by_class(index: Any) -> CallsByClass:
    cached = index.__dict__.get("_model_calls_by_class")
    if cached is not None:
        return cached
    found: CallsByClass = {}
    for path in sorted(index.summaries):
        calls = getattr(index.summaries[path], "model_calls", ())
        if not calls:
            continue
        for call in calls:
            if call.cls:
                target = index.resolve_class(path, call.cls)
                targets = [target] if target is not None else []
            else:
                targets = _project_classes_in(index, path)
            for target in targets:
                found.setdefault(target, []).append((call, path))
    index.__dict__["_model_calls_by_class"] = found
    return found


def _project_classes_in(index: Any, path: str) -> list[tuple[str, str]]:
    """The project classes a module defines or imports by name: what a model it loads may be."""
    summary = index.summaries[path]
    found = [(path, cls.name) for cls in summary.classes]
    for item in summary.imports:
        if item.name not in (None, "*"):
            target = index.resolve_class(path, item.local)
            if target is not None and target not in found:
                found.append(target)
    return found
