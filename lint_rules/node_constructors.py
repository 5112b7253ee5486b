"""libcst's node constructors, rebuilt to store their fields straight into the nodes' slots.

libcst's nodes are frozen dataclasses with slots, so the ``__init__`` that ``dataclasses`` writes
for them stores each field through ``object.__setattr__(self, "name", value)``: a generic
attribute lookup that walks the class's MRO to find the slot, for every field of every node.
Parsing a module builds a node for every token and every piece of whitespace, and that lookup
cost about a tenth of a parse of the RNN-dense bench tree. The constructor written here stores
each field through its slot's own descriptor, found once per class: the same values in the same
slots, the same defaults and default factories, then ``__post_init__`` as before (which
``parsing`` may have switched off for its own parses). A class whose constructor is not exactly the dataclass
one this expects (other parameters, a field without a slot) keeps libcst's.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Callable
from typing import Any

from libcst._nodes.base import CSTNode

# the classes rebuilt, and the constructor libcst gave each (for the tests to compare with)
libcst_constructors: dict[type, Callable[..., None]] = {}


def _subclasses(cls: type) -> list[type]:
    found, pending = [], [cls]
    while pending:
        for subclass in pending.pop().__subclasses__():
            found.append(subclass)
            pending.append(subclass)
    return found


def _slot_setter(cls: type, name: str) -> Callable[[Any, Any], None] | None:
    for klass in cls.__mro__:
        if name in klass.__dict__:
            descriptor = klass.__dict__[name]
            return descriptor.__set__ if inspect.ismemberdescriptor(descriptor) else None
    return None


def _constructor(cls: type) -> Callable[..., None] | None:
    """The slot-storing ``__init__`` of ``cls``, or None where its own is not the expected one."""
    original = cls.__dict__.get("__init__")
    if original is None or not dataclasses.is_dataclass(cls) or not hasattr(cls, "__post_init__"):
        return None
    fields = [field for field in dataclasses.fields(cls) if field.init]
    parameters = list(inspect.signature(original).parameters.values())[1:]
    if [parameter.name for parameter in parameters] != [field.name for field in fields]:
        return None  # an InitVar, a keyword-only or a renamed parameter: not the plain case
    namespace: dict[str, Any] = {}
    signature, body = [], []
    for number, (field, parameter) in enumerate(zip(fields, parameters)):
        setter = _slot_setter(cls, field.name)
        if setter is None or parameter.kind is not parameter.POSITIONAL_OR_KEYWORD:
            return None
        namespace[f"_set{number}"] = setter
        value = field.name
        if field.default is not dataclasses.MISSING:
            if parameter.default is not field.default:
                return None
            namespace[f"_default{number}"] = field.default
            signature.append(f"{field.name}=_default{number}")
        elif field.default_factory is not dataclasses.MISSING:
            if parameter.default is parameter.empty:
                return None
            # the same marker as dataclasses' own constructor: "call the factory"
            namespace[f"_marker{number}"] = parameter.default
            namespace[f"_factory{number}"] = field.default_factory
            signature.append(f"{field.name}=_marker{number}")
            value = f"_factory{number}() if {field.name} is _marker{number} else {field.name}"
        elif parameter.default is not parameter.empty:
            return None
        else:
            signature.append(field.name)
        body.append(f"    _set{number}(self, {value})\n")
    source = (
        f"def __init__(self, {', '.join(signature)}):\n{''.join(body)}    self.__post_init__()\n"
    )
    exec(source, namespace)  # as dataclasses writes its own constructors
    constructor = namespace["__init__"]
    constructor.__qualname__ = f"{cls.__qualname__}.__init__"
    constructor.__module__ = cls.__module__
    constructor.__doc__ = original.__doc__
    constructor.__annotations__ = dict(getattr(original, "__annotations__", {}))
    return constructor


@functools.cache
def install() -> int:
    """Rebuild the constructor of every libcst node class that has the expected one, once;
    returns how many were rebuilt."""
    for cls in _subclasses(CSTNode):
        constructor = _constructor(cls)
        if constructor is not None:
            libcst_constructors[cls] = cls.__dict__["__init__"]
            cls.__init__ = constructor  # type: ignore[misc]
    return len(libcst_constructors)
