"""A choice among RNN classes is an RNN class: the model builds whichever one a setting names.

``{"lstm": nn.LSTM, "gru": nn.GRU}[cell_type](...)``, ``cells.get(name)(...)``,
``[nn.LSTM, nn.GRU][i](...)`` and ``nn.LSTM if use_lstm else nn.GRU`` all build an RNN whose
direction and sizes the call's arguments say, whichever class is chosen: every class chosen
from accepts the same ``bidirectional``, ``hidden_size`` and ``num_layers``. When a literal key
picks one entry, that entry is the class. A choice that includes anything but an RNN class
(``{"lstm": nn.LSTM, "transformer": Encoder}``) is not known to build an RNN, and stays unknown.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from lint_rules.values import KeywordsValue, RnnClassRef, Sym, TupleValue


def one_of(candidates: Iterable[Any]) -> RnnClassRef | None:
    """The class a choice among ``candidates`` gives: an RNN class when every candidate is one
    (its kind when they agree, else a kind not known until run time), else None."""
    kinds = set()
    for candidate in candidates:
        if not isinstance(candidate, RnnClassRef):
            return None
        kinds.add(candidate.kind)
    if not kinds:
        return None
    return RnnClassRef(kinds.pop() if len(kinds) == 1 else "")


def entry_chosen(table: Any, key: Any) -> RnnClassRef | None:
    """``table[key]`` or ``table.get(key)`` of a dict (or list) of RNN classes."""
    if isinstance(table, KeywordsValue):
        entries = dict(table.items)
        if isinstance(key, Sym) and key.key[0] == "str":
            return one_of((entries[key.key[1]],)) if key.key[1] in entries else None
        return one_of(entries.values())
    if isinstance(table, TupleValue) and None not in table.items:
        return one_of(table.items)
    return None
