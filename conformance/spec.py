"""How a user describes a layer to the suite: its factory, its kind, its features and its hooks.

Layers with torch's constructor signature, parameter names and call convention need nothing but
their class (``LayerSpec.from_class``); everything else is an adapter hook with a torch-style
default in ``conformance.adapters``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
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

    def but(self, **changes: Any) -> LayerConfig:
        return replace(self, **changes)


@dataclass(frozen=True)
class Features:
    """What a layer supports; clauses that need an unsupported feature are skipped, not failed."""

    batch_first: bool = True
    packed: bool = True
    proj_size: bool = False
    initial_state: bool = True
    unbatched: bool = True
    bias_optional: bool = True
    dropout: bool = True
    max_layers: int = 3
    dtypes: tuple[str, ...] = ("float32", "float64", "float16", "bfloat16")
    gradcheck: bool = True
    serialization: bool = True

    def but(self, **changes: Any) -> Features:
        return replace(self, **changes)


Factory = Callable[[LayerConfig], Any]


@dataclass(frozen=True)
class LayerSpec:
    """Everything the suite needs to know about one bidirectional layer.

    ``call(module, x, state) -> (output, state)`` adapts a different call convention; ``state`` is
    torch's: h tensor, or (h, c) for an LSTM. ``parameter_names(module) -> {torch name: own name}``
    maps torch's parameter names (``weight_ih_l0``, ``..._reverse``) to the layer's own; from it the
    direction swap of C4, the direction groups of C6 and the reference of C11 follow. The explicit
    ``swap_directions``/``direction_parameters`` hooks override those derivations.
    ``expected_failures`` maps a clause id to the reason the layer is known to break it (reported as
    strict xfail).
    """

    name: str
    factory: Factory
    kind: str | None = None
    features: Features = field(default_factory=Features)
    call: Callable[..., Any] | None = None
    parameter_names: Callable[[Any], Mapping[str, str]] | None = None
    swap_directions: Callable[[Any], None] | None = None
    direction_parameters: Callable[[Any], Mapping[tuple[int, int], list[str]]] | None = None
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
        origin: str | None = None,
        expected_failures: Mapping[str, str] | None = None,
        **constructor_kwargs: Any,
    ) -> LayerSpec:
        """A spec for a class with torch's constructor signature and call convention."""
        kind = kind or _torch_kind(layer_class, constructor_kwargs)
        if kind == "rnn_relu":
            constructor_kwargs.setdefault("nonlinearity", "relu")
        if features is None:
            features = Features(proj_size=_is_torch_class(layer_class) and kind == "lstm")
        default_name = layer_class.__name__ + ("-relu" if kind == "rnn_relu" else "")

        def factory(config: LayerConfig) -> Any:
            return layer_class(**config.torch_kwargs(), **constructor_kwargs)

        return cls(
            name=name or default_name,
            factory=factory,
            kind=kind,
            features=features,
            origin=origin or f"{layer_class.__module__}:{layer_class.__qualname__}",
            expected_failures=dict(expected_failures or {}),
            constructor_kwargs=dict(constructor_kwargs),
            layer_class=layer_class,
        )


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
