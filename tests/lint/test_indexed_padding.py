"""Padding written one position at a time, pad ids looked up by the pad token, lengths unpacked
from a shape, and padding that lands on an RNN's feature axis (``indexed_padding``,
``hand_padding``, ``feature_padding``): each form as data code another module's RNN reads."""

from __future__ import annotations

import pytest

from lint_rules.project_index import summarise
from lint_rules.project_index_resolution import build_index

MODEL = """
import torch.nn as nn

class Model(nn.Module):
    def __init__(self, size, bidirectional):
        super().__init__()
        self.rnn = nn.LSTM(size, size, bidirectional=bidirectional)
"""


def padding_of(data: str, train: str = "import data\nimport model\n"):
    modules = {"data.py": data, "model.py": MODEL, "train.py": train}
    index = build_index(summarise(name, text) for name, text in modules.items())
    return index.facts_for("model.py", MODEL).padding


@pytest.mark.parametrize(
    "code, evidence, line",
    [
        (  # a fixed-length buffer filled token by token, the loop stopping at its length
            "def encode(tokens, word2id, sent_limit):\n"
            "    ids = np.zeros([sent_limit])\n"
            "    for i, w in enumerate(tokens):\n"
            "        if i >= sent_limit:\n"
            "            break\n"
            "        ids[i] = word2id.get(w, 1)\n",
            "`ids`, allocated `sent_limit` long and filled token by token",
            3,
        ),
        (
            "def encode(events, n_steps):\n"
            "    seq = torch.zeros(1, n_steps, 2)\n"
            "    for t, event in enumerate(events[:n_steps]):\n"
            "        seq[0, t, 0] = event['kind']\n",
            "`seq`, allocated `n_steps` long and filled token by token",
            3,
        ),
        (  # each position copied while the sequence lasts, a pad value after its end
            "def padding(data, fix_length, pad):\n"
            "    out = []\n"
            "    data_len = len(data)\n"
            "    for idx in range(fix_length):\n"
            "        if idx < data_len:\n"
            "            out.append(data[idx])\n"
            "        else:\n"
            "            out.append(pad)\n"
            "    return out\n",
            "`if i < len(seq): out.append(seq[i]) else: out.append(PAD)`",
            5,
        ),
        (
            "for j in range(CHUNK):\n"
            "    if j < len(words):\n"
            "        vectors[i][j] = model.vector(words[j])\n"
            "    else:\n"
            "        vectors[i][j] = 0\n",
            "`if i < len(seq): out[i] = seq[i] else: out[i] = PAD`",
            2,
        ),
        (
            "ids = [seq[i] if i < len(seq) else PAD_ID for i in range(max_len)]\n",
            "`seq[i] if i < len(seq) else PAD`",
            1,
        ),
        (  # a pad id looked up by the pad token, written into a 2-D batch
            "batch = np.zeros((n, seq_len))\nbatch[i][j] = vocab.stoi['<pad>']\n",
            "`vocab.stoi['<pad>']` written into the elements of a 2-D batch",
            2,
        ),
        (
            "batch[i, j] = tokenizer.convert_tokens_to_ids('[PAD]')\n",
            "written into the elements of a 2-D batch",
            1,
        ),
        (
            "batch[i][j] = word2id[PAD_TOKEN]\n",
            "`word2id[PAD_TOKEN]` written into the elements of a 2-D batch",
            1,
        ),
        (  # a length unpacked from a shape: the filler block of the missing steps
            "for emb in embeddings:\n"
            "    L, D = emb.shape\n"
            "    pad = torch.zeros((max_len - L, D))\n"
            "    out.append(torch.cat((emb, pad), dim=0))\n",
            "a filler `torch.zeros` sized a target length minus the current one",
            3,
        ),
        (  # one channel of each sequence's row filled up to its length
            "def collate(frames):\n"
            "    t_max = max(f.shape[0] for f in frames)\n"
            "    padded = torch.zeros(len(frames), t_max, 1, 64, 64)\n"
            "    for i, f in enumerate(frames):\n"
            "        padded[i, :f.shape[0], 0] = f\n",
            "`padded`, allocated to a maximum length and filled per sequence",
            5,
        ),
    ],
)
def test_forms_written_position_by_position_are_padding(code, evidence, line):
    found = padding_of(code)
    assert found is not None and evidence in found[0], found
    assert found[1] == f"data.py:{line}"


@pytest.mark.parametrize(
    "code",
    [
        # no stop at the buffer's length: the buffer is as long as the data
        "ids = np.zeros([n])\nfor i, w in enumerate(tokens):\n    ids[i] = vocab[w]\n",
        # the loop stops at another length than the buffer's
        "ids = np.zeros([size])\n"
        "for i, w in enumerate(tokens):\n"
        "    if i >= limit:\n"
        "        break\n"
        "    ids[i] = vocab[w]\n",
        # the value does not come from the element: a counter
        "ids = np.zeros([limit])\n"
        "for i, w in enumerate(tokens):\n"
        "    if i >= limit:\n"
        "        break\n"
        "    ids[i] = i\n",
        # a canvas, two dimensions of a picture: no per-token loop
        "canvas = np.zeros((max_h, max_w))\nfor i, row in enumerate(rows):\n    canvas[i] = row\n",
        # after the sequence's end the last frame is repeated, not a pad value
        "for i in range(n):\n"
        "    if i < len(seq):\n"
        "        out.append(seq[i])\n"
        "    else:\n"
        "        out.append(seq[-1])\n",
        "for i in range(n):\n"
        "    if i < len(seq):\n"
        "        out.append(seq[i])\n"
        "    else:\n"
        "        out.append(None)\n",
        # two different lists
        "for i in range(n):\n"
        "    if i < len(seq):\n"
        "        out.append(seq[i])\n"
        "    else:\n"
        "        rest.append(0)\n",
        # a lookup of another token than the pad token
        "batch[i][j] = vocab.stoi['<unk>']\n",
        "x = seq[i] if i < n_items else default\n",
        # one tensor's measure minus another's: aligning, not padding to a length
        "h, w = a.shape\npad = torch.zeros((h - b.shape[0], w))\n",
        # truncation without padding
        "L, D = emb.shape\nemb = emb[:max_len]\n",
    ],
)
def test_position_by_position_forms_that_are_not_sequence_padding(code):
    assert padding_of(code) is None


DATASET = """
import torch.nn.functional as F

class Clips:
    def __init__(self, wav_length):
        self.wav_length = wav_length

    def pad_waveform(self, waveform):
        length = self.wav_length
        pad_length = length - waveform.size(1)
        return F.pad(waveform, (0, pad_length))
"""


@pytest.mark.parametrize(
    "train",
    [
        "import data, model\n"
        'params = {"input_size": dataset.wav_length}\n'
        'net = model.Model(params["input_size"], True)\n',
        "import data, model\nnet = model.Model(size=cfg.wav_length, bidirectional=True)\n",
        "import data, model\nrnn = nn.LSTM(wav_length, 64, bidirectional=True)\n",
        "import data, model\n"
        'params["size"] = wav_length\n'
        'net = model.Model(params["size"], bidirectional=True)\n',
    ],
)
def test_padding_to_the_input_size_pads_features_not_steps(train):
    """The padded length is what the program gives the RNN's input size (``Model(size)`` reaches
    ``nn.LSTM(size, ...)``): each step's features are padded (a waveform fed as one step of its
    samples), no step is."""
    assert padding_of(DATASET, train) is None


@pytest.mark.parametrize(
    "train",
    [
        "import data, model\n",
        # an input size no RNN is given: the dict entry reaches no model
        'import data, model\nparams = {"input_size": dataset.wav_length}\n',
        # a model argument its RNN never sees (``Model``'s RNN takes ``size``)
        "import data, model\nnet = model.Model(80, True, input_size=dataset.wav_length)\n",
        'import data, model\nparams = {"size": n_mels, "max_len": dataset.wav_length}\n'
        'net = model.Model(params["size"], True)\n',
        "import data, model\nnet = model.Model(40, True)\n",
    ],
)
def test_padding_to_another_length_than_the_input_size_is_padding(train):
    found = padding_of(DATASET, train)
    assert found is not None and "`F.pad` by a target length" in found[0]
    assert found[1] == "data.py:11"
