"""How a user describes a layer to the suite: its factory, its kind, its features and its hooks.

Layers with torch's constructor signature, parameter names and call convention need nothing but
their class (``LayerSpec.from_class``); everything else is an adapter hook with a torch-style
default in ``conformance.adapters``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

KINDS = ("rnn_tanh", "rnn_relu", "gru", "lstm")


@dataclass(frozen=True)
class LayerConfig:
    """The constructor-side configuration drawn for one example."""

    input_size: int
    hidden_size: int
    num_layers: int = 1
    proj_size: int = 0
    batch_first: bool = False
    bias: bool = True
    dropout: float = 0.0

    @property
    def output_size(self) -> int:
        """H_out: what each direction contributes to the output and to h_n."""
        return self.proj_size if self.proj_size > 0 else self.hidden_size

    def torch_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for a constructor with torch's signature."""
        kwargs: dict[str, Any] = {
            "input_size": self.input_size,
            "hidden_size": self.hidden_size,
            "num_layers": self.num_layers,
            "bias": self.bias,
            "batch_first": self.batch_first,
            "dropout": self.dropout,
            "bidirectional": True,
        }
        if self.proj_size:
            kwargs["proj_size"] = self.proj_size
        return kwargs

    def constructor_kwargs(self, features: Features) -> dict[str, Any]:
        """torch's keyword arguments minus the flags ``features`` says the constructor lacks."""
        kwargs = self.torch_kwargs()
        for flag, taken in (
            ("batch_first", features.batch_first_flag),
            ("bias", features.bias_optional),
            ("dropout", features.dropout),
        ):
            if not taken:
                kwargs.pop(flag)
        return kwargs

    def but(self, **changes: Any) -> LayerConfig:
        return replace(self, **changes)


@dataclass(frozen=True)
class Features:
    """What a layer supports and how it is laid out; a clause that needs what the layer lacks is
    skipped with a reason, never failed.

    The ``*_flag`` names are constructor arguments: ``batch_first_flag`` says the constructor takes
    ``batch_first`` (C8 compares both settings). A layer that only ever takes (B, T, I) declares
    ``batch_first_flag=False, layout="batch_first"``. ``cell_state`` (None: from the kind) says the
    state is (h, c); ``returns_state=False`` is an output-only layer; ``state_is_output=False`` a
    layer whose returned state is not the output's ends (a QRNN's or SRU's cell c), which C3 cannot
    compare. ``pickling=False`` keeps C17's state_dict and deepcopy round trips and skips pickling
    the module. ``min_hidden_size``/``min_input_size``: sizes below them are never drawn.
    ``packed="sorted"``: packed input only sorted by decreasing length (``enforce_sorted=True``),
    the contract of layers whose callers sort the batch.
    """

    batch_first_flag: bool = True
    layout: str = "time_major"
    packed: bool | str = True
    proj_size: bool = False
    initial_state: bool = True
    unbatched: bool = True
    bias_optional: bool = True
    dropout: bool = True
    max_layers: int = 3
    dtypes: tuple[str, ...] = ("float32", "float64", "float16", "bfloat16")
    gradcheck: bool = True
    serialization: bool = True
    pickling: bool = True
    cell_state: bool | None = None
    returns_state: bool = True
    state_is_output: bool = True
    min_hidden_size: int = 1
    min_input_size: int = 1

    def __post_init__(self) -> None:
        if self.packed not in (True, False, "sorted"):
            raise ValueError(f"Features(packed={self.packed!r}): use True, False or 'sorted'")
        if self.layout not in LAYOUTS:
            raise ValueError(f"Features(layout={self.layout!r}): use one of {LAYOUTS}")
        if self.layout == "batch_first" and self.batch_first_flag:
            raise ValueError(
                "Features(layout='batch_first') is for a layer without a batch_first argument: "
                "declare batch_first_flag=False with it"
            )
        if min(self.min_hidden_size, self.min_input_size, self.max_layers) < 1:
            raise ValueError("Features' minimum sizes and max_layers must be at least 1")

    def but(self, **changes: Any) -> Features:
        return replace(self, **changes)


LAYOUTS = ("time_major", "batch_first")

# Old Features keywords whose names misled: the message says what to write instead.
RENAMED_FEATURES = {
    "batch_first": "batch_first_flag (the constructor takes a batch_first argument); a layer "
    "that is batch-first only declares batch_first_flag=False, layout='batch_first'",
}

_features_init = Features.__init__


def _features_init_with_renames(self: Features, *args: Any, **kwargs: Any) -> None:
    for old, new in RENAMED_FEATURES.items():
        if old in kwargs:
            raise TypeError(f"Features({old}=...) was renamed: use {new}")
    _features_init(self, *args, **kwargs)


Features.__init__ = _features_init_with_renames  # type: ignore[method-assign]


Factory = Callable[[LayerConfig], Any]


@dataclass(frozen=True)
class LayerSpec:
    """Everything the suite needs to know about one bidirectional layer.

    ``call(module, x, state) -> (output, state)`` adapts a different call convention; ``state`` is
    torch's: h tensor, or (h, c) for an LSTM. ``parameter_names(module) -> {torch name: own name}``
    maps torch's parameter names (``weight_ih_l0``, ``..._reverse``) to the layer's own; from it the
    direction swap of C4, the direction groups of C6 and the reference of C11 follow. The explicit
    ``swap_directions``/``direction_parameters`` hooks override those derivations.
    ``swap_input(config, x) -> x`` is for a layer whose directions read the input asymmetrically
    (an SRU's skip path adds input half d to direction d when I == 2H): what C4's swap does to the
    input. ``expected_failures`` maps a clause id to the reason the layer is known to break it
    (reported as strict xfail).
    """

    name: str
    factory: Factory
    kind: str | None = None
    features: Features = field(default_factory=Features)
    call: Callable[..., Any] | None = None
    parameter_names: Callable[[Any], Mapping[str, str]] | None = None
    swap_directions: Callable[[Any], None] | None = None
    direction_parameters: Callable[[Any], Mapping[tuple[int, int], list[str]]] | None = None
    swap_input: Callable[[LayerConfig, Any], Any] | None = None
    expected_failures: Mapping[str, str] = field(default_factory=dict)
    origin: str | None = None
    constructor_kwargs: Mapping[str, Any] = field(default_factory=dict)
    layer_class: type | None = None

    def __post_init__(self) -> None:
        if self.kind is not None and self.kind not in KINDS:
            raise ValueError(f"unknown kind {self.kind!r} for {self.name}; use one of {KINDS}")
        if not self.name or not str(self.name).replace("_", "").replace("-", "").isalnum():
            raise ValueError(
                f"layer name {self.name!r} must be letters, digits, '-' or '_': it becomes a test id"
            )

    @property
    def has_cell_state(self) -> bool:
        """The state is (h, c): declared in the features, else an LSTM's."""
        if self.features.cell_state is not None:
            return self.features.cell_state
        return self.kind == "lstm"

    @property
    def check_dtype(self) -> str:
        """The dtype the structural clauses run in: float64 when supported, for sharp tolerances."""
        return "float64" if "float64" in self.features.dtypes else self.features.dtypes[0]

    @classmethod
    def from_class(
        cls,
        layer_class: type,
        *,
        kind: str | None = None,
        name: str | None = None,
        features: Features | None = None,
        constructor_kwargs: Mapping[str, Any] | None = None,
        **fields_or_constructor_kwargs: Any,
    ) -> LayerSpec:
        """A spec for a class with torch's constructor signature.

        Keywords that are ``LayerSpec`` fields (``call``, ``parameter_names``, ``origin``,
        ``expected_failures``, ...) go to the spec; the others are passed to the constructor
        and must be among its parameters, so that a misspelt field fails here, not as "factory
        raised TypeError" in every clause.
        """
        spec_fields = {f.name for f in fields(cls)} - FROM_CLASS_SETS
        given = {k: v for k, v in fields_or_constructor_kwargs.items() if k in spec_fields}
        extra = {k: v for k, v in fields_or_constructor_kwargs.items() if k not in spec_fields}
        extra.update(constructor_kwargs or {})
        _require_constructor_accepts(layer_class, extra, spec_fields)
        kind = kind or _torch_kind(layer_class, extra)
        takes_nonlinearity = _accepts(layer_class, "nonlinearity") or _torch_kind(layer_class, {})
        if kind == "rnn_relu" and takes_nonlinearity:
            extra.setdefault("nonlinearity", "relu")
        if features is None:
            features = Features(proj_size=_draws_proj_size(layer_class, kind))
        default_name = layer_class.__name__ + ("-relu" if kind == "rnn_relu" else "")
        chosen = features

        def factory(config: LayerConfig) -> Any:
            return layer_class(**config.constructor_kwargs(chosen), **extra)

        given.setdefault("origin", f"{layer_class.__module__}:{layer_class.__qualname__}")
        given["expected_failures"] = dict(given.get("expected_failures") or {})
        return cls(
            name=name or default_name,
            factory=factory,
            kind=kind,
            features=features,
            constructor_kwargs=dict(extra),
            layer_class=layer_class,
            **given,
        )


# The fields from_class fills in itself (the others may be given to it as keywords).
FROM_CLASS_SETS = {"name", "factory", "kind", "features", "constructor_kwargs", "layer_class"}


def _require_constructor_accepts(
    layer_class: type, kwargs: Mapping[str, Any], spec_fields: set[str]
) -> None:
    """A keyword that is neither a spec field nor a constructor parameter is a TypeError now."""
    try:
        parameters = inspect.signature(layer_class).parameters.values()
    except (TypeError, ValueError):  # no introspectable signature: the constructor decides
        return
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return
    accepted = {p.name for p in parameters}
    unknown = sorted(set(kwargs) - accepted)
    if unknown:
        raise TypeError(
            f"LayerSpec.from_class({layer_class.__qualname__}, ...): {', '.join(unknown)} is neither "
            f"a LayerSpec field ({', '.join(sorted(spec_fields | {'name', 'kind', 'features'}))}) "
            f"nor a parameter of {layer_class.__qualname__}'s constructor"
        )


def _accepts(layer_class: type, parameter: str) -> bool:
    try:
        return parameter in inspect.signature(layer_class).parameters
    except (TypeError, ValueError):
        return False


def _draws_proj_size(layer_class: type, kind: str | None) -> bool:
    """torch's LSTM, and any other class whose constructor names a proj_size parameter."""
    if _is_torch_class(layer_class):
        return kind == "lstm"
    return _accepts(layer_class, "proj_size")


def _is_torch_class(layer_class: type) -> bool:
    return layer_class.__module__.startswith("torch.nn")


def _torch_kind(layer_class: type, constructor_kwargs: Mapping[str, Any]) -> str | None:
    """The kind of torch's own RNN classes (and their subclasses); None for anything else."""
    import torch.nn as nn

    if issubclass(layer_class, nn.LSTM):
        return "lstm"
    if issubclass(layer_class, nn.GRU):
        return "gru"
    if issubclass(layer_class, nn.RNN):
        relu = constructor_kwargs.get("nonlinearity") == "relu"
        return "rnn_relu" if relu else "rnn_tanh"
    return None
