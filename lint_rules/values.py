"""What the analysis knows about the value of an expression.

The analysis is a small abstract interpreter: every expression evaluates to one of these facts, or
to ``None`` when nothing useful is known. Facts are deliberately few and coarse; a rule can only
fire on a fact, so anything the interpreter does not understand stays quiet (precision first).

Sizes and flags are ``Sym`` values whose ``key`` is a normalised description (``("int", 2)``,
``("name", "num_layers")``, ``("bin", "*", ...)``) so that ``self.num_layers`` in ``forward`` and
the ``num_layers`` parameter of ``__init__`` compare equal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Tri = bool | None  # True, False, or not known
Key = tuple


def tri_and(first: Tri, second: Tri) -> Tri:
    """Bidirectional on a path: False wins (a guard or literal says no), then any True."""
    if first is False or second is False:
        return False
    if first is True or second is True:
        return True
    return None


@dataclass(frozen=True)
class Sym:
    """A scalar: an int or bool literal, a named size or flag, or arithmetic on those."""

    key: Key
    truth: Tri = None
    node: Any = field(default=None, compare=False, hash=False)
    origin: str = field(default="", compare=False, hash=False)  # another module that set it

    @property
    def int_value(self) -> int | None:
        return self.key[1] if self.key[0] == "int" else None


OPAQUE: Key = ("opaque",)


def int_sym(value: int, node: Any = None) -> Sym:
    return Sym(("int", value), value != 0, node)


def keys_match(first: Key | None, second: Key | None) -> bool:
    """Same size: equal keys, or two names with the same last part (``args.hidden`` and
    ``self.hidden``), since configuration objects are spelled differently in different places."""
    if first is None or second is None or first[0] == "opaque" or second[0] == "opaque":
        return False
    if first == second:
        return True
    if first[0] == "name" and second[0] == "name":
        return first[1].rsplit(".", 1)[-1] == second[1].rsplit(".", 1)[-1]
    return False


@dataclass(eq=False)
class RnnInfo:
    """One RNN constructor call and what its arguments say (torch's signature)."""

    kind: str  # "LSTM", "GRU", "RNN" or "" when a configured constructor does not say
    call: Any
    bidirectional: Tri
    input_size: Sym | None
    hidden_size: Sym | None
    num_layers: Sym | None
    batch_first: Tri
    proj_size: Sym | None
    label: str = ""
    origin: str = ""  # where another module makes it bidirectional: "train.py:41"

    @property
    def output_size(self) -> Sym | None:
        """H_out: proj_size when one is set, else hidden_size; None when that is not known."""
        if self.proj_size is None:
            return self.hidden_size
        if self.proj_size.int_value == 0:
            return self.hidden_size
        return self.proj_size if self.proj_size.int_value else None

    @property
    def has_single_layer(self) -> bool:
        return self.num_layers is not None and self.num_layers.int_value == 1


@dataclass(frozen=True, eq=False)
class RnnModule:
    rnn: RnnInfo


@dataclass(frozen=True)
class RnnClassRef:
    """``nn.LSTM`` itself, not called yet (``cell = nn.LSTM``; ``getattr(nn, name)``)."""

    kind: str


@dataclass(frozen=True, eq=False)
class CallSite:
    """One call of an RNN and what is known on its path."""

    rnn: RnnInfo
    node: Any
    bidirectional: Tri  # the RNN's flag combined with the guard at the call


@dataclass(frozen=True, eq=False)
class RnnResult:
    """``(output, state)`` as the call returns it."""

    site: CallSite
    packed: bool


@dataclass(frozen=True, eq=False)
class StateTuple:
    """An LSTM's ``(h_n, c_n)``."""

    site: CallSite


@dataclass(frozen=True, eq=False)
class TensorFact:
    """A tensor that came from an RNN call.

    role: "output" (all steps), "packed" (a PackedSequence output), "state" (h_n or c_n, all rows),
    "row" (one row of a state), "step" (the output at one step) or "summary" (pooled, concatenated).
    width: the last dimension in units of H_out, assuming the RNN is bidirectional.
    extra_features: the output's features concatenated with others (``torch.cat([out, extra],
    -1)``): both halves are still there at every step, beside features of unknown width.
    """

    site: CallSite
    role: str
    width: int | None
    time_axis: int | None = None
    rank: int | None = None
    part: str = "h"
    extra_features: bool = False
    halves_mixed: bool = False  # per_step: the two direction halves combined (direction_halves)

    def derive(self, **changes: Any) -> TensorFact:
        values = {
            "site": self.site,
            "role": self.role,
            "width": self.width,
            "time_axis": self.time_axis,
            "rank": self.rank,
            "part": self.part,
            "extra_features": self.extra_features,
            "halves_mixed": self.halves_mixed,
        }
        values.update(changes)
        return TensorFact(**values)


@dataclass(frozen=True, eq=False)
class Layer:
    """A layer whose input size is known: ``nn.Linear(H, ...)``, ``nn.LayerNorm(H)``...

    kind "passthrough" (dropout, activations) returns its input unchanged; "embedding" marks
    padded input when it has ``padding_idx``.
    """

    kind: str
    in_size: Sym | None
    call: Any
    evidence: str = ""


@dataclass(frozen=True, eq=False)
class Container:
    """``nn.ModuleList`` / ``nn.Sequential``: the entries, in order."""

    kind: str
    items: tuple


@dataclass(frozen=True, eq=False)
class Builder:
    """A freshly built tensor (``torch.zeros(L, B, H)``...) that may become an initial state."""

    call: Any
    first_dim: Sym | None
    guard: Tri  # the direction guard where it was built
    directions_name: str | None  # a name holding the direction count, visible where it was built


@dataclass(frozen=True, eq=False)
class Alternatives:
    """Initial states that differ by branch (``return (h0, c0)`` for LSTM, ``h0`` for GRU)."""

    items: tuple


@dataclass(frozen=True)
class TupleValue:
    items: tuple


@dataclass(frozen=True)
class KeywordsValue:
    """``**kwargs`` forwarded by a factory, or a dict literal (``{"bidirectional": True}``,
    ``dict(bidirectional=True)``) unpacked into a call. A dict is mutable, so only the keys it
    was written with are known (``open``): a key it lacks stays unknown, not absent."""

    items: tuple  # ((name, value), ...)
    open: bool = False


@dataclass(frozen=True)
class Padded:
    """A batch known to be padded to a common length; ``evidence`` is shown in BRN005."""

    evidence: str


@dataclass(frozen=True)
class Packed:
    """A PackedSequence."""


@dataclass(frozen=True)
class SelfRef:
    """``self`` inside a method."""


@dataclass(frozen=True, eq=False)
class FunctionRef:
    """A function or method defined in this module; calling it gives its return value."""

    node: Any
    owner: Any = None  # the class context for methods
    enclosing: Any = None  # a closure's (a def inside a function) defining frame, else None


@dataclass(frozen=True, eq=False)
class FactoryRef:
    """A module-level function that wraps ``nn.LSTM(...)`` (or ``nn.Linear``) and returns it."""

    node: Any
    inner_call: Any
    target: str  # qualified name of what it builds


@dataclass(frozen=True, eq=False)
class ClassRef:
    node: Any


def builders_in(value: Any) -> list[Builder]:
    """Every tensor builder inside an initial-state value (tuples and branch alternatives)."""
    if isinstance(value, Builder):
        return [value]
    if isinstance(value, (TupleValue, Alternatives)):
        found: list[Builder] = []
        for item in value.items:
            found.extend(builders_in(item))
        return found
    return []


def is_state_value(value: Any) -> bool:
    return isinstance(value, (Builder, Alternatives)) or (
        isinstance(value, TupleValue) and bool(builders_in(value))
    )
