"""Padding merged away (``merged_padding``): the members of one item padded to a common length
and reduced across them leave no padded batch, so they are no evidence for BRN005; a padded
batch that is still used after a reduction is."""

from __future__ import annotations

import pytest

from lint_rules.project_index import summarise

TRACKS = """def mid2arry(mid):
    all_arys = [track2seq(track) for track in mid.tracks]
    max_len = max([len(ary) for ary in all_arys])
    for i in range(len(all_arys)):
        if len(all_arys[i]) < max_len:
            all_arys[i] += [[0] * 88] * (max_len - len(all_arys[i]))
    {merge}
"""


@pytest.mark.parametrize(
    "code",
    [
        TRACKS.format(merge="all_arys = np.array(all_arys)\n    all_arys = all_arys.max(axis=0)"),
        TRACKS.format(merge="return np.max(np.array(all_arys), axis=0)"),
        TRACKS.format(merge="merged = np.stack(all_arys).sum(0)\n    return merged[:, :12]"),
        TRACKS.format(
            merge="arr = np.array(all_arys)\n    roll = arr.max(axis=0)\n    return roll"
        ),
        "def mix(streams):\n"
        "    max_len = max(len(s) for s in streams)\n"
        "    padded = [np.pad(s, (0, max_len - len(s))) for s in streams]\n"
        "    return np.sum(padded, axis=0)\n",
        "def mix(arrays, max_len):\n"
        "    padded = []\n"
        "    for a in arrays:\n"
        "        a = np.concatenate([a, np.zeros(max_len - len(a))])\n"
        "        padded.append(a)\n"
        "    mixed = np.sum(padded, axis=0)\n"
        "    return mixed / np.abs(mixed).max()\n",
        "def average_returns(returns):\n"
        "    max_len = max(len(r) for r in returns)\n"
        "    padded = np.zeros((len(returns), max_len))\n"
        "    for i, r in enumerate(returns):\n"
        "        padded[i, :len(r)] = r\n"
        "    return padded.mean(axis=0)\n",
    ],
)
def test_members_padded_and_reduced_across_are_not_padding(code):
    assert summarise("data.py", code).padding == []


@pytest.mark.parametrize(
    "code",
    [
        # statistics of a padded batch that is itself used
        TRACKS.format(merge="peak = np.array(all_arys).max(axis=0)\n    return all_arys, peak"),
        TRACKS.format(merge="all_arys = np.array(all_arys)\n    return all_arys / all_arys.max(0)"),
        # a reduction along time, or of everything, keeps (or ignores) the batch axis
        TRACKS.format(merge="return np.array(all_arys).max(axis=1)"),
        TRACKS.format(merge="return np.array(all_arys).max()"),
        # another list is reduced
        TRACKS.format(merge="return np.sum(weights, axis=0), all_arys"),
    ],
)
def test_a_padded_batch_still_used_after_a_reduction_is_padding(code):
    [(line, evidence)] = summarise("data.py", code).padding
    assert line == 6 and "max_len - len(seq)" in evidence
