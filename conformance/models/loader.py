"""Turn ``module:attr`` (the ``--birnn-model`` value) into a ``ModelSpec``.

A model has no standard constructor or call convention, so only a ``ModelSpec`` object will do;
anything else is a ``ModelLoadError`` that says what to write instead.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from conformance.models.spec import ModelSpec

FORMAT_HELP = (
    "use module:attr naming a ModelSpec object, e.g. mypackage.models:CLASSIFIER_SPEC (a model needs "
    "a spec: its factory, its items and how your pipeline batches them)"
)


class ModelLoadError(ValueError):
    """A model reference that cannot be used; the message is meant for the user as is."""


def load_model(model: Any, *, search_paths: Sequence[Path | str] = ()) -> ModelSpec:
    """A ``ModelSpec`` as is, or the one ``"module:attr"`` names (its origin set for the repro)."""
    if isinstance(model, ModelSpec):
        return model
    if not isinstance(model, str):
        raise ModelLoadError(
            f"{model!r} is a {type(model).__name__}, not a ModelSpec: {FORMAT_HELP}"
        )
    module_name, separator, attribute = model.partition(":")
    if not separator or not module_name or not attribute:
        raise ModelLoadError(f"--birnn-model {model!r}: {FORMAT_HELP}")
    module = _import(module_name, model, search_paths)
    target: Any = module
    for part in attribute.split("."):
        if not hasattr(target, part):
            specs = [name for name, value in vars(module).items() if isinstance(value, ModelSpec)]
            known = f"; its ModelSpec objects: {', '.join(specs)}" if specs else ""
            raise ModelLoadError(
                f"--birnn-model {model!r}: {module_name!r} has no attribute {attribute!r}{known}"
            )
        target = getattr(target, part)
    if not isinstance(target, ModelSpec):
        raise ModelLoadError(
            f"--birnn-model {model!r} is a {type(target).__name__}, not a ModelSpec: {FORMAT_HELP}"
        )
    return target if target.origin else replace(target, origin=model)


def _import(module_name: str, reference: str, search_paths: Sequence[Path | str]):
    """Import as ``python -m pytest`` would: sys.path first, then the invocation directory."""
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        missing = error.name or ""
        if (
            not (module_name == missing or module_name.startswith(missing + "."))
            or not search_paths
        ):
            raise ModelLoadError(
                f"--birnn-model {reference!r}: {type(error).__name__}: {error}"
            ) from None
    except Exception as error:
        raise ModelLoadError(
            f"--birnn-model {reference!r}: importing {module_name!r} raised {type(error).__name__}: {error}"
        ) from None
    for path in map(str, search_paths):
        if path not in sys.path:
            sys.path.append(path)
    try:
        return importlib.import_module(module_name)
    except Exception as error:
        raise ModelLoadError(
            f"--birnn-model {reference!r}: importing {module_name!r} raised {type(error).__name__}: {error}"
        ) from None


def resolve_models(
    references: Sequence[str], search_paths: Sequence[Path | str]
) -> list[ModelSpec]:
    """The specs of ``--birnn-model`` values; a bad one or a repeated name is a pytest usage error."""
    import pytest

    specs: list[ModelSpec] = []
    seen: dict[str, str] = {}
    for reference in references:
        try:
            spec = load_model(reference, search_paths=search_paths)
        except ModelLoadError as error:
            raise pytest.UsageError(str(error)) from None
        if spec.name in seen:
            raise pytest.UsageError(
                f"--birnn-model {seen[spec.name]!r} and {reference!r} are both named {spec.name!r}; "
                "test ids must be unique: give one ModelSpec another name"
            )
        seen[spec.name] = reference
        specs.append(spec)
    return specs
