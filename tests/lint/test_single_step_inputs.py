"""BRN004 stays quiet when every call of the model in the project feeds one-step sequences:
the calls pass 1 records and the classes pass 2 finds always called that way."""

from __future__ import annotations

import ast
import textwrap

import pytest

from lint_rules.checker import check_source
from lint_rules.model_calls import model_calls
from lint_rules.project_index import summarise
from lint_rules.project_index_resolution import build_index


def axes_of_calls(source: str) -> list[tuple[str, tuple[int, ...]]]:
    tree = ast.parse(textwrap.dedent(source))
    return [(call.cls, call.single_axes) for call in model_calls(tree.body)]


@pytest.mark.parametrize(
    "argument, axes",
    [
        ("x.view(-1, 1, x.shape[1])", (1,)),
        ("x.reshape((n, 1, f))", (1,)),
        ("row.unsqueeze(0).unsqueeze(0)", (0, 1)),
        ("x.unsqueeze(1).float()", (1,)),
        ("x.unsqueeze(-2)", (1,)),
        ("x.view(-1, window, f)", ()),
        ("x", ()),
    ],
)
def test_the_axes_of_length_one_in_a_model_input(argument, axes):
    source = f"model = Net(3)\nout = model({argument})\n"
    assert axes_of_calls(source) == [("Net", axes)]


def test_a_name_is_read_through_its_assignment_and_a_loaded_model_has_no_class():
    source = """
    batch = torch.Tensor(row).unsqueeze(0).unsqueeze(0)
    model = pickle.load(handle)
    model.eval()
    out = model(batch)
    """
    assert axes_of_calls(source) == [("", (0, 1))]


def test_a_model_handed_elsewhere_counts_as_a_call_nothing_is_known_of():
    source = """
    model = Net(3).to(device)
    train(model, loader)
    out = model(x.view(-1, 1, 4))
    """
    assert sorted(axes_of_calls(source)) == [("Net", ()), ("Net", (1,))]


MODEL = """
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.GRU(4, 8, batch_first=True, bidirectional=True)

    def forward(self, x):
        out, _ = self.rnn(x)
        return out[:, -1, :]
"""


def findings(modules: dict[str, str]) -> list[tuple[str, int]]:
    index = build_index(summarise(path, text) for path, text in modules.items())
    facts = index.facts_for("model.py", modules["model.py"])
    return [(f.code, f.line) for f in check_source(modules["model.py"], facts=facts)]


def test_quiet_when_every_call_feeds_one_step():
    caller = "from model import Net\nnet = Net()\ny = net(x.view(-1, 1, 4))\n"
    assert findings({"model.py": MODEL, "run.py": caller}) == []


def test_fires_when_one_call_feeds_whole_sequences():
    caller = "from model import Net\nnet = Net()\ny = net(x.view(-1, 1, 4))\nz = net(seqs)\n"
    assert findings({"model.py": MODEL, "run.py": caller}) == [("BRN004", 12)]


def test_fires_when_the_one_step_is_on_the_batch_axis():
    caller = "from model import Net\nnet = Net()\ny = net(x.view(1, -1, 4))\n"
    assert findings({"model.py": MODEL, "run.py": caller}) == [("BRN004", 12)]


def test_fires_when_no_call_is_found():
    assert findings({"model.py": MODEL}) == [("BRN004", 12)]


def test_fires_when_forward_reshapes_its_input_before_the_rnn():
    reshaping = MODEL.replace("self.rnn(x)", "self.rnn(x.view(x.size(0), -1, 4))")
    caller = "from model import Net\nnet = Net()\ny = net(x.view(-1, 1, 4))\n"
    assert findings({"model.py": reshaping, "run.py": caller}) == [("BRN004", 12)]


def test_a_call_in_a_nested_function_counts_as_a_call_nothing_is_known_of():
    caller = (
        "from model import Net\nnet = Net()\ny = net(x.view(-1, 1, 4))\n\n"
        "def evaluate(batch):\n    return net(batch)\n"
    )
    assert findings({"model.py": MODEL, "run.py": caller}) == [("BRN004", 12)]


FRONTEND = """

class Frontend(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(1, 4, 5)

    def forward(self, x):
        x = self.conv(x).mean(-1)
        return x.view(-1, 1, 4)


class Pipeline(nn.Module):
    def __init__(self):
        super().__init__()
        self.frontend = Frontend()
        self.head = Net()

    def forward(self, x):
        features = self.frontend(x)
        return self.head(features)
"""


def test_quiet_when_the_model_is_a_layer_fed_by_a_frontend_returning_one_step():
    assert findings({"model.py": MODEL + FRONTEND}) == []


def test_fires_when_the_frontend_returns_whole_sequences():
    sequences = FRONTEND.replace("x.view(-1, 1, 4)", "x.view(x.size(0), -1, 4)")
    assert findings({"model.py": MODEL + sequences}) == [("BRN004", 12)]


def test_a_layer_call_with_unknown_input_keeps_a_one_step_caller_from_quieting_it():
    direct = FRONTEND.replace("features = self.frontend(x)", "features = self.frontend(x) + x")
    caller = "from model import Net\nnet = Net()\ny = net(x.view(-1, 1, 4))\n"
    assert findings({"model.py": MODEL + direct, "run.py": caller}) == [("BRN004", 12)]
