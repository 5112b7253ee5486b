"""The project index: facts from other modules of the linted roots reach the rules.

Each case under fixtures/lint/projects/ is a small project in two versions: ``wrong`` fires the
rule only because of a fact in another module (named in the message), ``right`` is its correct
twin and stays quiet.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lint_rules.cli import main
from lint_rules.project_index import summarise
from lint_rules.project_index_resolution import build_index

PROJECTS = Path(__file__).resolve().parents[2] / "fixtures" / "lint" / "projects"

# case -> (code, file reported, the other module the finding names, or "" for none)
CASES = {
    "config_module": ("BRN003", "model.py", "bidirectional=True from config.py:4"),
    "argparse_default": ("BRN004", "model.py", "bidirectional=True from train.py:13"),
    "call_site": ("BRN001", "speech/encoder.py", "bidirectional=True from speech/train.py:5"),
    "data_padding": ("BRN005", "model.py", "in data.py:8"),
    "star_import": ("BRN003", "model.py", ""),
    "caller_loop": ("BRN007", "decoder.py", "the loop that carries the state is at generate.py:8"),
    "chunked_two_pass": ("BRN007", "encoder.py", ""),
    "batch_mixing_flatten": ("BRN006", "model.py", ""),
    "saved_padded_data": ("BRN005", "model.py", "loaded at train.py:12 and padded by"),
    "saved_data_config_object": ("BRN005", "model.py", "loaded at train.py:12 and padded by"),
    "model_package": ("BRN005", "models/birnn.py", "in data.py:5"),
    "encoder_state_slice": ("BRN003", "train.py", "bidirectional=True at encoder.py:10"),
    "single_step_inputs": ("BRN004", "model.py", ""),
    "last_step_readout": ("BRN004", "model.py", "`h[:, -1, :]` at layers.py:12"),
    "run_script_flag": ("BRN004", "model.py", "bidirectional=True from run.sh:3"),
    "grid_value": ("BRN003", "models.py", "bidir=True from main.py:14 (one of a grid's values)"),
    "direction_switch": (
        "BRN003",
        "models.py",
        "bidir=True from train.py:7, when run with `--bidir`",
    ),
    "unpacked_dict": ("BRN004", "model.py", "bidirectional=True from train.py:5"),
    "packed_by_another_model": ("BRN005", "model.py", "in data.py:8"),
    "helper_method": ("BRN005", "model.py", "in data.py:8"),
    "tokenizer_summary": ("BRN005", "model.py", "`padding=True` in data.py:7"),
    "factory_function": ("BRN001", "model.py", "bidirectional=True from train.py:8"),
    "padding_loop": ("BRN005", "model.py", "in data.py:9"),
    "plugin_models": ("BRN005", "models/bilstm.py", "in data.py:8"),
    "sample_buffer": ("BRN005", "models/audio.py", "in utils/audio_dataset.py:22"),
    "init_state_caller": ("BRN001", "model.py", "bidirectional=True from train.py:5"),
    "keras_padding": ("BRN005", "model.py", "padding in front: Keras `pad_sequences`"),
    "merged_tracks": ("BRN005", "model.py", "in data.py:10"),
    "evaluation_padding": ("BRN005", "model.py", "in train.py:9"),
    "time_major_batch": (
        "BRN005",
        "model.py",
        "filled per sequence up to its length in data.py:12",
    ),
    "call_in_place_of_forward": ("BRN005", "model.py", "in data.py:7"),
    "nested_function": ("BRN005", "model.py", "in data.py:8"),
    "keyword_dict_factory": ("BRN004", "model.py", "bidirect=True from preference.py:2"),
    "truncated_bptt": ("BRN007", "model.py", "the loop that carries the state is at run.py:9"),
    "one_sentence_per_call": ("BRN005", "model.py", "in data.py:8"),
    "token_buffer": (
        "BRN005",
        "model.py",
        "filled token by token up to the sequence's end in data.py:9",
    ),
    "waveform_features": ("BRN005", "model.py", "in data.py:14"),
    "packing_helper": ("BRN005", "model.py", ""),
    "hollow_pack": ("BRN005", "model.py", "whose pack takes its lengths from the padded rows"),
    "store_false_direction": (
        "BRN005",
        "model.py",
        "bidirectional=True from train.py:10, `store_false`: True unless `--bidirectional` is given",
    ),
    "subclass_rnn": ("BRN004", "models.py", "bidirectional=True from evaluate.py:6"),
    "yaml_config": (
        "BRN004",
        "nets/tagger/model.py",
        "bidirectional=True from nets/tagger/config.yml:4",
    ),
}


def lint_project(capsys, root: Path) -> list[str]:
    previous = os.getcwd()
    os.chdir(root)
    try:
        main(["--isolated", "--no-cache", "--quiet", "."])
    finally:
        os.chdir(previous)
    return capsys.readouterr().out.splitlines()


def test_every_project_case_is_listed():
    assert sorted(path.name for path in PROJECTS.iterdir() if path.is_dir()) == sorted(CASES)


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_wrong_project_fires_and_names_the_other_module(capsys, case):
    code, reported, origin = CASES[case]
    lines = lint_project(capsys, PROJECTS / case / "wrong")
    assert lines, f"{case}: nothing reported"
    assert all(line.startswith(f"{reported}:") and f" {code} " in line for line in lines), lines
    if origin:
        assert all(origin in line for line in lines), lines


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_right_twin_stays_quiet(capsys, case):
    assert lint_project(capsys, PROJECTS / case / "right") == []


@pytest.mark.parametrize(
    "case",
    [
        "config_module",
        "argparse_default",
        "call_site",
        "data_padding",
        "saved_padded_data",
        "saved_data_config_object",
        "run_script_flag",
        "unpacked_dict",
    ],
)
def test_the_model_module_alone_is_quiet(capsys, case):
    """Without the other modules there is no evidence: the finding rests on them."""
    model = next(
        path
        for path in (PROJECTS / case / "wrong").rglob("*.py")
        if path.name in ("model.py", "encoder.py")
    )
    main(["--isolated", "--no-cache", "--quiet", str(model)])
    assert capsys.readouterr().out == ""


def index(modules: dict[str, str]):
    return build_index(summarise(name, text) for name, text in modules.items())


def facts(modules: dict[str, str], path: str):
    return index(modules).facts_for(path, modules[path])


MODEL = """
import torch.nn as nn

class Model(nn.Module):
    def __init__(self, size, bidirectional):
        super().__init__()
        self.rnn = nn.LSTM(size, size, bidirectional=bidirectional)
"""


@pytest.mark.parametrize(
    "argument, expected",
    [
        ('p.add_argument("--bidirectional", default=True)', True),
        ('p.add_argument("--bidirectional", type=str, default="true")', True),
        ('p.add_argument("--no-bidirectional", action="store_false")', True),
        ('p.add_argument("--no-bi", dest="bidirectional", action="store_false")', True),
        ('p.add_argument("--bidirectional", action="store_true")', False),
        ("p.set_defaults(bidirectional=True)", True),
    ],
)
def test_argparse_defaults(argument, expected):
    train = f"import argparse\np = argparse.ArgumentParser()\n{argument}\n"
    assert index({"train.py": train}).config_value("bidirectional") == (expected, "train.py:3")


def test_a_store_false_option_is_on_by_default_and_the_origin_says_why():
    train = (
        "import argparse\np = argparse.ArgumentParser()\n"
        'DEFAULTS = {"bidirectional": True}\n'
        'p.add_argument("--bidirectional", action="store_false")\n'
    )
    assert index({"train.py": train}).config_value("bidirectional") == (
        True,
        "train.py:4, `store_false`: True unless `--bidirectional` is given",
    )  # the parser's default is named before the dict's, which agrees
    off = train.replace('action="store_false"', 'action="store_false", default=False')
    assert index({"train.py": off}).config_value("bidirectional") is None  # 3 says True, 4 False


def test_config_defaults_that_disagree_say_nothing():
    agreeing = {"a.py": "bidirectional = True\n", "b.py": "CONFIG = {'bidirectional': True}\n"}
    assert index(agreeing).config_value("bidirectional") == (True, "a.py:1")
    disagreeing = {"a.py": "bidirectional = True\n", "b.py": "CONFIG = {'bidirectional': False}\n"}
    assert index(disagreeing).config_value("bidirectional") is None


def test_a_module_gets_only_the_config_keys_it_reads():
    modules = {"config.py": "bidirectional = True\n", "model.py": MODEL}
    assert facts(modules, "model.py").config_value("bidirectional") is None  # a keyword only
    reader = MODEL.replace("bidirectional=bidirectional", "bidirectional=cfg.bidirectional")
    modules["model.py"] = reader
    assert facts(modules, "model.py").config_value("bidirectional") == (True, "config.py:1")


def test_a_parameter_nothing_binds_to_true_stays_quiet(tmp_path, capsys):
    misread = MODEL + (
        "\n    def forward(self, x):\n        _, (h_n, _) = self.rnn(x)\n        return h_n[-1]\n"
    )
    (tmp_path / "model.py").write_text(misread)
    (tmp_path / "train.py").write_text("from model import Model\nModel(8, False)\n")
    assert lint_project(capsys, tmp_path) == []
    (tmp_path / "train.py").write_text("from model import Model\nModel(8, False)\nModel(8, True)\n")
    assert [line.split()[1] for line in lint_project(capsys, tmp_path)] == ["BRN003"]


def test_a_binding_through_an_enclosing_constructor_is_followed():
    wrapper = (
        "import torch.nn as nn\nfrom model import Model\n\n"
        "class Wrapper(nn.Module):\n"
        "    def __init__(self, bidirectional):\n"
        "        super().__init__()\n"
        "        self.inner = Model(8, bidirectional=bidirectional)\n"
    )
    modules = {
        "model.py": MODEL,
        "wrapper.py": wrapper,
        "pkg/run.py": "from wrapper import Wrapper\nWrapper(True)\n",
    }
    assert facts(modules, "model.py").parameter("Model", "bidirectional") == (True, "pkg/run.py:2")


FACTORY = (
    "from model import Model\n\n"
    "def build(size, bidirectional=False):\n"
    "    return Model(size, bidirectional=bidirectional)\n"
)


@pytest.mark.parametrize(
    "caller, expected",
    [
        ("from factory import build\nbuild(8, bidirectional=True)\n", (True, "run.py:2")),
        ("from factory import build\nbuild(8, True)\n", (True, "run.py:2")),
        ("import factory\nbi = True\nfactory.build(8, bi)\n", (True, "run.py:3")),
        (
            "import argparse\nfrom factory import build\np = argparse.ArgumentParser()\n"
            "p.add_argument('--bidirectional', default=True)\nargs = p.parse_args()\n"
            "build(8, args.bidirectional)\n",
            (True, "run.py:4"),
        ),
        (
            "from factory import build\ndef main(bidirectional):\n"
            "    return build(8, bidirectional=bidirectional)\nmain(True)\n",
            (True, "run.py:4"),
        ),
    ],
)
def test_a_factory_function_passes_its_callers_flag_on(caller, expected):
    modules = {"model.py": MODEL, "factory.py": FACTORY, "run.py": caller}
    assert facts(modules, "model.py").parameter("Model", "bidirectional") == expected


@pytest.mark.parametrize(
    "caller, expected",
    [
        ("from factory import build\nbuild(8, bidirectional=False)\n", (False, "run.py:2")),
        ("from factory import build\nbuild(8)\n", (False, "factory.py:3")),  # its default
        (
            "from factory import build\ndef main(bidirectional):\n"
            "    return build(8, bidirectional)\n",
            (False, "factory.py:3"),  # main's parameter: nothing binds it
        ),
        (
            "def build(size, bidirectional):\n    pass\nbuild(8, True)\n",  # run.py's own build
            (False, "factory.py:3"),
        ),
    ],
)
def test_a_factory_function_nothing_binds_to_true_stays_quiet(caller, expected):
    modules = {"model.py": MODEL, "factory.py": FACTORY, "run.py": caller}
    assert facts(modules, "model.py").parameter("Model", "bidirectional") == expected


def test_factory_functions_that_call_each_other_resolve_to_nothing():
    looping = (
        "from model import Model\n\n"
        "def first(bidirectional):\n    return second(bidirectional)\n\n"
        "def second(bidirectional):\n"
        "    if bidirectional is None:\n        return first(bidirectional)\n"
        "    return Model(8, bidirectional=bidirectional)\n"
    )
    modules = {"model.py": MODEL, "factory.py": looping}
    assert facts(modules, "model.py").parameter("Model", "bidirectional") is None
    modules["run.py"] = "from factory import first\nfirst(True)\n"
    assert facts(modules, "model.py").parameter("Model", "bidirectional") == (True, "run.py:2")


def test_a_function_building_the_rnn_itself_is_bidirectional_where_a_call_says_so(tmp_path, capsys):
    (tmp_path / "layers.py").write_text(
        "import torch.nn as nn\n\n"
        "def encode(x, bidirectional=False):\n"
        "    rnn = nn.LSTM(8, 8, bidirectional=bidirectional)\n"
        "    _, (h_n, _) = rnn(x)\n"
        "    return h_n[-1]\n"
    )
    (tmp_path / "run.py").write_text("from layers import encode\nencode(None, False)\n")
    assert lint_project(capsys, tmp_path) == []
    (tmp_path / "run.py").write_text("from layers import encode\nencode(None, True)\n")
    found = lint_project(capsys, tmp_path)
    assert [line.split()[1] for line in found] == ["BRN003"], found
    assert "bidirectional=True from run.py:2" in found[0]


@pytest.mark.parametrize(
    "code, evidence",
    [
        ("tokenizer(texts, padding='max_length', max_length=64)", "padding='max_length'"),
        ("TEXT = data.Field(fix_length=100)", "fix_length"),
        ("it = data.BucketIterator(train, batch_size=32)", "BucketIterator"),
        ("its = data.BucketIterator.splits((train, test), batch_size=32)", "BucketIterator"),
        ("batch = pad_sequence(items, batch_first=True)", "pad_sequence"),
        ("seq += (max_len - len(seq)) * [0]", "seq += [PAD]"),
        ("ids.extend([0] * (max_len - len(ids)))", "seq.extend([PAD]"),
        ("SRC = Field(tokenize=split, include_lengths=True)", "include_lengths=True"),
        ("its = data.BucketIterator.splits((a, b), batch_size=32)", "BucketIterator.splits"),
        (
            "def collate(seqs, max_len):\n"
            "    padded = torch.zeros(len(seqs), max_len, dtype=torch.long)\n"
            "    for i, seq in enumerate(seqs):\n"
            "        padded[i, :len(seq)] = seq",
            "allocated to a maximum length and filled per sequence",
        ),
        (
            "def collate(seqs, lengths, pad):\n"
            "    batch = torch.LongTensor(len(seqs), max(lengths)).fill_(pad)\n"
            "    for i, seq in enumerate(seqs):\n"
            "        batch[i][:lengths[i]] = torch.tensor(seq)",
            "allocated to a maximum length and filled per sequence",
        ),
        (
            "def collate(seqs, max_len):\n"
            "    padded = np.full((len(seqs), max_len), PAD_ID)\n"
            "    for i, seq in enumerate(seqs):\n"
            "        length = len(seq)\n"
            "        padded[i, :length] = seq",
            "allocated to a maximum length and filled per sequence",
        ),
        (
            "for i in range(batch_size):\n"
            "    for j in range(len(words[i]), sent_size):\n"
            "        self.batch_words.data[i][j] = padding_id",
            "`padding_id` written into the elements of a 2-D batch",
        ),
        ("seq = [PAD] * (max_len - len(seq)) + seq", "`[PAD] * (max_len - len(seq)) + seq`"),
        (
            "for seq in batch:\n    n = len(seq)\n    out.append(seq + [pad_id] * (max_len - n))",
            "`n` the sequence's length",
        ),
        ("batch[i, j] = vocab.pad_idx", "`pad_idx` written into the elements of a 2-D batch"),
        (
            "x = np.pad(x, (0, max_len - len(x)))",
            "`np.pad` by a target length minus the current one",
        ),
        (
            "def frames(mfcc, max_frames=300):\n"
            "    pad = max_frames - mfcc.shape[1]\n"
            "    return np.pad(mfcc, ((0, 0), (0, pad)), mode='constant')",
            "`np.pad` by a target length minus the current one",
        ),
        (
            "def fix_frames(mfcc, target_frames=100):\n"
            "    current_frames = mfcc.shape[1]\n"
            "    pad_width = target_frames - current_frames\n"
            "    return np.pad(mfcc, ((0, 0), (0, pad_width)), mode='constant')",
            "`np.pad` by a target length minus the current one",
        ),
        (
            "x = F.pad(x, (0, 0, 0, self.max_len - x.size(1)))",
            "`F.pad` by a target length minus the current one",
        ),
        (
            "def load(x, max_len, dim):\n"
            "    padding_size = max_len - x.shape[0]\n"
            "    buff = np.zeros([padding_size, dim])",
            "a filler `np.zeros` sized",
        ),
        (
            "def encode(ids, seq_len):\n"
            "    pad_len = max(0, seq_len - len(ids))\n"
            "    ids += [PAD_ID] * pad_len",
            "`seq += [PAD] * pad_len`",
        ),
        (
            "def encode(ids, seq_len):\n"
            "    return ids[:seq_len] + [PAD_ID] * max(0, seq_len - len(ids))",
            "`seq + [PAD] * (max_len - len(seq))`",
        ),
        (
            "def collate(batch):\n"
            "    batch = sorted(batch, key=len, reverse=True)\n"
            "    max_len = len(batch[0])\n"
            "    return [np.pad(ids, (0, max_len - len(ids)), constant_values=0) for ids in batch]",
            "`np.pad` by a target length minus the current one",
        ),
        (
            "def encode(ids, seq_len):\n"
            "    pad_len = seq_len - len(ids)\n"
            "    ids.extend([0] * pad_len)",
            "`seq.extend([PAD] * pad_len)`",
        ),
        (
            "def encode(ids, seq_len):\n"
            "    pad_len = max(seq_len - len(ids), 0)\n"
            "    return ids + [0] * pad_len",
            "`seq + [PAD] * (max_len - n)`",
        ),
        (
            "def zero_pad(images):\n"
            "    max_w = max(image.shape[2] for image in images)\n"
            "    shape = (1, images[0].shape[1], max_w)\n"
            "    for image in images:\n"
            "        out = torch.zeros(shape)\n"
            "        out[:, :, :image.shape[2]] = image",
            "`out`, allocated to a maximum length and filled per sequence",
        ),
        (
            "def collate(seqs, max_len, dim):\n"
            "    padded = torch.zeros(len(seqs), max_len, dim)\n"
            "    for i, seq in enumerate(seqs):\n"
            "        padded[i, :seq.size(0), :] = seq",
            "`padded`, allocated to a maximum length and filled per sequence",
        ),
        (
            "def load_mel(self, mel):\n"
            "    audio = np.zeros((self.mel_max_len, 80)).astype(mel.dtype)\n"
            "    n = min(self.mel_max_len, mel.shape[0])\n"
            "    audio[:n] = mel[:n]",
            "`audio`, a buffer `self.mel_max_len` steps long filled per sample",
        ),
        (
            "def load_frames(frames, max_frames):\n"
            "    t = frames.shape[0]\n"
            "    video = torch.zeros(max_frames, 96, 96)\n"
            "    video[:t, ...] = frames",
            "`video`, a buffer `max_frames` steps long filled per sample",
        ),
        (
            "def collate(batch):\n"
            "    in_max_len = max(len(x) for x in batch)\n"
            "    inputs = torch.ones(in_max_len, len(batch)).long()\n"
            "    for ind, x in enumerate(batch):\n"
            "        li = len(x)\n"
            "        inputs[:li, ind] = torch.tensor(x)",
            "`inputs`, allocated to a maximum length and filled per sequence",
        ),
        (
            "def collate(seqs, pad_id):\n"
            "    max_len = max(len(s) for s in seqs)\n"
            "    batch = np.full((max_len, len(seqs), 3), pad_id)\n"
            "    for i, s in enumerate(seqs):\n"
            "        batch[0:len(s), i, :] = s",
            "`batch`, allocated to a maximum length and filled per sequence",
        ),
        (
            "def collate(seqs, maxlen):\n"
            "    out = torch.zeros((len(seqs), maxlen, 8))\n"
            "    for i, t in enumerate(seqs):\n"
            "        out[i, :min(maxlen, t.shape[0]), :] = t[:maxlen]",
            "`out`, allocated to a maximum length and filled per sequence",
        ),
    ],
)
def test_padding_in_data_code(code, evidence):
    modules = {"data.py": code + "\n", "model.py": MODEL, "train.py": "import data\nimport model\n"}
    found = facts(modules, "model.py")
    last_line = code.count("\n") + 1
    assert evidence in found.padding[0] and found.padding[1] == f"data.py:{last_line}"


@pytest.mark.parametrize(
    "code",
    [
        "x = F.pad(x, (1, 1))",
        "image = np.pad(image, ((2, 2), (2, 2)), mode='reflect')",
        "x = F.pad(x, (self.kernel_size - 1, 0))",
        "diff = skip.size(2) - x.size(2)\nx = F.pad(x, (diff // 2, diff - diff // 2))",
        "width = skip.size(3)\nx = F.pad(x, (0, width - x.size(3)))",
        "out = torch.zeros(batch, seq_len)\nfor i in range(batch):\n    out[i, :length] = x[i]",
        "self.t[self.padding_id, :] = -10000",
        "weights[pad_idx] = 0",
        "row = [0] * (self.kernel_size - 1) + row",
        "for i in rows:\n    for j in columns:\n        table.data[i][j] = padding_value",
        "pad_len = max(0, len(kernel) - 1)\nstate += [0] * pad_len",
        "while len(parts) < 3:\n    parts.append('0')",
        "while len(seq) < max_len:\n    seq.append(sample(model, seq))",
        "while len(seq) < max_len:\n    seq.append(PAD)\n    print(seq)",
        "while len(rows[-1]) < max_len:\n    rows[0].append(PAD)",
        "token = model.step(seq)\nwhile len(seq) < max_len:\n    seq.append(token)",
        "shape = (1, height, max_w)\nout = torch.zeros(shape)\nout[:, :, 1:w] = image",
        "boxes = np.zeros((self.max_boxes, 4))\nboxes[:found.shape[0], :] = found",
        "buf = np.zeros((self.max_len, 80))\nbuf[:] = mel",
        "buf = np.zeros((self.max_len, 80))\nbuf[:mel.shape[0], 0] = mel[:, 0]",
        "canvas = np.zeros((max_len, max_len))\ncanvas[:img.shape[0], :img.shape[1]] = img",
        "canvas = np.zeros((max_h, max_w))\ncanvas[:img.shape[0], :img.shape[1]] = img",
        "out = np.zeros((self.max_len, 3))\nout[:take] = x[:take]",
        "out = torch.ones(max_len, n)\nout[:len(x), 1] = x",
        "out = torch.ones(max_len, n)\nout[:len(x), i:] = x",
        "out = torch.ones(max_len, n)\nout[1:len(x), i] = x[1:]",
    ],
)
def test_hand_written_forms_that_are_not_sequence_padding(code):
    """Constant widths pad space (a convolution, an image border); a width that is one tensor's
    size minus another's aligns feature maps; a row filled up to a length counts only in a batch
    made as long as the longest sequence; a pad id used as an index is not written as padding."""
    modules = {"data.py": code + "\n", "model.py": MODEL, "train.py": "import data\nimport model\n"}
    assert facts(modules, "model.py").padding is None


@pytest.mark.parametrize(
    "loop",
    [
        "while len(temp) < length:\n    temp.append('<PAD>')",
        "while max_len > len(seq):\n    seq.append(vocab['<PAD>'])\n    mask.append(0)",
        "while len(ids) < self.max_len:\n    ids.append(self.pad_id)",
        "while len(rows[-1]) < max_len:\n    rows[-1].append(w2i['pad'])\n    tags[-1].append(0)",
        "pad = w2i['<pad>']\nwhile len(seq) < max_len:\n    seq.append(pad)",
        "while len(ids) < max_len:\n    ids.append(tokenizer.pad_token_id)",
    ],
)
def test_a_list_grown_by_a_pad_constant_up_to_a_length_is_padding(loop):
    """The loop's line is the evidence's; a constant appended while shorter than a length, also
    to the list just added to a list of lists, or a name the scope binds to a pad token."""
    modules = {"data.py": loop + "\n", "model.py": MODEL, "train.py": "import data\nimport model\n"}
    line = 1 + loop.count("\n", 0, loop.index("while"))
    assert facts(modules, "model.py").padding == (
        "`while len(seq) < max_len: seq.append(PAD)`",
        f"data.py:{line}",
    )


@pytest.mark.parametrize(
    "code", ["conv = nn.Conv2d(1, 8, 3, padding=1)", "pool = nn.MaxPool1d(2, padding=0)"]
)
def test_a_layer_padding_space_is_not_sequence_padding(code):
    """`padding=1` equals True in a set of modes; a convolution's padding says nothing of
    padded sequences (a held-out repository's CNN in front of its BiLSTM)."""
    modules = {"data.py": code + "\n", "model.py": MODEL, "train.py": "import data\nimport model\n"}
    assert facts(modules, "model.py").padding is None


def test_padding_counts_only_within_one_program():
    """Sibling scripts that import nothing of each other are separate programs (a folder of
    tutorials): one's padding says nothing about the other's RNN."""
    padding = "batch = pad_sequence(items)\n"
    assert facts({"a/tutorial.py": padding, "b/model.py": MODEL}, "b/model.py").padding is None
    imported = {"data.py": padding, "model.py": "from data import batch\n" + MODEL}
    assert facts(imported, "model.py").padding == ("`pad_sequence(...)`", "data.py:1")
    importer = {"data.py": "import model\n" + padding, "model.py": MODEL}
    assert facts(importer, "model.py").padding == ("`pad_sequence(...)`", "data.py:2")


def test_a_flag_set_in_the_calling_scope_is_bound_positionally():
    train = "from model import Model\n\ndef main():\n    bidirectional = True\n    return Model(8, bidirectional)\n"
    modules = {"model.py": MODEL, "train.py": train}
    assert facts(modules, "model.py").parameter("Model", "bidirectional") == (True, "train.py:5")


def test_an_unparsable_module_gives_an_empty_summary():
    assert summarise("bad.py", "def (:\n").parsed is False


def test_packing_in_another_program_does_not_silence_padding():
    padding = "batch = pad_sequence(items)\n"
    packer = "from torch.nn.utils.rnn import pack_padded_sequence\npack_padded_sequence(x, n)\n"
    apart = {"data.py": "import model\n" + padding, "model.py": MODEL, "other/fixed.py": packer}
    assert facts(apart, "model.py").project_packs is False
    together = {**apart, "train.py": "import model\nimport other.fixed\n"}
    assert facts(together, "model.py").project_packs is True


def test_star_imports_pass_on_the_names_their_module_imports():
    common = "import torch\nimport torch.nn as nn\nfrom torch.nn import GRU as G\n"
    star = facts({"common.py": common, "model.py": "from common import *\n"}, "model.py")
    assert dict(star.star_names) == {"torch": "torch", "nn": "torch.nn", "G": "torch.nn.GRU"}


def test_a_class_reached_through_a_dotted_import_is_bound():
    modules = {
        "pkg/model.py": MODEL,
        "pkg/__init__.py": "",
        "run.py": "import pkg.model\npkg.model.Model(8, True)\n",
    }
    assert facts(modules, "pkg/model.py").parameter("Model", "bidirectional") == (True, "run.py:2")


def test_a_model_package_joins_the_program_that_imports_one_of_its_modules():
    """main.py imports models/lstm.py; models/bilstm.py, whose model takes the same arguments,
    is offered to the same pipeline; a module of another shape there is not."""
    model = MODEL + "\n    def forward(self, x, batch_size=None):\n        return self.rnn(x)\n"
    other_shape = MODEL + "\n    def forward(self, x, y, z):\n        return self.rnn(x)\n"
    modules = {
        "main.py": "import data\nfrom models.lstm import LSTM\n",
        "data.py": "TEXT = Field(fix_length=200)\n",
        "models/lstm.py": model,
        "models/bilstm.py": model,
        "models/pair.py": other_shape,
        "scripts/other.py": model,
    }
    assert facts(modules, "models/bilstm.py").padding == (
        "torchtext's `Field(fix_length=...)`",
        "data.py:1",
    )
    assert facts(modules, "models/pair.py").padding is None
    assert facts(modules, "scripts/other.py").padding is None


def test_a_model_importing_the_root_config_does_not_join_the_root_scripts():
    """models/a.py imports config.py: the scripts beside config.py are not its program."""
    modules = {
        "config.py": "SIZE = 8\n",
        "prepare.py": "import config\nbatch = pad_sequence(items)\n",
        "models/a.py": "import config\n" + MODEL,
        "models/b.py": MODEL,
    }
    assert facts(modules, "models/a.py").padding is None


SAVER = """
import pickle

def build(rows, n):
    for row in rows:
        row.extend([0] * (n - len(row)))
    with open("data/train.pkl", "wb") as out:
        pickle.dump(rows, out)
"""
LOADER = """
import pickle
import config
import model

rows = pickle.load(open(config.TRAIN, "rb"))
"""


def test_a_saved_padded_file_joins_the_program_that_loads_it():
    """prepare.py pads and pickles; train.py, which imports none of it, loads the same file."""
    modules = {
        "prepare.py": SAVER,
        "config.py": "import os\nTRAIN = os.path.join('data', 'train.pkl')\n",
        "train.py": LOADER,
        "model.py": MODEL,
    }
    evidence, origin = facts(modules, "model.py").padding
    assert "`train.pkl`, loaded at train.py:6" in evidence and origin == "prepare.py:6"


@pytest.mark.parametrize(
    "change",
    [
        ("row.extend([0] * (n - len(row)))", "row.append(0)"),  # nothing padded
        ('"data/train.pkl"', '"data/vocab.pkl"'),  # another file
        ("train.pkl", "train.pt"),  # a checkpoint format, on both sides
        (
            "    with open",
            "def save(rows):\n    with open",
        ),  # saved by a function that pads nothing
    ],
)
def test_a_file_joins_programs_only_when_its_writer_pads_it(change):
    modules = {
        "prepare.py": SAVER,
        "config.py": "TRAIN = 'data/train.pkl'\n",
        "train.py": LOADER,
        "model.py": MODEL,
    }
    assert facts(modules, "model.py").padding is not None
    changed = {path: text.replace(*change) for path, text in modules.items()}
    assert changed != modules
    assert facts(changed, "model.py").padding is None


def test_data_padding_reaches_the_methods_that_take_forward_s_input(tmp_path, capsys):
    """A CRF's loss method runs the RNN on the same batches as ``forward(self, x)``; a
    ``translate(self, sentence)`` runs one sentence, unpadded."""
    (tmp_path / "model.py").write_text(
        "import torch.nn as nn\n\n"
        "class Tagger(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.lstm = nn.LSTM(8, 8, batch_first=True, bidirectional=True)\n\n"
        "    def forward(self, x):\n"
        "        return self.lstm(x)[0]\n\n"
        "    def loss(self, x, tags):\n"
        "        return self.lstm(x)[0].sum()\n\n"
        "    def translate(self, sentence):\n"
        "        return self.lstm(sentence.unsqueeze(0))[0]\n"
    )
    (tmp_path / "data.py").write_text("def pad(seq, n):\n    seq += [0] * (n - len(seq))\n")
    (tmp_path / "train.py").write_text("import data\nimport model\n")
    reported = [line.split(":")[1] for line in lint_project(capsys, tmp_path)]
    assert reported == ["9", "12"]


def test_data_padding_reaches_the_methods_that_forward_calls(tmp_path, capsys):
    """``features`` runs on the batch that ``forward`` and the loss method pass it; ``one``,
    which only ``translate(self, sentence)`` calls, runs one unpadded sentence."""
    (tmp_path / "model.py").write_text(
        "import torch.nn as nn\n\n"
        "class Tagger(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.lstm = nn.LSTM(8, 8, batch_first=True, bidirectional=True)\n\n"
        "    def features(self, x):\n"
        "        return self.lstm(x)[0]\n\n"
        "    def forward(self, x):\n"
        "        return self.features(x)\n\n"
        "    def one(self, sentence):\n"
        "        return self.lstm(sentence.unsqueeze(0))[0]\n\n"
        "    def translate(self, sentence):\n"
        "        return self.one(sentence)\n"
    )
    (tmp_path / "data.py").write_text("def pad(seq, n):\n    seq += [0] * (n - len(seq))\n")
    (tmp_path / "train.py").write_text("import data\nimport model\n")
    reported = [line.split(":")[1] for line in lint_project(capsys, tmp_path)]
    assert reported == ["9"]


def test_a_file_name_shared_by_sibling_folders_joins_nothing():
    """tutorial_1/ and tutorial_2/ may both keep a ``train.pkl``: not the same file."""
    modules = {
        "tutorial_1/prepare.py": SAVER,
        "tutorial_2/train.py": LOADER.replace("config.TRAIN", "'data/train.pkl'"),
        "tutorial_2/model.py": MODEL,
    }
    assert facts(modules, "tutorial_2/model.py").padding is None
    modules["tutorial_2/prepare.py"] = modules.pop("tutorial_1/prepare.py")
    assert facts(modules, "tutorial_2/model.py").padding is not None


def test_a_method_only_other_methods_call_off_the_batch_runs_on_what_they_pass(tmp_path, capsys):
    """``step(self, x, h)`` is named as ``forward(self, x)`` names its batch, but the only method
    that calls it, ``stream(self, audio)``, hands it one recording's chunks: not the padded
    batch. Called from nowhere in the class (a loss method), it would count. (BRN007 reports
    the stepping loop itself.)"""
    model = (
        "import torch.nn as nn\n\n"
        "class Encoder(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.gru = nn.GRU(8, 8, bidirectional=True)\n\n"
        "    def forward(self, x):\n"
        "        return self.gru(x)[0]\n\n"
        "    def step(self, x, h):\n"
        "        return self.gru(x, h)\n\n"
        "    def stream(self, audio):\n"
        "        h = None\n"
        "        for chunk in audio.split(5):\n"
        "            out, h = self.step(chunk, h)\n"
        "        return out\n"
    )
    (tmp_path / "model.py").write_text(model)
    (tmp_path / "data.py").write_text("def pad(seq, n):\n    seq += [0] * (n - len(seq))\n")
    (tmp_path / "train.py").write_text("import data\nimport model\n")
    reported = [line.split(":")[1] for line in lint_project(capsys, tmp_path) if "BRN005" in line]
    assert reported == ["9"]
    (tmp_path / "model.py").write_text(model.replace("self.step(chunk, h)", "(chunk, h)"))
    reported = [line.split(":")[1] for line in lint_project(capsys, tmp_path) if "BRN005" in line]
    assert reported == ["9", "12"]


def test_padding_in_the_parts_of_a_data_module_that_parse_counts_and_says_so():
    """A typo in the dataset class leaves the collate function beside it readable: its padding
    reaches the model, and the message says that the module has a syntax error."""
    data = (
        "from torch.nn.utils.rnn import pad_sequence\n\n"
        "class Clips:\n"
        "    def __init__(self, wavs):\n"
        "        self.wav s = wavs\n\n"
        "@staticmethod\n"
        "def collate(batch):\n"
        "    return pad_sequence([item[0] for item in batch], batch_first=True)\n"
        "else_value = 1\n"
    )
    modules = {"data.py": data, "model.py": MODEL, "train.py": "import data\nimport model\n"}
    evidence, origin = facts(modules, "model.py").padding
    assert origin == "data.py:9"
    assert (
        evidence == "`pad_sequence(...)`, found although the module has a syntax error at line 5,"
    )
    unreadable = {**modules, "data.py": data.replace("def collate(batch):", "def collate(batch:")}
    assert facts(unreadable, "model.py").padding is None


@pytest.mark.parametrize(
    "call, loaded",
    [
        ("importlib.import_module('models.' + name)", ("models", True)),
        ("import_module(f'nets.rnn.{args.model}')", ("nets.rnn", True)),
        ("__import__('model.{}'.format(name), fromlist=['Model'])", ("model", True)),
        ("importlib.import_module('models.bilstm')", ("models.bilstm", False)),
        ("importlib.import_module(name)", None),
        ("importlib.import_module(prefix + name)", None),
        ("importlib.import_module('model_' + name)", None),
    ],
)
def test_modules_imported_by_a_computed_name(call, loaded):
    import ast

    from lint_rules.dynamic_imports import dynamic_import

    assert dynamic_import(ast.parse(call, mode="eval").body) == loaded


def test_an_import_means_the_copy_rooted_at_the_importer_s_folder():
    """Two copies of one project in a repository: ``from process.template import Batch`` in
    ``v2/main.py`` is ``v2/process/template.py``, whose padding reaches v2's model only."""
    template = "def batch(seqs, n):\n    return [s + [0] * (n - len(s)) for s in seqs]\n"
    main = "from process.template import batch\nfrom model.tagger import Model\n"
    modules = {
        "v1/process/template.py": "def batch(seqs):\n    return seqs\n",
        "v1/model/tagger.py": MODEL,
        "v1/main.py": main,
        "v2/process/template.py": template,
        "v2/model/tagger.py": MODEL,
        "v2/main.py": main,
    }
    assert facts(modules, "v2/model/tagger.py").padding[1] == "v2/process/template.py:2"
    assert facts(modules, "v1/model/tagger.py").padding is None


PREDICT_HELPER = """import torch
import torch.nn as nn


class Spotter(nn.Module):
    def __init__(self, n_mels, hidden):
        super().__init__()
        self.hidden = hidden
        self.rnn = nn.GRU(n_mels, hidden, batch_first=True, bidirectional=True)
        self.out = nn.Linear(2 * hidden, 2)

    def forward(self, x):
        h = torch.zeros(2, x.size(0), self.hidden)
        out, _ = self.rnn(x, h)
        return self.out(out).mean(1)

    def scores(self, x, h):
        out, _ = self.rnn(x, h)
        return self.out(out).mean(1)

    def predict(self, features):
        h = torch.zeros(2, 1, self.hidden)
        return self.scores(features.unsqueeze(0), h)
"""
PADDED_TRAINING = """from torch.nn.utils.rnn import pad_sequence
from torch.utils.data import DataLoader

from model import Spotter


def collate(waves):
    return pad_sequence(waves, batch_first=True)


def train(dataset, model: Spotter):
    for batch in DataLoader(dataset, batch_size=32, collate_fn=collate):
        model(batch).sum().backward()
"""


def test_padding_reaches_forward_not_a_helper_that_only_predict_calls(tmp_path, capsys):
    """``scores`` names its input as ``forward`` does, but only ``predict`` (one recording)
    calls it: the padded training batch reaches ``forward``'s RNN call, not this one."""
    (tmp_path / "model.py").write_text(PREDICT_HELPER)
    (tmp_path / "train.py").write_text(PADDED_TRAINING)
    reported = lint_project(capsys, tmp_path)
    assert [line.split(":")[:2] for line in reported] == [["model.py", "14"]], reported
    assert " BRN005 " in reported[0] and "in train.py:8" in reported[0]
    called_by_forward = PREDICT_HELPER.replace(
        "        out, _ = self.rnn(x, h)\n        return self.out(out).mean(1)\n\n    def scores",
        "        return self.scores(x, h)\n\n    def scores",
    )
    (tmp_path / "model.py").write_text(called_by_forward)
    reported = lint_project(capsys, tmp_path)
    assert [line.split(":")[:2] for line in reported] == [["model.py", "17"]], reported


PACKER = """
from torch.nn.utils.rnn import pack_padded_sequence

def pack(x, lengths):
    x = x[lengths.argsort(descending=True)]
    x = pack_padded_sequence(x, lengths.sort(descending=True)[0].cpu(), batch_first=True)
    return x

def pack_with_order(x, lengths):
    return pack(x, lengths), lengths.argsort()

def run_and_unpack(rnn, x, lengths):
    x = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
    x, _ = rnn(x)
    return x

def first_of(x, lengths):
    return pack_with_order(x, lengths)[0]

def ping(x):
    return pong(x)

def pong(x):
    return ping(x)
"""


def test_functions_that_return_a_packed_batch_are_followed_across_modules():
    """What a project function returns packed (the whole value, or one element of its tuple,
    also through another such function) reaches the modules importing it; a name packed and
    then rebound (the RNN's output) is not packed, and a cycle packs nothing."""
    user = "import utils\nfrom utils import pack, ping, run_and_unpack\n"
    found = facts({"utils.py": PACKER, "model.py": user}, "model.py").packing_helpers
    assert {name: positions for name, positions, _ in found} == {
        "pack": ((0, 0),),
        "utils.pack": ((0, 0),),
        "utils.pack_with_order": ((2, 0),),
        "utils.first_of": ((0, 0),),
    }
    assert dict((name, origin) for name, _, origin in found)["pack"] == "utils.py:4"
