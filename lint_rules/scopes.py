"""Where names live while the module is interpreted: frames for functions, contexts for classes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lint_rules.events import Scope
from lint_rules.values import Container, Layer, RnnInfo, RnnModule, Tri

MISSING = object()


@dataclass(eq=False)
class Frame:
    """One running function (or the module body): its variables and the path it is on."""

    env: dict[str, Any]
    scope: Scope
    parent: Frame | None = None
    owner: ClassContext | None = None
    self_name: str | None = None
    guard: Tri = None  # what a direction guard says on the current path
    loop_depth: int = 0
    reversed_loop: bool = False  # inside a loop that runs backwards over its sequence
    keep_nodes: bool = False  # factory frames: sizes keep the caller's argument nodes
    returns: list = field(default_factory=list)
    is_init: bool = False
    tested: list = field(default_factory=list)  # ifs whose join lost tensors: correlated_branches

    def lookup(self, name: str) -> Any:
        frame: Frame | None = self
        while frame is not None:
            value = frame.env.get(name, MISSING)
            if value is not MISSING:
                return value
            frame = frame.parent
        return MISSING


@dataclass(eq=False)
class FunctionResult:
    returned: Any
    self_assignments: dict[str, Any]


@dataclass(eq=False)
class ClassContext:
    """A class of the module: its methods, constants and the attributes ``__init__`` sets."""

    node: Any
    name: str
    bases: list[ClassContext] = field(default_factory=list)
    methods: dict[str, Any] = field(default_factory=dict)
    constants: dict[str, Any] = field(default_factory=dict)
    attributes: dict[str, Any] = field(default_factory=dict)
    assigners: dict[str, list] = field(default_factory=dict)  # attribute -> methods setting it
    processed: bool = False

    def own_rnns(self) -> list[RnnInfo]:
        found: list[RnnInfo] = []
        for value in self.attributes.values():
            if isinstance(value, RnnModule):
                found.append(value.rnn)
            elif isinstance(value, Container):
                found.extend(item.rnn for item in value.items if isinstance(item, RnnModule))
        return found

    def layers(self) -> list[Layer]:
        return [value for value in self.attributes.values() if isinstance(value, Layer)]
