"""Clauses a layer is expected to fail: the ones its spec declares, and the built-in ones.

The only built-in one is torch's own modules on CUDA for C18 (docs/SPECIFICATION.md, C18): cuDNN
rejects a non-contiguous h0 with ``rnn: hx is not contiguous``, while the CPU kernels accept any
layout. It is a strict expected failure like a declared one, so that it shows as XPASS (a failed
item) the day torch makes its kernels accept any layout, and the exception can be dropped.
"""

from __future__ import annotations

from conformance.engine import Case

TORCH_CUDA_HX_LAYOUT = (
    "torch's cuDNN kernels reject a non-contiguous h0 (RuntimeError: rnn: hx is not contiguous); "
    "the CPU kernels accept any layout (built-in expected failure, see C18 in docs/SPECIFICATION.md)"
)


def expected_failure(case: Case) -> str | None:
    """Why ``case`` is expected to fail, or None: the spec's declaration first, then ours."""
    return case.expected_failure or builtin_expected_failure(case)


def builtin_expected_failure(case: Case) -> str | None:
    if (
        case.clause_id == "C18"
        and case.device.split(":")[0] == "cuda"
        and is_torch_module(case.spec)
    ):
        return TORCH_CUDA_HX_LAYOUT
    return None


def is_torch_module(spec) -> bool:
    """torch's own nn.RNN, nn.GRU or nn.LSTM, called as torch calls it (subclasses are the user's)."""
    from torch import nn

    return spec.layer_class in (nn.RNN, nn.GRU, nn.LSTM) and spec.call is None
