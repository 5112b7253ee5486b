"""A max-length buffer allocated with its pad value (``allocations``): Keras's old
``pad_sequences`` copied into a project, ``(np.ones((n, maxlen)) * value).astype(dtype)`` then
each sequence copied in up to its length, is padding like ``np.zeros``; the same buffer filled
whole, or one not sized by a maximum length, is not."""

from __future__ import annotations

import pytest

from lint_rules.project_index import summarise
from lint_rules.project_index_resolution import build_index

MODEL = """
import torch.nn as nn

class Model(nn.Module):
    def __init__(self, size):
        super().__init__()
        self.rnn = nn.LSTM(size, size, bidirectional=True)
"""


def padding_of(data: str):
    modules = {"data.py": data, "model.py": MODEL, "train.py": "import data\nimport model\n"}
    index = build_index(summarise(name, text) for name, text in modules.items())
    return index.facts_for("model.py", MODEL).padding


@pytest.mark.parametrize(
    "allocation",
    [
        "(np.ones((len(seqs), maxlen)) * value).astype(dtype)",
        "np.ones((len(seqs), maxlen)) * value",
        "value * torch.ones(len(seqs), maxlen).long()",
        "torch.ones(len(seqs), maxlen, dtype=torch.long) * self.pad_id",
    ],
)
def test_a_batch_allocated_with_its_pad_value_and_filled_per_sequence(allocation):
    data = (
        "def pad_sequences(seqs, maxlen, value=0, dtype='int32'):\n"
        f"    x = {allocation}\n"
        "    for idx, s in enumerate(seqs):\n"
        "        x[idx, :len(s)] = s[:maxlen]\n"
        "    return x\n"
    )
    found = padding_of(data)
    assert found is not None and "`x`, allocated to a maximum length" in found[0]
    assert found[1] == "data.py:4"


def test_one_sequence_padded_into_a_buffer_of_ones_times_the_pad_value():
    data = (
        "def pad_and_truncate(sequence, maxlen, dtype='int64', value=0):\n"
        "    x = (np.ones(maxlen) * value).astype(dtype)\n"
        "    trunc = np.asarray(sequence[:maxlen], dtype=dtype)\n"
        "    x[:len(trunc)] = trunc\n"
        "    return x\n"
    )
    found = padding_of(data)
    assert found is not None and "a buffer `maxlen` steps long" in found[0]
    assert found[1] == "data.py:4"


@pytest.mark.parametrize(
    "data",
    [
        # the buffer filled whole: every row as long as the buffer
        "def stack(seqs, maxlen, value=0):\n"
        "    x = (np.ones((len(seqs), maxlen)) * value).astype('int32')\n"
        "    for idx, s in enumerate(seqs):\n"
        "        x[idx, :] = s\n"
        "    return x\n",
        # ones times an array is a product of arrays, not a buffer of a pad value
        "def scale(seqs, maxlen, weights):\n"
        "    x = np.ones((len(seqs), maxlen)) * weights[0]\n"
        "    for idx, s in enumerate(seqs):\n"
        "        x[idx, :len(s)] = s\n"
        "    return x\n",
        # not sized by a maximum length: a table, not a batch of sequences
        "def table(rows, width, value=0):\n"
        "    x = (np.ones((len(rows), width)) * value).astype('int32')\n"
        "    for idx, r in enumerate(rows):\n"
        "        x[idx, :len(r)] = r\n"
        "    return x\n",
    ],
)
def test_buffers_of_a_value_that_are_not_padding(data):
    assert padding_of(data) is None
