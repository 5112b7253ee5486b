"""The clauses of the executable specification: one table, read by checks, ids and messages.

The full wording lives in docs/SPECIFICATION.md; each row here is the one-line text that a
failure message quotes.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Clause:
    id: str
    slug: str
    text: str

    @property
    def label(self) -> str:
        """``C4-reversal-equivariance``: the part of a test id that names the clause."""
        return f"{self.id}-{self.slug}"


_ROWS = [
    ("C1", "output-shape",
     "input (T,B,I) gives output (T,B,2*H_out), batch_first (B,T,I) gives (B,T,2*H_out), unbatched "
     "(T,I) gives (T,2*H_out) equal to a batch of one; dtype and device follow the input"),
    ("C2", "state-shape",
     "h_n is (2L,B,H_out) and LSTM's c_n is (2L,B,H), unbatched drops B; row 2l+d is layer l, "
     "direction d"),
    ("C3", "state-matches-output",
     "the last layer's forward state equals the forward half of the output at the last step, its "
     "backward state the backward half at step 0 (each sequence's own last step when packed)"),
    ("C4", "reversal-equivariance",
     "with the directions' parameters swapped, the time-reversed input gives the time-reversed "
     "output with its halves exchanged and the final states with directions exchanged"),
    ("C5", "causality",
     "in one layer the forward half at step t depends only on x[0..t] and the backward half only "
     "on x[t..T-1], and each half does depend on its side"),
    ("C6", "joint-gradient-flow",
     "one loss on the output gives every parameter of both directions in every layer a finite, "
     "non-zero gradient, and the input at every step gets gradient through each direction"),
    ("C7", "batch-independence",
     "each batch element's output and states are those it has when run alone"),
    ("C8", "batch-first",
     "with the same weights, batch_first=True on the transposed input gives the transposed "
     "output and the same states"),
    ("C9", "variable-length",
     "a PackedSequence (sorted or not) gives each sequence the output and states it has alone at "
     "its own length; padded positions hold the padding value after pad_packed_sequence"),
    ("C10", "initial-state",
     "h0 (and c0) is honoured per layer and direction, and an h0 without the direction dimension "
     "is rejected, never broadcast"),
    ("C11", "reference",
     "outputs, final states and gradients agree with an independent float64 implementation of "
     "PyTorch's documented equations for the declared kind"),
    ("C12", "gradient-correctness",
     "torch.autograd.gradcheck passes in float64 on small configurations"),
    ("C13", "determinism",
     "eval mode gives identical results twice, inter-layer dropout is off in eval and on in "
     "train mode, and a missing h0 means zeros"),
    ("C14", "device-consistency",
     "the same weights and input on every device give outputs, states and gradients within the "
     "dtype's tolerance of the CPU float64 result"),
    ("C15", "dtype",
     "float32 and float64 (and float16/bfloat16 where supported) give outputs of the input's dtype, "
     "computed at that dtype's precision"),
    ("C16", "input-validation",
     "a wrong feature size, a batch size differing from h0's, an h0 of the wrong rank or T = 0 "
     "raise; B = 0 works or raises, never returns garbage"),
    ("C17", "state-round-trip",
     "state_dict into a fresh instance, copy.deepcopy and torch.save/torch.load give identical "
     "results"),
    ("C18", "memory-layout",
     "non-contiguous inputs and h0 give the same results as contiguous ones"),
]

CLAUSES: dict[str, Clause] = {row[0]: Clause(*row) for row in _ROWS}

# Whole sequence models (a ModelSpec, conformance/models/), checked in eval mode.
_MODEL_ROWS = [
    ("M1", "padding-invariance",
     "a sequence's result is the same alone and inside a batch padded to a longer length"),
    ("M2", "batch-independence",
     "a sequence's result does not change when the other sequences in its batch change or are "
     "permuted"),
    ("M3", "eval-determinism",
     "in eval mode the same batch gives identical results twice"),
]

MODEL_CLAUSES: dict[str, Clause] = {row[0]: Clause(*row) for row in _MODEL_ROWS}


def clause(clause_id: str) -> Clause:
    """Look a clause up by id (``"C4"``), with an error that lists the valid ids."""
    try:
        return {**CLAUSES, **MODEL_CLAUSES}[clause_id.upper()]
    except KeyError:
        valid = ", ".join([*CLAUSES, *MODEL_CLAUSES])
        raise KeyError(f"unknown clause {clause_id!r}; valid: {valid}") from None
