"""Keras's ``pad_sequences`` preparing the batches of a PyTorch model.

Notebooks and scripts tokenize with Keras and train a PyTorch model on the result:
``x = sequence.pad_sequences(X, maxlen=900)`` (``keras.preprocessing.sequence``,
``tf.keras.preprocessing.sequence``, ``keras.utils``, ``tf.keras.utils``) pads every sequence to
``maxlen`` or the longest one. Keras's default, ``padding='pre'``, puts the padding in front;
``padding='post'`` puts it behind. Only Keras's own function counts, by its import: a project's
function of that name (a copy of Keras's code, a collate helper) is read by the hand-written
forms, if it pads by one of them.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

from lint_rules.ast_names import dotted
from lint_rules.padding_sides import padded_in_front

FUNCTION = "pad_sequences"
# The packages Keras's function is imported from, as the import names them.
_KERAS_ROOTS = frozenset(("keras", "tensorflow", "tf_keras"))


def keras_padding(call: ast.Call, imports: Iterable) -> str | None:
    """The evidence for a call of Keras's ``pad_sequences``; ``imports`` are the module's
    ``project_index.Import`` records (``local``, ``module``, ``name``)."""
    name = dotted(call.func) or ""
    if name.rsplit(".", 1)[-1] != FUNCTION:
        return None
    origin = _imported_from(name, imports)
    if origin is None or origin.split(".", 1)[0] not in _KERAS_ROOTS:
        return None
    side = _side(call)
    if side == "post":
        return "Keras `pad_sequences(..., padding='post')`"
    if side == "pre":
        return padded_in_front("Keras `pad_sequences(..., padding='pre')`")
    if side == "default":
        return padded_in_front("Keras `pad_sequences` with its default `padding='pre'`")
    return "Keras `pad_sequences`"


def _imported_from(name: str, imports: Iterable) -> str | None:
    """The full dotted name ``name`` stands for through the module's imports
    (``sequence.pad_sequences`` with ``from tensorflow.keras.preprocessing import sequence``),
    or None when its first part is not imported; a star import from a Keras module lends it
    ``pad_sequences`` itself."""
    head, _, rest = name.partition(".")
    for item in imports:
        if item.local == head:
            base = item.module if item.name is None else f"{item.module}.{item.name}"
            return f"{base}.{rest}" if rest else base
    if not rest:
        for item in imports:
            if item.name == "*":
                return f"{item.module}.{name}"
    return None


def _side(call: ast.Call) -> str | None:
    """``"pre"`` or ``"post"`` as written, ``"default"`` (Keras's is ``"pre"``), or None when a
    variable chooses."""
    for keyword in call.keywords:
        if keyword.arg == "padding":
            value = keyword.value
            if isinstance(value, ast.Constant) and value.value in ("pre", "post"):
                return value.value
            return None
    if len(call.args) > 3:  # pad_sequences(sequences, maxlen, dtype, padding, ...)
        value = call.args[3]
        if isinstance(value, ast.Constant) and value.value in ("pre", "post"):
            return value.value
        return None
    return "default"
