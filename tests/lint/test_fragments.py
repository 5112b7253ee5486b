"""A fragment of PyTorch code (no import of ``nn``, a class deriving from ``nn.Module``) is read
as PyTorch; anything that may bind ``nn`` otherwise keeps the module unread."""

from __future__ import annotations

import pytest

from lint_rules.checker import check_source

FRAGMENT = """
class Summariser(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(input_size=8, hidden_size=16, bidirectional=True)

    def forward(self, x):
        outputs, _ = self.lstm(x.transpose(0, 1))
        return outputs[-1]
"""


def codes(source: str) -> list[tuple[str, int]]:
    return [(finding.code, finding.line) for finding in check_source(source)]


def test_a_fragment_without_imports_is_read_as_pytorch():
    assert codes(FRAGMENT) == [("BRN004", 9)]


def test_the_fragment_taking_each_half_where_it_belongs_is_quiet():
    right = FRAGMENT.replace(
        "return outputs[-1]", "return torch.cat((outputs[-1, :, :16], outputs[0, :, 16:]), -1)"
    )
    assert codes(right) == []


@pytest.mark.parametrize(
    "binding",
    [
        "from mindspore import nn\n",
        "from framework import *\n",
        "nn = load_backend()\n",
        "try:\n    import paddle.nn as nn\nexcept ImportError:\n    pass\n",
    ],
)
def test_anything_that_may_bind_nn_keeps_it_unknown(binding):
    assert codes(binding + FRAGMENT) == []


def test_a_module_without_an_nn_module_class_is_not_a_fragment():
    assert codes(FRAGMENT.replace("(nn.Module)", "(Base)")) == []
