"""BRN005's message by the side the padding is on, and Keras's ``pad_sequences`` as padding.

Padding behind: the backward direction starts on it. Padding in front (``[PAD] * n + seq``,
Keras's default ``padding='pre'``): the forward direction reads it first and the backward
direction ends on it, and packing needs the padding moved behind.
"""

from __future__ import annotations

import pytest

from lint_rules.checker import check_source
from lint_rules.cli import main
from lint_rules.project_index import summarise
from lint_rules.rules.brn005_padded_without_packing import PADDED_BEHIND, PADDED_IN_FRONT

ENCODER = """
import torch.nn as nn
import torch.nn.functional as F


class Encoder(nn.Module):
    def __init__(self, n_features, hidden_size, max_frames=300):
        super().__init__()
        self.max_frames = max_frames
        self.lstm = nn.LSTM(n_features, hidden_size, batch_first=True, bidirectional=True)

    def forward(self, frames):
        batch = F.pad(frames, {widths})
        out, _ = self.lstm(batch)
        return out
"""

MODEL = """import torch.nn as nn


class Classifier(nn.Module):
    def __init__(self, vocab_size, dim):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, dim)
        self.lstm = nn.LSTM(dim, dim, batch_first=True, bidirectional=True)

    def forward(self, tokens):
        out, _ = self.lstm(self.embed(tokens))
        return out.mean(1)
"""


@pytest.mark.parametrize(
    "widths, consequence",
    [
        ("(0, 0, 0, self.max_frames - frames.size(1))", PADDED_BEHIND),
        ("(0, 0, self.max_frames - frames.size(1), 0)", PADDED_IN_FRONT),
    ],
)
def test_the_message_follows_the_side_of_f_pad(widths, consequence):
    [finding] = check_source(ENCODER.format(widths=widths))
    assert finding.code == "BRN005" and finding.message.endswith(consequence)


PAD_SEQUENCE_ENCODER = """
import torch.nn as nn
from torch.nn.utils.rnn import pad_sequence


class Encoder(nn.Module):
    def __init__(self, n_features, hidden_size):
        super().__init__()
        self.lstm = nn.LSTM(n_features, hidden_size, batch_first=True, bidirectional=True)

    def forward(self, utterances):
        out, _ = self.lstm(pad_sequence(utterances, batch_first=True{side}))
        return out
"""


@pytest.mark.parametrize(
    "side, consequence",
    [
        ("", PADDED_BEHIND),
        (", padding_side='right'", PADDED_BEHIND),
        (", padding_side='left'", PADDED_IN_FRONT),
    ],
)
def test_the_message_follows_the_side_of_pad_sequence(side, consequence):
    [finding] = check_source(PAD_SEQUENCE_ENCODER.format(side=side))
    assert finding.code == "BRN005" and finding.message.endswith(consequence)


def test_the_message_for_padding_in_front_says_what_each_direction_reads():
    assert "forward direction runs over the padding" in PADDED_IN_FRONT
    assert "backward direction ends on it" in PADDED_IN_FRONT
    assert "pad behind" in PADDED_IN_FRONT and "pack_padded_sequence" in PADDED_IN_FRONT
    assert "backward direction starts on the padding" in PADDED_BEHIND


@pytest.mark.parametrize(
    "data, consequence",
    [
        ("def pad(seq, n):\n    return [0] * (n - len(seq)) + seq\n", PADDED_IN_FRONT),
        ("def pad(seq, n):\n    return seq + [0] * (n - len(seq))\n", PADDED_BEHIND),
        (
            "from keras.preprocessing.sequence import pad_sequences\n"
            "x = pad_sequences(ids, maxlen=100)\n",
            PADDED_IN_FRONT,
        ),
        (
            "import torch\nx = torch.nn.utils.rnn.pad_sequence(ids, padding_side='left')\n",
            PADDED_IN_FRONT,
        ),
        (
            "from keras.preprocessing.sequence import pad_sequences\n"
            "x = pad_sequences(ids, maxlen=100, padding='post')\n",
            PADDED_BEHIND,
        ),
    ],
)
def test_the_side_travels_from_the_data_module(tmp_path, capsys, monkeypatch, data, consequence):
    (tmp_path / "model.py").write_text(MODEL)
    (tmp_path / "data.py").write_text(data)
    (tmp_path / "train.py").write_text("import data\nimport model\n")
    monkeypatch.chdir(tmp_path)
    main(["--isolated", "--no-cache", "--quiet", "."])
    [line] = capsys.readouterr().out.splitlines()
    assert "BRN005" in line and "in data.py:2" in line and line.endswith(consequence)


@pytest.mark.parametrize(
    "code, evidence",
    [
        (
            "from tensorflow.keras.preprocessing import sequence\n"
            "x = sequence.pad_sequences(X, maxlen=900)",
            "padding in front: Keras `pad_sequences` with its default `padding='pre'`",
        ),
        (
            "import tensorflow as tf\n"
            "x = tf.keras.preprocessing.sequence.pad_sequences(X, padding='pre')",
            "padding in front: Keras `pad_sequences(..., padding='pre')`",
        ),
        (
            "from tensorflow import keras\nx = keras.utils.pad_sequences(X, padding='post')",
            "Keras `pad_sequences(..., padding='post')`",
        ),
        (
            "from keras.preprocessing.sequence import *\nx = pad_sequences(X, 50, 'int32', side)",
            "Keras `pad_sequences`",
        ),
    ],
)
def test_keras_pad_sequences_is_padding(code, evidence):
    [(line, found)] = summarise("data.py", code + "\n").padding
    assert line == 2 and found == evidence


@pytest.mark.parametrize(
    "code",
    [
        "def pad_sequences(seqs, maxlen):\n    return seqs\nx = pad_sequences(X, maxlen=9)",
        "x = self.pad_sequences(X, max_length)",
        "from utils import pad_sequences\nx = pad_sequences(X, maxlen=9)",
    ],
)
def test_a_pad_sequences_that_is_not_keras_s_is_not_this_form(code):
    """A project's own function of the name pads (or not) by what its body does."""
    assert summarise("data.py", code + "\n").padding == []


def test_the_side_travels_through_a_saved_data_file(tmp_path, capsys, monkeypatch):
    """Padded by Keras in one program, saved with ``np.save``, loaded by the model's program."""
    (tmp_path / "prepare.py").write_text(
        "import numpy as np\n"
        "from keras.preprocessing.sequence import pad_sequences\n\n"
        "x_train = pad_sequences(sequences, maxlen=900)\n"
        'np.save("x_train.npy", x_train)\n'
    )
    (tmp_path / "train.py").write_text(
        'import numpy as np\nimport torch\nfrom model import Classifier\n\nx = np.load("x_train.npy")\n'
        "Classifier(1000, 32)(torch.tensor(x))\n"
    )
    (tmp_path / "model.py").write_text(MODEL)
    monkeypatch.chdir(tmp_path)
    main(["--isolated", "--no-cache", "--quiet", "."])
    [line] = capsys.readouterr().out.splitlines()
    assert "`x_train.npy`, loaded at train.py:5" in line and "in prepare.py:4" in line
    assert line.endswith(PADDED_IN_FRONT)
