"""Direction flags a command line can turn on: an argparse option left off by default that can
store a true value counts as bidirectional in its program, and a flag's value reaches a model
through a name or a conditional expression."""

from __future__ import annotations

import ast

import pytest

from lint_rules.direction_options import switched_on
from lint_rules.project_index import summarise
from lint_rules.project_index_resolution import build_index


def how(declaration: str) -> str | None:
    call = ast.parse(declaration).body[0].value  # type: ignore[attr-defined]
    keywords = {keyword.arg: keyword.value for keyword in call.keywords if keyword.arg}
    return switched_on(call.args[0].value, keywords)


@pytest.mark.parametrize(
    "declaration, expected",
    [
        ('add("--bidir", action="store_true")', "--bidir"),
        ('add("--bidir", action=argparse.BooleanOptionalAction)', "--bidir"),
        ('add("--bidir", action="store_const", const=True, default=False)', "--bidir"),
        ('add("--bi", type=int, default=0)', "--bi 1"),
        ('add("--bi", type=int, choices=[0, 1], default=0)', "--bi 1"),
        ('add("--bi", choices=["false", "true"], default="false")', "--bi true"),
        ('add("--bi", type=str2bool, default=False)', "--bi True"),
        ('add("--bi", type=lambda x: bool(strtobool(x)), default=False)', "--bi True"),
        ('add("--bi", default=False)', "--bi True"),
        ('add("--bi", type=str, default="False")', "--bi True"),
        ('add("--bi", type=eval, default=False)', "--bi True"),
    ],
)
def test_a_declaration_that_can_store_true_says_how(declaration, expected):
    assert how(declaration) == expected


@pytest.mark.parametrize(
    "declaration",
    [
        'add("--bidir", action="store_false")',
        'add("--bidir", action="count")',
        'add("--bi", type=int, choices=[0], default=0)',
        'add("--bi", type=float, default=0.0)',
        'add("--bi", type=str)',
        'add("--bi", default=None)',
        'add("--bi", type=parse_flag, default=False)',
        'add("--bi", action="store_const", const=2)',
    ],
)
def test_a_declaration_that_cannot_store_true_says_nothing(declaration):
    assert how(declaration) is None


MODEL = """
import torch.nn as nn

class Model(nn.Module):
    def __init__(self, size, bidir=False):
        super().__init__()
        self.rnn = nn.LSTM(size, size, bidirectional=bidir)
"""


def parameter(train: str, extra: dict[str, str] | None = None):
    modules = {"model.py": MODEL, "train.py": train, **(extra or {})}
    index = build_index(summarise(name, text) for name, text in modules.items())
    return index.facts_for("model.py", MODEL).parameter("Model", "bidir")


PARSER = "import argparse\nfrom model import Model\np = argparse.ArgumentParser()\n"


@pytest.mark.parametrize(
    "body, origin",
    [
        (
            "p.add_argument('--bidir', action='store_true')\nargs = p.parse_args()\n"
            "Model(8, bidir=args.bidir)\n",
            "train.py:4, when run with `--bidir`",
        ),
        (  # a module-level name the function reads, as scripts set them from args
            "p.add_argument('--bidir', action='store_true')\nargs = p.parse_args()\n"
            "bidir = args.bidir\ndef main():\n    return Model(8, bidir=bidir)\n",
            "train.py:4, when run with `--bidir`",
        ),
        (
            "p.add_argument('--bidir', type=int, default=0)\nargs = p.parse_args()\n"
            "Model(8, bidir=(True if args.bidir == 1 else False))\n",
            "train.py:4, when run with `--bidir 1`",
        ),
        (
            "p.add_argument('--bidir', type=str, default='False')\nargs = p.parse_args()\n"
            "flag = True if args.bidir == 'True' else False\nModel(8, bidir=flag)\n",
            "train.py:4, when run with `--bidir True`",
        ),
    ],
)
def test_a_switch_the_program_declares_makes_it_bidirectional(body, origin):
    assert parameter(PARSER + body) == (True, origin)


@pytest.mark.parametrize(
    "body",
    [
        # not a direction flag: any switch may be on, only a direction flag says so of the RNN
        "p.add_argument('--attention', action='store_true')\nargs = p.parse_args()\n"
        "Model(8, bidir=args.attention)\n",
        # turning `--no-bidir` on makes the RNN unidirectional
        "p.add_argument('--no-bidir', action='store_true')\nargs = p.parse_args()\n"
        "Model(8, bidir=not args.no_bidir)\n",
        # the function's own parameter, not the module-level name, reaches the model
        "p.add_argument('--bidir', action='store_true')\nargs = p.parse_args()\n"
        "bidir = args.bidir\ndef main(bidir):\n    return Model(8, bidir=bidir)\n",
        # a comparison with a false value, or the values the wrong way round
        "p.add_argument('--bidir', type=int, default=0)\nargs = p.parse_args()\n"
        "Model(8, bidir=(True if args.bidir == 0 else False))\n",
        "p.add_argument('--bidir', action='store_true')\nargs = p.parse_args()\n"
        "Model(8, bidir=(False if args.bidir else True))\n",
    ],
)
def test_what_no_command_line_turns_on_stays_open(body):
    found = parameter(PARSER + body)
    assert found is None or found[0] is False, found


def test_a_switch_counts_only_in_the_program_that_declares_it():
    """``tool.py`` declares ``--bidir`` but neither imports nor is imported by ``train.py``,
    which builds the model from its own ``args.bidir``: there the flag keeps its default."""
    tool = "import argparse\np = argparse.ArgumentParser()\n"
    tool += "p.add_argument('--bidir', action='store_true')\n"
    train = "from model import Model\nargs = load()\nModel(8, bidir=args.bidir)\n"
    assert parameter(train, {"tool.py": tool}) == (False, "tool.py:3")
    assert parameter(train + "import tool\n", {"tool.py": tool}) == (
        True,
        "tool.py:3, when run with `--bidir`",
    )


@pytest.mark.parametrize(
    "declaration, expected",
    [
        ("p.add_argument('--bidirectional', type=int, default=1)", (True, "train.py:4")),
        ("p.add_argument('--bidir', type=int, choices=[0, 1], default=1)", (True, "train.py:4")),
        ("p.add_argument('--layers', type=int, default=1)", None),  # not a direction flag
        ("p.add_argument('--no-bidir', type=int, default=1)", None),  # on means unidirectional
        ("p.add_argument('--bidir', type=float, default=1)", None),
    ],
)
def test_a_direction_switch_spelled_0_or_1_is_on_by_default_when_1(declaration, expected):
    key = declaration.split("'--", 1)[1].split("'", 1)[0].replace("-", "_")
    train = f"{PARSER}{declaration}\nargs = p.parse_args()\nModel(8, bidir=args.{key})\n"
    assert parameter(train) == expected
