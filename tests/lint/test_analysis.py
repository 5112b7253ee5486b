"""The shared analysis: every way of building, binding and flagging an RNN that it must see."""

from __future__ import annotations

import libcst
import pytest

from lint_rules.analysis import analyse
from lint_rules.checker import check_source, might_have_findings
from lint_rules.model import ParseFailure
from lint_rules.positions import LineIndex, node_spans


def codes(source: str, **options) -> list[str]:
    return [finding.code for finding in check_source(source, **options)]


def rnns(source: str, extra=()):
    return analyse(libcst.parse_module(source), extra).rnns


HEAD_ON_LAST_ROW = '''
    def forward(self, x):
        _, h_n = self.rnn(x)
        return h_n[-1]
'''


@pytest.mark.parametrize(
    ("imports", "constructor"),
    [
        ("import torch.nn as nn", "nn.GRU"),
        ("from torch import nn", "nn.GRU"),
        ("from torch.nn import GRU as G", "G"),
        ("import torch", "torch.nn.GRU"),
        ("import torch.nn", "torch.nn.GRU"),
        ("from torch.nn.modules.rnn import GRU", "GRU"),
    ],
)
def test_every_import_form_of_torch_nn(imports: str, constructor: str) -> None:
    source = f'''
{imports}


class Encoder:
    def __init__(self):
        self.rnn = {constructor}(8, 16, bidirectional=True)
''' + HEAD_ON_LAST_ROW
    assert codes(source) == ["BRN003"]


def test_a_name_not_imported_from_torch_is_not_an_rnn() -> None:
    source = '''
from mylib import GRU


class Encoder:
    def __init__(self):
        self.rnn = GRU(8, 16, bidirectional=True)
''' + HEAD_ON_LAST_ROW
    assert codes(source) == []
    assert codes(source, extra_constructors=["mylib.GRU"]) == ["BRN003"]
    assert codes(source, extra_constructors=["GRU"]) == ["BRN003"]
    assert codes(source, extra_constructors=["otherlib.GRU"]) == []


@pytest.mark.parametrize(
    ("setup", "flag"),
    [
        ("", "True"),
        ("", "BIDIRECTIONAL"),
        ("", "self.BI"),
        ("", "bidirectional"),
        ("self.bidirectional = bidirectional", "self.bidirectional"),
        ("self.bi = 2 if bidirectional else 1", "self.bi == 2"),
        ("flag = True", "flag"),
    ],
)
def test_bidirectional_flag_forms(setup: str, flag: str) -> None:
    source = f'''
import torch.nn as nn

BIDIRECTIONAL = True


class Encoder(nn.Module):
    BI = True

    def __init__(self, bidirectional=True):
        super().__init__()
        {setup or "pass"}
        self.rnn = nn.GRU(8, 16, bidirectional={flag})
''' + HEAD_ON_LAST_ROW
    assert codes(source) == ["BRN003"]


@pytest.mark.parametrize("flag", ["False", "bidirectional", "config.bidirectional", "flag"])
def test_unknown_or_false_direction_is_quiet(flag: str) -> None:
    source = f'''
import torch.nn as nn


class Encoder(nn.Module):
    def __init__(self, config, bidirectional=False):
        super().__init__()
        flag = config.get("bidirectional")
        self.rnn = nn.GRU(8, 16, bidirectional={flag})
''' + HEAD_ON_LAST_ROW
    assert codes(source) == []


def test_num_directions_from_the_flag() -> None:
    source = '''
import torch
import torch.nn as nn


class Encoder(nn.Module):
    def __init__(self, layers, bidirectional=True):
        super().__init__()
        self.layers = layers
        num_directions = 2 if bidirectional else 1
        self.num_directions = num_directions
        self.rnn = nn.LSTM(8, 16, layers, bidirectional=self.num_directions == 2)

    def forward(self, x):
        h0 = torch.zeros(self.layers, x.size(1), 16)
        return self.rnn(x, (h0, h0))
'''
    [finding] = check_source(source)
    assert finding.code == "BRN001"
    assert "self.layers * self.num_directions" in finding.message


def test_guards_keep_the_unidirectional_branch_quiet_and_the_bidirectional_one_loud() -> None:
    template = '''
import torch
import torch.nn as nn


class Encoder(nn.Module):
    def __init__(self, bidirectional):
        super().__init__()
        self.bidirectional = bidirectional
        self.rnn = nn.GRU(8, 16, bidirectional=bidirectional)

    def forward(self, x):
        _, h_n = self.rnn(x)
        {body}
'''
    assert codes(template.format(body="if self.bidirectional:\n            return h_n[-1]")) == ["BRN003"]
    assert codes(template.format(body="if not self.bidirectional:\n            return h_n[-1]")) == []
    assert codes(template.format(
        body="if self.bidirectional:\n            pass\n        else:\n            return h_n[-1]"
    )) == []
    assert codes(template.format(body="return h_n[-1] if not self.bidirectional else h_n")) == []
    assert codes(template.format(body="return h_n[-1]")) == []  # direction unknown: quiet
    assert codes(template.format(
        body="if not self.bidirectional:\n            return h_n[0]\n        return h_n[-1]"
    )) == ["BRN003"]


def test_bindings_module_level_local_modulelist_sequential_entry() -> None:
    module_level = '''
import torch.nn as nn
rnn = nn.LSTM(8, 16, bidirectional=True)
out, (h, c) = rnn(x)
summary = h[-1]
'''
    local = '''
import torch.nn as nn
def encode(x):
    rnn = nn.LSTM(8, 16, bidirectional=True)
    out = rnn(x)[0]
    return out[-1]
'''
    module_list = '''
import torch.nn as nn
class Stack(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList([nn.GRU(16, 16, bidirectional=True) for _ in range(3)])
    def forward(self, x):
        for layer in self.layers:
            x, h = layer(x)
        return h[-1]
'''
    indexed = '''
import torch.nn as nn
class Stack(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList([nn.GRU(16, 16, bidirectional=True), nn.Linear(32, 2)])
    def forward(self, x):
        out, h = self.layers[0](x)
        return out[-1]
'''
    assert codes(module_level) == ["BRN003"]
    assert codes(local) == ["BRN004"]
    assert codes(module_list) == ["BRN003"]
    assert codes(indexed) == ["BRN004"]


def test_factory_wrapping_nn_lstm_and_nn_linear() -> None:
    source = '''
import torch.nn as nn


def LSTM(input_size, hidden_size, **kwargs):
    m = nn.LSTM(input_size, hidden_size, **kwargs)
    for name, param in m.named_parameters():
        param.data.uniform_(-0.1, 0.1)
    return m


def Linear(in_features, out_features, bias=True):
    m = nn.Linear(in_features, out_features, bias=bias)
    m.weight.data.uniform_(-0.1, 0.1)
    return m


class Encoder(nn.Module):
    def __init__(self, embed_dim, hidden_size, num_classes):
        super().__init__()
        self.lstm = LSTM(embed_dim, hidden_size, bidirectional=True, batch_first=True)
        self.head = Linear(hidden_size, num_classes)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.head(out.mean(1))
'''
    [finding] = check_source(source)
    assert finding.code == "BRN002"
    assert source.splitlines()[finding.line - 1].strip() == "self.head = Linear(hidden_size, num_classes)"


def test_results_followed_through_tuples_indexing_and_helpers() -> None:
    source = '''
import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self, hidden, layers):
        super().__init__()
        self.hidden = hidden
        self.layers = layers
        self.rnn = nn.LSTM(8, hidden, layers, bidirectional=True, batch_first=True)

    def reset(self, batch):
        self.state = (torch.zeros(self.layers, batch, self.hidden),
                      torch.zeros(self.layers * 2, batch, self.hidden))

    def encode(self, x):
        result = self.rnn(x, self.state)
        return result[1]

    def forward(self, x):
        h_n, c_n = self.encode(x)
        return h_n[-1]
'''
    assert codes(source) == ["BRN001", "BRN003"]


def test_getattr_on_nn_and_conditional_class() -> None:
    source = '''
import torch.nn as nn


class Encoder(nn.Module):
    def __init__(self, cell="LSTM"):
        super().__init__()
        self.rnn = getattr(nn, cell.upper())(8, 16, batch_first=True, bidirectional=True)

    def forward(self, x):
        out, _ = self.rnn(x)
        return out[:, -1, :]
'''
    assert codes(source) == ["BRN004"]


def test_analysis_records_sizes_as_expressions() -> None:
    [rnn] = rnns("import torch.nn as nn\nr = nn.LSTM(8, h // 2, 3, batch_first=True, bidirectional=True, proj_size=4)\n")
    assert rnn.kind == "LSTM" and rnn.bidirectional is True and rnn.batch_first is True
    assert rnn.num_layers.int_value == 3
    assert rnn.hidden_size.key == ("bin", "//", ("name", "h"), ("int", 2))
    assert rnn.output_size.int_value == 4


def test_text_test_skips_files_without_rnns() -> None:
    assert not might_have_findings("import torch\nx = torch.zeros(3)\n")
    assert might_have_findings("self.rnn = nn.LSTM(1, 2)")
    assert might_have_findings("x = build(bidirectional=True)")
    assert not might_have_findings("x = make_bilstm(1, 2)")
    assert might_have_findings("x = make_bilstm(1, 2)", ["mylib.layers.make_bilstm"])


def test_invalid_python_raises_parse_failure_with_python_positions() -> None:
    with pytest.raises(ParseFailure) as caught:
        check_source("import torch\ndef f(:\n    pass\n")
    assert caught.value.line == 2
    assert caught.value.column >= 1
    assert "SyntaxError" in caught.value.message


def test_positions_are_one_based_characters() -> None:
    source = "x = 'é'\ny = (a +\n     b)\n"
    module = libcst.parse_module(source)
    expression = module.body[1].body[0].value
    spans = node_spans(module, [expression])
    start, end = spans[id(expression)]
    assert source[start:end] == "(a +\n     b)"
    assert LineIndex(source).line_column(start) == (2, 5)


def test_libcst_is_not_imported_by_the_text_test() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from lint_rules.checker import might_have_findings;"
        "might_have_findings('x'); print('libcst' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_rnn_chosen_by_branch_is_one_rnn_of_unknown_kind() -> None:
    source = '''
import torch.nn as nn


class Encoder(nn.Module):
    def __init__(self, cell, n_in, hidden):
        super().__init__()
        if cell == "lstm":
            self.rnn = nn.LSTM(n_in, hidden, batch_first=True, bidirectional=True)
        else:
            self.rnn = nn.GRU(n_in, hidden, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(hidden, 2)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.fc(out[:, -1])
'''
    assert codes(source) == ["BRN002", "BRN004"]
    assert codes(source.replace("bidirectional=True)\n        self.fc", "bidirectional=False)\n        self.fc")) == []


def test_generated_code_with_very_long_sums_is_analysed() -> None:
    source = (
        "import torch.nn as nn\nr = nn.GRU(1, 2, bidirectional=True)\nout, h = r(x)\ny = h[-1]\n"
        "x = " + " + ".join(["a"] * 1500) + "\n"
    )
    assert codes(source) == ["BRN003"]
