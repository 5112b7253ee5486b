"""Which end of its sequences a batch is padded at, and what an unpacked bidirectional RNN makes
of it.

Padding behind (``pad_sequence``, ``seq + [PAD] * n``, a tokenizer's default): the backward
direction starts on the padding. Padding in front (``[PAD] * n + seq``, Keras's
``pad_sequences`` by default): the forward direction runs over the padding before every
shorter sequence and the backward direction ends on it; and ``pack_padded_sequence`` takes a
sequence's first ``length`` steps, so such a batch must be padded behind before it is packed.

The evidence of a form that pads in front starts with ``FRONT``: the side then travels with the
evidence's text wherever that goes (another module, a saved data file, a second RNN reading the
first one's output), and the rule reads it back with ``in_front``.
"""

from __future__ import annotations

FRONT = "padding in front: "


def padded_in_front(evidence: str) -> str:
    """``evidence`` of a form known to pad in front, marked so."""
    return FRONT + evidence


def in_front(evidence: str) -> bool:
    """Whether the evidence (as the message shows it, with whatever wraps it) is of padding in
    front."""
    return FRONT in evidence


def pad_sequence_evidence(padding_side: str | None) -> str:
    """The evidence for torch's ``pad_sequence``, whose ``padding_side="left"`` (torch 2.6 and
    later) pads in front; ``padding_side`` is the keyword's string, None when not written."""
    if padding_side == "left":
        return padded_in_front("`pad_sequence(..., padding_side='left')`")
    return "`pad_sequence(...)`"
