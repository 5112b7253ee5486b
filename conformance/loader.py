"""Turn ``module:attr`` (the ``--birnn-layer`` value) or a class into a ``LayerSpec``.

Every problem is a ``LayerLoadError`` whose message says what was wrong and what to write
instead: the plugin turns it into a pytest usage error, never a traceback.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from conformance.spec import KINDS, LayerSpec

FORMAT_HELP = (
    "use module:attr, e.g. torch.nn:LSTM or mypackage.layers:MyBiGRU, naming a class with "
    "torch's constructor signature or a LayerSpec object"
)


class LayerLoadError(ValueError):
    """A layer reference that cannot be used; the message is meant for the user as is."""


def load_layer(
    reference: str, *, kind: str | None = None, search_paths: Sequence[Path | str] = ()
) -> LayerSpec:
    """The spec named by ``reference`` (``module:attr``); ``kind`` applies to a class.

    ``search_paths`` are appended to ``sys.path`` when the module is not importable otherwise,
    so that ``pytest --birnn-layer mylayers:MyGRU`` finds ``mylayers.py`` in the invocation
    directory as ``python -m pytest`` would.
    """
    module_name, separator, attribute = reference.partition(":")
    if not separator or not module_name or not attribute:
        raise LayerLoadError(f"--birnn-layer {reference!r}: {FORMAT_HELP}")
    module = _import(module_name, reference, search_paths)
    target: Any = module
    for part in attribute.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            available = [name for name in dir(target) if not name.startswith("_")]
            close = [name for name in available if name.lower() == part.lower()]
            close = close or difflib.get_close_matches(part, available, n=5)
            suggestion = f"; did you mean {' or '.join(close)}?" if close else ""
            raise LayerLoadError(
                f"--birnn-layer {reference!r}: {module_name!r} has no attribute {attribute!r}"
                + suggestion
            ) from None
    return as_spec(target, kind=kind, origin=reference)


def as_spec(layer: Any, *, kind: str | None = None, origin: str | None = None) -> LayerSpec:
    """A ``LayerSpec`` as is, or a spec for a layer class with torch's constructor signature."""
    where = f"--birnn-layer {origin!r}" if origin else repr(layer)
    if kind is not None and kind not in KINDS:
        raise LayerLoadError(
            f"unknown kind {kind!r} (--birnn-kind); choose one of: {', '.join(KINDS)}"
        )
    if isinstance(layer, LayerSpec):
        if kind is not None and layer.kind not in (None, kind):
            raise LayerLoadError(
                f"{where} is a LayerSpec that declares kind {layer.kind!r}; --birnn-kind "
                f"{kind!r} contradicts it (set the kind on the spec instead)"
            )
        from dataclasses import replace

        if origin is not None and layer.origin is None:
            # named on the command line: the header and the repro snippet name it the same way
            layer = replace(layer, origin=origin)
        if kind is not None and layer.kind is None:
            return replace(layer, kind=kind)
        return layer
    import torch

    if isinstance(layer, type) and issubclass(layer, torch.nn.Module):
        _check_torch_kind(layer, kind, where)
        _check_constructor(layer, where)
        try:
            return LayerSpec.from_class(layer, kind=kind, origin=origin)
        except ValueError as error:
            raise LayerLoadError(f"{where}: {error}") from None
    if isinstance(layer, torch.nn.Module):
        raise LayerLoadError(
            f"{where} is an instance of {type(layer).__name__}, not a class: the suite builds "
            "a fresh layer for every drawn configuration, so name the class or a LayerSpec"
        )
    raise LayerLoadError(
        f"{where} is {_describe(layer)}, not a layer: {FORMAT_HELP} (a subclass of torch.nn.Module)"
    )


def _check_torch_kind(layer_class: type, kind: str | None, where: str) -> None:
    """A kind given for one of torch's classes must be its own (nn.RNN: tanh or relu)."""
    import torch.nn as nn

    own = next(
        (
            name
            for base, name in ((nn.LSTM, "lstm"), (nn.GRU, "gru"), (nn.RNN, "rnn"))
            if issubclass(layer_class, base)
        ),
        None,
    )
    if kind is None or own is None or kind.startswith(own):
        return
    raise LayerLoadError(
        f"{where} is torch's {own.upper()} (or a subclass), so its kind is "
        f"{'rnn_tanh or rnn_relu' if own == 'rnn' else own}, not {kind!r} (--birnn-kind)"
    )


def _check_constructor(layer_class: type, where: str) -> None:
    """The class must accept the arguments ``LayerSpec.from_class`` will build it with."""
    from conformance.spec import LayerConfig

    arguments = LayerConfig(input_size=1, hidden_size=1).torch_kwargs()
    try:
        signature = inspect.signature(layer_class)
    except (TypeError, ValueError):  # no introspectable signature: find out at run time
        return
    try:
        signature.bind(**arguments)
    except TypeError as error:
        raise LayerLoadError(
            f"{where}: {layer_class.__qualname__} does not take torch's RNN constructor arguments "
            f"({', '.join(arguments)}): {error}. Describe it with a LayerSpec whose factory "
            "builds it from a LayerConfig, and name that spec instead"
        ) from None


def _import(module_name: str, reference: str, search_paths: Sequence[Path | str]):
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if not _is_the_module(error, module_name) or not search_paths:
            raise LayerLoadError(_import_failure(reference, module_name, error)) from None
    except Exception as error:  # the user's module itself failed: say how
        raise LayerLoadError(_import_failure(reference, module_name, error)) from None
    # Not importable from sys.path: try the invocation directory, as `python -m pytest` would.
    for path in map(str, search_paths):
        if path not in sys.path:
            sys.path.append(path)
    try:
        return importlib.import_module(module_name)
    except Exception as error:
        raise LayerLoadError(_import_failure(reference, module_name, error)) from None


def _is_the_module(error: ModuleNotFoundError, module_name: str) -> bool:
    """True when the module (or a parent package) is missing, not one of its own imports."""
    missing = error.name or ""
    return module_name == missing or module_name.startswith(missing + ".")


SUITE_NEEDS = ("torch", "hypothesis")


def _import_failure(reference: str, module_name: str, error: BaseException) -> str:
    if isinstance(error, ModuleNotFoundError) and error.name in SUITE_NEEDS:
        return (
            f"--birnn-layer {reference!r}: {error.name} is not installed; the conformance suite "
            "needs torch and hypothesis: pip install 'birnn-conformance[conformance]' "
            "(install torch first, e.g. pip install torch==2.13.0, to choose its build)"
        )
    if isinstance(error, ModuleNotFoundError) and _is_the_module(error, module_name):
        return (
            f"--birnn-layer {reference!r}: no module named {error.name!r} "
            "(is it installed, or on the path? run pytest from the directory that holds it, "
            "or set `pythonpath` in the pytest configuration)"
        )
    return f"--birnn-layer {reference!r}: importing {module_name!r} raised {type(error).__name__}: {error}"


def _describe(value: Any) -> str:
    if isinstance(value, type):
        return f"the class {value.__qualname__} (not a torch.nn.Module subclass)"
    if callable(value):
        return f"a {type(value).__name__} ({getattr(value, '__qualname__', value)!r})"
    return f"a {type(value).__name__}"
