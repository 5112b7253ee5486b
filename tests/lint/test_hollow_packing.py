"""A pack that packs nothing (``hollow_packing``): lengths read off the rows ``pad_sequence``
returned are all the longest, so the pack keeps every padded step. Such a pack is no packing for
the project index, and its ``pad_sequence`` carries evidence that says why; any other lengths
are the sequences' own as far as the linter can tell, and the pack counts."""

from __future__ import annotations

import pytest

from lint_rules.hollow_packing import is_hollow
from lint_rules.project_index import summarise

COLLATE = """import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_sequence

def collate(batch):
    xs = [item[0] for item in batch]
    padded = pad_sequence(xs, {pad})
    {lengths}
    return pack_padded_sequence(padded, {pack}), torch.tensor([item[1] for item in batch])
"""
HOLLOW = dict(pad="batch_first=True", pack="lengths, batch_first=True, enforce_sorted=False")


@pytest.mark.parametrize(
    "lengths",
    [
        "lengths = [len(p) for p in padded]",
        "lengths = torch.tensor([row.size(0) for row in padded])",
        "lengths = torch.LongTensor([row.shape[0] for row in padded])",
    ],
)
def test_lengths_read_off_the_padded_rows_pack_nothing(lengths):
    summary = summarise("data.py", COLLATE.format(lengths=lengths, **HOLLOW))
    assert not summary.packs
    [(line, evidence)] = summary.padding
    assert line == 6 and is_hollow(evidence), evidence


def test_the_lengths_may_be_written_in_the_pack_call():
    code = COLLATE.format(
        lengths="pass",
        pad="batch_first=True",
        pack="[len(p) for p in padded], batch_first=True, enforce_sorted=False",
    )
    assert not summarise("data.py", code).packs


@pytest.mark.parametrize(
    "lengths, pad, pack",
    [
        # the sequences' own lengths
        ("lengths = [len(x) for x in xs]", *HOLLOW.values()),
        # time-major: the rows are time steps, another mistake (and another message)
        ("lengths = [len(p) for p in padded]", "", "lengths, enforce_sorted=False"),
        # the lengths bound twice: which one the pack gets is not known
        ("lengths = [len(p) for p in padded]; lengths = [len(x) for x in xs]", *HOLLOW.values()),
        # a filtered comprehension is not every row
        ("lengths = [len(p) for p in padded if p.any()]", *HOLLOW.values()),
    ],
)
def test_any_other_lengths_pack(lengths, pad, pack):
    summary = summarise("data.py", COLLATE.format(lengths=lengths, pad=pad, pack=pack))
    assert summary.packs
    assert not any(is_hollow(evidence) for _, evidence in summary.padding)


def test_a_function_returning_a_pack_that_packs_nothing_is_no_packing_helper():
    """``packing_helpers`` does not take its result for a packed batch either."""
    code = COLLATE.format(lengths="lengths = [len(p) for p in padded]", **HOLLOW)
    [collate] = summarise("data.py", code).functions
    assert collate.returned_packing == ()
    packing = summarise("data.py", code.replace("[len(p) for p in padded]", "[len(x) for x in xs]"))
    assert packing.functions[0].returned_packing == ((2, 0, ("pack",)),)
