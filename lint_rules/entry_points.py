"""The method that runs when a model is called: ``forward``, or ``__call__`` in its place.

``nn.Module.__call__`` runs ``forward``; a class that overrides ``__call__`` and defines no
``forward`` (older code, ``def __call__(self, context_words, query_words): ...``) runs that
instead, so for it ``__call__`` is where the model's input arrives, what its caller gets back
and what reaches its RNNs. A class that defines both still runs whatever its ``__call__`` does,
but that is almost always a wrapper around ``forward``: ``forward`` is taken then.
"""

from __future__ import annotations

from collections.abc import Iterable

ENTRY_POINTS = ("forward", "__call__")


def entry_name(method_names: Iterable[str]) -> str | None:
    """``forward`` when the class defines it, else ``__call__`` when it defines that."""
    names = set(method_names)
    return next((name for name in ENTRY_POINTS if name in names), None)


def is_entry(name: str, method_names: Iterable[str]) -> bool:
    """``name`` is the method of its class that runs when the class is called."""
    return name == entry_name(method_names)
