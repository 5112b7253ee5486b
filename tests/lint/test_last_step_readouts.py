"""BRN004 through a readout module: a class whose forward takes its input's last step, given a
bidirectional RNN's output (in the same module or another)."""

from __future__ import annotations

import ast

import pytest

from lint_rules.checker import check_source
from lint_rules.project_index import summarise
from lint_rules.project_index_resolution import build_index
from lint_rules.readouts import last_step_read


def read(forward_body: str):
    source = f"class R:\n    def forward(self, h):\n        {forward_body}\n"
    return last_step_read(ast.parse(source).body[0])


@pytest.mark.parametrize(
    "body, expected",
    [
        ("return h[:, -1, :]", (1, "h[:, -1, :]")),
        ("return self.drop(h[:, -1])", (1, "h[:, -1]")),
        ("return h[-1]", (0, "h[-1]")),
        ("return h[:, -1, :8]", None),
        ("return h[:, -1] + h[:, 0]", None),
        ("h = h.flip(1)\n        return h[:, -1]", None),
        ("return h.mean(1)", None),
    ],
)
def test_which_forwards_take_the_last_step(body, expected):
    found = read(body)
    assert (found and (found[0], found[2])) == expected


SAME_MODULE = """
import torch.nn as nn


class LastStep(nn.Module):
    def forward(self, h):
        return h[:, -1, :]


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.GRU(4, 8, batch_first=True, bidirectional=True)
        self.readout = LastStep()

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.readout(out)
"""


def findings(modules: dict[str, str], path: str) -> list[tuple[str, int]]:
    index = build_index(summarise(name, text) for name, text in modules.items())
    facts = index.facts_for(path, modules[path])
    return [(f.code, f.line) for f in check_source(modules[path], facts=facts)]


def test_a_readout_class_of_the_same_module_is_followed():
    assert findings({"model.py": SAME_MODULE}, "model.py") == [("BRN004", 18)]


def test_a_readout_on_the_other_axis_is_quiet():
    time_first = SAME_MODULE.replace("h[:, -1, :]", "h[-1]")
    assert findings({"model.py": time_first}, "model.py") == []


def test_a_unidirectional_rnn_handed_to_the_readout_is_quiet():
    one_way = SAME_MODULE.replace("bidirectional=True", "bidirectional=False")
    assert findings({"model.py": one_way}, "model.py") == []


def test_a_package_installed_under_another_name_is_resolved():
    layers = "import torch.nn as nn\n\nclass LastStep(nn.Module):\n    def forward(self, h):\n        return h[:, -1]\n"
    model = SAME_MODULE.replace(
        "class LastStep(nn.Module):\n    def forward(self, h):\n        return h[:, -1, :]\n",
        "",
    ).replace(
        "import torch.nn as nn\n",
        "import torch.nn as nn\nfrom wind.models.layers import LastStep\n",
    )
    modules = {"src/models/layers.py": layers, "src/models/model.py": model}
    assert findings(modules, "src/models/model.py") == [("BRN004", 16)]
