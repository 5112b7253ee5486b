"""The model-level clauses as hypothesis properties: M1 padding invariance, M2 batch independence,
M3 eval determinism (statements in docs/SPECIFICATION.md, "Model-level clauses").

Each property is a function of a ``ModelTrial``: it draws the sequences it needs, runs batches
through the spec's ``run`` and raises ``ConformanceFailure`` when its clause does not hold.
M1 and M2 keep apart what they test: M1 changes only the padding around a sequence, M2 changes
the other sequences but not the padded length. A model that is random in eval mode breaks both;
their failures then say so and point at M3.
"""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import strategies as st

from conformance.compare import close
from conformance.models.trial import ModelTrial

PADDING_HINT = (
    "the result changes when the sequence is padded: a summary read at the last padded step "
    "(output[:, -1] of a padded batch, BRN004), a padded batch fed to the RNN without "
    "pack_padded_sequence so that the backward direction starts on padding (BRN005), or pooling "
    "and attention that count padded steps. Pack the batch and pool over each sequence's own steps"
)
BATCH_HINT = (
    "the result depends on the other sequences of the batch: a reshape that mixes batch elements "
    "(h_n.view(B, -1) on a (2L, B, H) state, BRN006: transpose(0, 1) first), statistics over the batch "
    "computed in forward (x - x.mean(0), a norm layer forced into training mode), or a state kept "
    "from the last batch"
)
UNPADDED_BATCH_HINT = (
    "the result changes in any batch, even beside a copy of itself where nothing is padded: the "
    "model mixes batch elements (see M2), which breaks this clause as well"
)
DETERMINISM_HINT = (
    "eval mode must not be random: dropout called with training=True (F.dropout(x, p, True)), "
    "noise added in forward, or a state carried from one call to the next (self.hidden)"
)
RANDOM_HINT = (
    "the model gives a different result for the same batch twice in eval mode (see M3): fix that "
    "first, then this clause can be judged"
)

PROPERTIES: dict[str, Callable[[ModelTrial], None]] = {}


def model_property(clause_id: str):
    def register(function: Callable[[ModelTrial], None]) -> Callable[[ModelTrial], None]:
        PROPERTIES[clause_id] = function
        return function

    return register


def _lengths(sequences) -> str:
    return ", ".join(str(len(sequence)) for sequence in sequences)


def _compare_or_blame_randomness(
    trial: ModelTrial, actual, expected, batch, at, *, what: str, hint: str
) -> None:
    """Compare; on a difference, run ``batch`` again first, to say so when the model is random."""
    __tracebackhide__ = True
    if close(actual, expected, trial.tolerance()):
        return
    again = trial.results(batch)[at[0][1]]
    if not close(again, actual, trial.tolerance()):
        hint = RANDOM_HINT
    trial.assert_same(actual, expected, what=what, hint=hint, at=at)


@model_property("M1")
def padding_invariance(trial: ModelTrial) -> None:
    """Alone (padded to its own length) versus beside a longer sequence (padded to that one's)."""
    __tracebackhide__ = True
    spec = trial.spec
    if spec.max_length < 2:
        raise AssertionError("M1 needs max_length >= 2")  # the engine skips it before (requires)
    length = trial.length("length", high=spec.max_length - 1)
    target = trial.sequence(length, "sequence")
    longer_length = trial.length("longer length", low=length + 1)
    longer = trial.sequence(longer_length, "longer sequence")
    position = trial.draw(st.integers(0, 1), "position in the padded batch")
    alone = trial.results([target])[0]
    batch = [target, longer] if position == 0 else [longer, target]
    padded = trial.results(batch)[position]
    hint = PADDING_HINT
    if not close(padded, alone, trial.tolerance()):
        # Padding or the batch itself? Beside a twin of its own length, nothing is padded.
        beside_twin = trial.results([target, target])[0]
        if not close(beside_twin, alone, trial.tolerance()):
            hint = UNPADDED_BATCH_HINT
    _compare_or_blame_randomness(
        trial,
        padded,
        alone,
        batch,
        ((2, position), (1, 0)),
        what=f"a sequence of {length} step(s) in a batch padded to {longer_length} (batch position "
        f"{position}), against the same sequence alone",
        hint=hint,
    )


@model_property("M2")
def batch_independence(trial: ModelTrial) -> None:
    """The same sequence among other sequences of the same lengths, then among new ones, permuted:
    the padded length stays the same, so only the neighbours change."""
    __tracebackhide__ = True
    size = trial.draw(st.integers(2, trial.spec.max_batch), "batch size")
    lengths = [trial.length(f"length {index}") for index in range(size)]
    first = [trial.sequence(length, f"sequence {index}") for index, length in enumerate(lengths)]
    position = trial.draw(st.integers(0, size - 1), "position of the followed sequence")
    others = [
        first[index] if index == position else trial.sequence(length, f"new sequence {index}")
        for index, length in enumerate(lengths)
    ]
    order = trial.draw(st.permutations(range(size)), "permutation")
    second = [others[index] for index in order]
    new_position = list(order).index(position)
    before = trial.results(first)[position]
    after = trial.results(second)[new_position]
    _compare_or_blame_randomness(
        trial,
        after,
        before,
        second,
        ((2, new_position), (1, position)),
        what=f"the sequence at batch position {position} (lengths {_lengths(first)}) after its "
        f"neighbours were replaced and the batch permuted (now position {new_position})",
        hint=BATCH_HINT,
    )


@model_property("M3")
def eval_determinism(trial: ModelTrial) -> None:
    """The same batch twice, each call seeded differently: identical results, exactly."""
    __tracebackhide__ = True
    size = trial.draw(st.integers(1, trial.spec.max_batch), "batch size")
    batch = [
        trial.sequence(trial.length(f"length {index}"), f"sequence {index}")
        for index in range(size)
    ]
    first = trial.results(batch)
    second = trial.results(batch)
    for index, (again, once) in enumerate(zip(second, first)):
        trial.assert_same(
            again,
            once,
            what=f"sequence {index} of a batch of {size} (lengths {_lengths(batch)}) run a "
            "second time in eval mode",
            hint=DETERMINISM_HINT,
            at=((2, index), (1, index)),
        )


def requires(clause_id: str, spec) -> str | None:
    """Why a clause does not apply to ``spec`` (skipped with this reason), or None."""
    if clause_id == "M1" and spec.max_length < 2:
        return f"{spec.name} has max_length {spec.max_length}: no sequence can be padded to a longer one"
    return None
