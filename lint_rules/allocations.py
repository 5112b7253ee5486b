"""The allocation under a preallocated buffer's expression: padding code allocates its batch
before copying each sequence in, and writes the pad value in several ways besides
``np.zeros``: a method on the allocation (``.astype(dtype)``, ``.fill_(pad)``, ``.long()``),
or a scalar times (or plus) ones, the form of Keras's old ``pad_sequences`` that many
projects copy: ``(np.ones((n, maxlen)) * value).astype(dtype)``, ``torch.ones(n, L) * pad_id``.
"""

from __future__ import annotations

import ast

from lint_rules.ast_names import last_name

ALLOCATORS = frozenset(
    ("zeros", "ones", "full", "empty", "new_zeros", "new_full", "new_ones")
    + ("Tensor", "LongTensor", "FloatTensor", "IntTensor")
)


def allocation_call(value: ast.AST) -> ast.Call | None:
    """The allocating call of ``value``, or None: ``np.ones(...)`` of
    ``(np.ones(...) * value).astype(dtype)``. Only a product or sum with a name, an attribute or a
    constant (the pad value) is read through: ``np.ones(...) * x`` with ``x`` an array is not a buffer."""
    while True:
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute):
            if value.func.attr in ALLOCATORS:
                return value
            value = value.func.value  # `.astype(int)`, `.fill_(pad)`, `.to(device)`
        elif isinstance(value, ast.BinOp) and isinstance(value.op, (ast.Mult, ast.Add)):
            sides = [value.left, value.right]
            calls = [side for side in sides if isinstance(side, (ast.Call, ast.BinOp))]
            scalars = [s for s in sides if isinstance(s, (ast.Name, ast.Attribute, ast.Constant))]
            if len(calls) != 1 or len(scalars) != 1:
                return None
            value = calls[0]
        else:
            break
    if isinstance(value, ast.Call) and last_name(value.func) in ALLOCATORS:
        return value
    return None
