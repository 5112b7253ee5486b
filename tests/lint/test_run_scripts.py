"""Run scripts, grids and unpacked dicts: how the project index decides that an RNN whose
direction is a setting runs bidirectional."""

from __future__ import annotations

import os
from pathlib import Path

from lint_rules.cli import main
from lint_rules.discovery import ExcludeMatcher
from lint_rules.project_index import summarise
from lint_rules.project_index_resolution import build_index
from lint_rules.run_scripts import find_run_scripts, run_flags

# an option no declaration alone turns on (its type is the project's own): only a run script
# that passes it says the program runs bidirectional
TRAIN = """
import argparse
from model import Tagger

def parse_switch(text):
    return text in ("1", "on")

parser = argparse.ArgumentParser()
parser.add_argument("--bidirectional", type=parse_switch, default=False)
args = parser.parse_args()
model = Tagger(bidirectional=args.bidirectional)
"""
MODEL = """
import torch.nn as nn

class Tagger(nn.Module):
    def __init__(self, bidirectional=False):
        super().__init__()
        self.rnn = nn.GRU(8, 16, batch_first=True, bidirectional=bidirectional)

    def forward(self, x):
        out, _ = self.rnn(x)
        return out[:, -1]
"""


def flags(text: str) -> list[tuple[int, str, str, bool]]:
    return [(f.line, f.script, f.key, f.value) for f in run_flags("run.sh", text)]


def test_switches_and_values_are_read_from_python_lines():
    text = (
        "CUDA_VISIBLE_DEVICES=0 python3 -u train.py --bidirectional --lr 0.1\n"
        "python train.py --bidir 1 --layers 2\n"
        "cd src && python train.py --bidirectional=False\n"
        "/usr/bin/python3.10 x.py --bidirectional True\n"
    )
    assert flags(text) == [
        (1, "train.py", "bidirectional", True),
        (2, "train.py", "bidir", True),
        (3, "train.py", "bidirectional", False),
        (4, "x.py", "bidirectional", True),
    ]


def test_comments_continuations_and_other_programs():
    text = (
        "# python train.py --bidirectional\n"
        "echo python train.py --bidirectional\n"
        "python train.py \\\n"
        "    --bidirectional  # the paper's setting\n"
        "ls --bidirectional\n"
        "python train.py --bidirectional yes-please\n"
    )
    found = flags(text)
    assert (3, "train.py", "bidirectional", True) in found
    assert all(line != 5 for line, *_ in found)
    assert all(line != 6 for line, *_ in found)  # a value that is no boolean proves nothing


def test_a_variable_the_script_sets_once_is_expanded():
    text = (
        "bidir=1\nexport LAYERS=2\nfor lr in 0.1 0.01; do\n"
        "python train.py --bidir ${bidir} --layers $LAYERS --lr $lr\ndone\n"
        "python train.py --bidir ${unset}\n"
    )
    assert flags(text) == [(4, "train.py", "bidir", True)]


def test_a_variable_set_to_several_values_or_from_a_command_is_not_expanded():
    for setting in ("bidir=1\nbidir=0\n", "bidir=$(cat flag)\n", "for bidir in 0 1; do :; done\n"):
        assert flags(setting + "python train.py --bidir ${bidir}\n") == []


def test_a_module_run_with_dash_m():
    found = run_flags("scripts/run.sh", "python -m pkg.train --bidirectional\n")
    assert [(f.script, f.is_module, f.value) for f in found] == [("pkg.train", True, True)]


def index(modules: dict[str, str], scripts: dict[str, str]):
    summaries = [summarise(path, text) for path, text in modules.items()]
    flags_found = [flag for path, text in scripts.items() for flag in run_flags(path, text)]
    return build_index(summaries, flags_found)


def test_a_run_script_binds_the_option_of_the_script_it_runs():
    project = index(
        {"train.py": TRAIN, "model.py": MODEL},
        {"scripts/run.sh": "cd ..\npython train.py --bidirectional 1\n"},
    )
    assert project.facts_for("model.py", MODEL).parameter("Tagger", "bidirectional") == (
        True,
        "scripts/run.sh:2",
    )


def test_a_flag_for_a_script_that_is_missing_or_does_not_declare_it_proves_nothing():
    other = "import argparse\nparser = argparse.ArgumentParser()\nparser.add_argument('--lr')\n"
    project = index(
        {"train.py": TRAIN, "model.py": MODEL, "evaluate.py": other},
        {"run.sh": "python evaluate.py --bidirectional 1\npython trainer.py --bidirectional 1\n"},
    )
    assert project.facts_for("model.py", MODEL).parameter("Tagger", "bidirectional") == (
        False,
        "train.py:9",
    )


def test_a_run_script_holds_only_in_the_program_it_runs():
    other = TRAIN.replace("from model import Tagger", "").replace("model = Tagger", "x = dict")
    other += "print(args.bidirectional)\n"
    project = index(
        {"train.py": TRAIN, "model.py": MODEL, "other.py": other},
        {"run.sh": "python train.py --bidirectional 1\n"},
    )
    assert project.config_value("bidirectional", "train.py") == (True, "run.sh:1")
    assert project.config_value("bidirectional", "other.py")[0] is False


def test_a_run_script_is_named_before_a_switch_the_program_declares():
    """The script's line says the program runs so; the declaration only that it can."""
    switch = TRAIN.replace("type=parse_switch, default=False", 'action="store_true"')
    project = index({"train.py": switch, "model.py": MODEL}, {"run.sh": "python train.py"})
    assert project.config_value("bidirectional", "train.py") == (
        True,
        "train.py:9, when run with `--bidirectional`",
    )
    project = index(
        {"train.py": switch, "model.py": MODEL}, {"run.sh": "python train.py --bidirectional"}
    )
    assert project.config_value("bidirectional", "train.py") == (True, "run.sh:1")


GRID_MAIN = """
from sklearn.model_selection import ParameterGrid
from models import SeqLSTM

for params in ParameterGrid({"bidir": [True, False], "layers": [1, 2]}):
    SeqLSTM(bidir=params["bidir"])
"""
GRID_MODEL = """
import torch.nn as nn

class SeqLSTM(nn.Module):
    def __init__(self, bidir=False):
        super().__init__()
        self.lstm = nn.LSTM(8, 16, bidirectional=bidir)
"""


def test_a_grid_that_lists_true_makes_the_flag_bidirectional_in_its_program():
    project = index({"main.py": GRID_MAIN, "models.py": GRID_MODEL}, {})
    bound = project.facts_for("models.py", GRID_MODEL).parameter("SeqLSTM", "bidir")
    assert bound == (True, "main.py:5 (one of a grid's values)")


def test_a_grid_without_true_or_of_another_key_says_nothing():
    for grid in ('{"bidir": [False]}', '{"bidirectional_merge": ["concat"], "bidir": 0}'):
        main_text = GRID_MAIN.replace('{"bidir": [True, False], "layers": [1, 2]}', grid)
        project = index({"main.py": main_text, "models.py": GRID_MODEL}, {})
        assert project.facts_for("models.py", GRID_MODEL).parameter("SeqLSTM", "bidir") is None


def test_run_scripts_are_found_with_the_excludes_of_modules(tmp_path: Path):
    (tmp_path / "run.sh").write_text("python train.py --bidirectional\n")
    (tmp_path / "ignored").mkdir()
    (tmp_path / "ignored" / "old.sh").write_text("python train.py --bidirectional\n")
    (tmp_path / "venv").mkdir()
    (tmp_path / "venv" / "activate.bash").write_text("")
    (tmp_path / ".gitignore").write_text("ignored/\n")
    found = find_run_scripts(tmp_path, ExcludeMatcher(tmp_path, ()))
    assert [path.name for path in found] == ["run.sh"]


def lint(capsys, root: Path, *extra: str) -> list[str]:
    previous = os.getcwd()
    os.chdir(root)
    try:
        main(["--isolated", "--quiet", "--jobs", "1", *extra, "."])
    finally:
        os.chdir(previous)
    return capsys.readouterr().out.splitlines()


def test_a_changed_run_script_reanalyses_the_model(capsys, tmp_path: Path):
    (tmp_path / "train.py").write_text(TRAIN)
    (tmp_path / "model.py").write_text(MODEL)
    (tmp_path / "run.sh").write_text("python train.py\n")
    cache = str(tmp_path / "cache")
    assert lint(capsys, tmp_path, "--cache-dir", cache) == []
    (tmp_path / "run.sh").write_text("python train.py --bidirectional 1\n")
    lines = lint(capsys, tmp_path, "--cache-dir", cache)
    assert len(lines) == 1 and "BRN004" in lines[0] and "from run.sh:1" in lines[0]


def test_an_rnn_built_from_an_unpacked_dict(capsys, tmp_path: Path):
    module = """
import torch.nn as nn

KWARGS = dict(input_size=8, hidden_size=16, batch_first=True, bidirectional=True)

class Model(nn.Module):
    def __init__(self, extra):
        super().__init__()
        self.known = nn.LSTM(**KWARGS)
        self.spread = nn.LSTM(**{**extra, "hidden_size": 16})
        self.missing = nn.GRU(**{"input_size": 8, "hidden_size": 16, "batch_first": True})

    def forward(self, x):
        a, _ = self.known(x)
        b, _ = self.spread(x)
        c, _ = self.missing(x)
        return a[:, -1], b[:, -1], c[:, -1]
"""
    (tmp_path / "model.py").write_text(module)
    lines = lint(capsys, tmp_path, "--no-cache")
    assert [line.split(" ", 2)[:2] for line in lines] == [["model.py:17:16:", "BRN004"]]
