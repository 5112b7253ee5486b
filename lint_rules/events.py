"""What the analysis saw happen to RNNs' inputs, outputs and states: the facts rules read.

The interpreter records one event per interesting operation (an RNN call, a layer applied to an
RNN's output, a subscript or reshape of one); each rule is then a filter over these lists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lint_rules.values import Builder, CallSite, Layer, RnnInfo, Sym, TensorFact, Tri


@dataclass(eq=False)
class Scope:
    """One function (or the module body): names in it and whether it packs sequences."""

    node: Any
    names: set[str] = field(default_factory=set)
    packs: bool = False
    unpacks: bool = False  # calls ``pad_packed_sequence``: it reads a batch packed elsewhere


@dataclass(eq=False)
class RnnCall:
    site: CallSite
    input: Any
    state: Any
    state_names: frozenset[str]
    in_loop: bool
    scope: Scope
    carried: bool = False
    owner: str | None = None  # the class whose method makes the call
    reversed_loop: bool = False  # the loop around the call runs backwards over the sequence
    carried_by: str = ""  # a loop in another module that carries the state: "decode.py:12"
    state_given: bool = True  # a state argument (or ``*args``/``**kwargs`` that may hold one)


@dataclass(frozen=True, eq=False)
class LayerUse:
    """A layer with a known input size applied to a tensor from an RNN."""

    layer: Layer
    value: TensorFact
    guard: Tri


@dataclass(frozen=True, eq=False)
class Reshape:
    """``value.view(*sizes)`` / ``reshape``; sizes are None where not a scalar."""

    value: TensorFact
    node: Any
    sizes: tuple[Sym | None, ...]
    guard: Tri


@dataclass(frozen=True, eq=False)
class Index:
    """``value[...]``; ``items`` describe each index: ("int", k), ("full",), ("slice", lo, hi),
    ("ellipsis",), ("other",)."""

    value: TensorFact
    node: Any
    items: tuple
    guard: Tri
    scope: Scope
    result: TensorFact | None


@dataclass(frozen=True, eq=False)
class Chunk:
    """``state.chunk(2, 0)``: halves of the rows, which are whole layers, not directions."""

    value: TensorFact
    node: Any
    guard: Tri


@dataclass(frozen=True, eq=False)
class StrayInitState:
    """An ``init_hidden``-style method's states, in a class whose every RNN is known."""

    builders: tuple[Builder, ...]
    rnns: tuple[RnnInfo, ...]


@dataclass
class Events:
    calls: list[RnnCall] = field(default_factory=list)
    layer_uses: list[LayerUse] = field(default_factory=list)
    reshapes: list[Reshape] = field(default_factory=list)
    indexes: list[Index] = field(default_factory=list)
    chunks: list[Chunk] = field(default_factory=list)
    stray_init_states: list[StrayInitState] = field(default_factory=list)
    rnns: list[RnnInfo] = field(default_factory=list)
    module_packs: bool = False  # the module packs sequences somewhere (so may its callers)
    # the class (ClassContext) of each method that packs, None for code outside classes
    packing_owners: list = field(default_factory=list)
    unpacking_owners: list = field(default_factory=list)  # the same for ``pad_packed_sequence``
    project_padding: tuple[str, str] | None = None  # (evidence, "data.py:12") from the index
    project_packs: bool = False  # another module of the project packs sequences
    # calls returning a bidirectional RNN's h_n that the index found (BidirectionalState)
    bidirectional_states: tuple = ()
    single_step: tuple = ()  # (class, input axes of length 1 in every call, origin): the index
    readouts: list = field(default_factory=list)  # outputs handed to a last-step readout class
    # id(call site) -> the class whose forward returned that RNN's output to another class
    instance_classes: dict = field(default_factory=dict)
    # (call of a helper, the scope it is in, CallSite): the helper returns that RNN's output
    helper_outputs: list = field(default_factory=list)
    # id of a function nested in another function -> that function (its closures' reach)
    enclosing_functions: dict = field(default_factory=dict)
