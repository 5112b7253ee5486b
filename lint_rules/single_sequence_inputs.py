"""RNN inputs that are one sequence made into a batch of one: ``embeds.unsqueeze(1)``.

The BiLSTM-CRF tutorial's taggers run one sentence per call: ``self.lstm(embeds.unsqueeze(1))``
time-major, ``self.rnn(x.unsqueeze(0))`` batch-first, ``embeds.view(len(sentence), 1, -1)``. A
sequence alone in its batch has no batch-mates to be padded to, so padding that the project's
data code does for batches (another model's, or a character matrix's that a convolution pools
away) is not evidence that this RNN reads padding (BRN005).
"""

from __future__ import annotations

import libcst as cst

from lint_rules.cst_names import literal_int


def is_batch_of_one(node: cst.BaseExpression | None, batch_first: bool | None) -> bool:
    """Whether ``node`` puts a batch axis of size 1 where the RNN reads its batch: axis 1
    time-major, axis 0 batch-first (``batch_first`` unknown: nothing is said)."""
    if batch_first is None or not isinstance(node, cst.Call):
        return False
    func = node.func
    if not isinstance(func, cst.Attribute) or any(arg.keyword or arg.star for arg in node.args):
        return False
    batch_axis = 0 if batch_first else 1
    method = func.attr.value
    if method == "unsqueeze" and len(node.args) == 1:
        return literal_int(node.args[0].value) == batch_axis
    if method in ("view", "reshape") and len(node.args) == 3:
        return literal_int(node.args[batch_axis].value) == 1
    return False
