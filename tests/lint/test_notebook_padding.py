"""BRN005 in notebooks, with the real rules: a notebook is one program run top to bottom, so the
data cells that pad a batch count for the model cell, but a padding mask that merely sits in
another cell (another batch's) does not."""

from __future__ import annotations

import json

from lint_rules.cli import main

DATA_CELLS = (
    "import torch.nn as nn\nfrom torchtext.legacy.data import Field, BucketIterator\n",
    "SRC = Field(lower=True)\n",
    "train_it, valid_it = BucketIterator.splits((train, valid), batch_size=128)\n",
)

ENCODER = """class Encoder(nn.Module):
    def __init__(self, vocab_size, emb_dim, hid_dim):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, emb_dim)
        self.rnn = nn.GRU(emb_dim, hid_dim, bidirectional=True)

    def forward(self, src):
        outputs, hidden = self.rnn(self.embedding(src))
        return outputs, hidden
"""

PACKED_ENCODER = """class Encoder(nn.Module):
    def __init__(self, vocab_size, emb_dim, hid_dim):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, emb_dim)
        self.rnn = nn.GRU(emb_dim, hid_dim, bidirectional=True)

    def forward(self, src, src_len):
        packed = nn.utils.rnn.pack_padded_sequence(self.embedding(src), src_len.cpu())
        outputs, hidden = self.rnn(packed)
        return outputs, hidden
"""

MASK_IN_ANOTHER_CELL = (
    "import torch\nimport torch.nn as nn\n",
    "batch = next(iter(loader))\nfor attention_mask in batch['attention_mask']:\n"
    "    print(attention_mask)\n",
    "lstm = nn.LSTM(2, 10, batch_first=True, bidirectional=True)\n"
    "toy = torch.tensor([[[1.0, 1.0], [0.0, 0.0]]])\nprint(lstm(toy)[0][0])\n",
)


def lint_notebook(tmp_path, capsys, cells) -> list[str]:
    document = {
        "cells": [
            {"cell_type": "code", "metadata": {}, "source": source, "outputs": []}
            for source in cells
        ],
        "metadata": {"language_info": {"name": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (tmp_path / "nb.ipynb").write_text(json.dumps(document))
    capsys.readouterr()
    main(["--isolated", "--no-cache", "--quiet", "--select", "BRN005", str(tmp_path)])
    return capsys.readouterr().out.splitlines()


def test_batches_padded_by_the_notebooks_own_data_cells_reach_the_model_cell(tmp_path, capsys):
    found = lint_notebook(tmp_path, capsys, (*DATA_CELLS, ENCODER))
    assert len(found) == 1
    assert "nb.ipynb:cell 4:8:" in found[0] and "BucketIterator" in found[0]
    assert "nb.ipynb:cell 3:1)" in found[0]  # the evidence by its cell, as a reader finds it


def test_the_packed_twin_is_quiet(tmp_path, capsys):
    assert lint_notebook(tmp_path, capsys, (*DATA_CELLS, PACKED_ENCODER)) == []


def test_a_mask_of_another_batch_in_another_cell_is_not_evidence(tmp_path, capsys):
    assert lint_notebook(tmp_path, capsys, MASK_IN_ANOTHER_CELL) == []


def test_a_mask_computed_from_the_rnns_input_is_evidence(tmp_path, capsys):
    cells = (
        MASK_IN_ANOTHER_CELL[0],
        "lstm = nn.LSTM(2, 10, batch_first=True, bidirectional=True)\n"
        "words = torch.tensor([[[1.0, 1.0], [0.0, 0.0]]])\n"
        "mask = words.abs().sum(-1) != 0\nout, _ = lstm(words)\n",
    )
    found = lint_notebook(tmp_path, capsys, cells)
    assert len(found) == 1 and "`mask` is computed from `words`" in found[0]
