"""BRN004 at each sequence's last real step (``lengths - 1``): the forms real code writes, and
their right twins (the forward half there, step 0 beside it, a unidirectional RNN)."""

from __future__ import annotations

import libcst as cst
import pytest

from lint_rules.checker import check_source
from lint_rules.last_real_steps import names_a_length

HEADER = """
import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.hidden = hidden
        self.rnn = nn.LSTM(dim, hidden, batch_first=True, bidirectional=True)

    def forward(self, x, lengths, mask):
        out, _ = self.rnn(x)
"""


def brn004_lines(body: str, header: str = HEADER) -> list[int]:
    source = header + "".join(f"        {line}\n" for line in body.strip().splitlines())
    return [f.line for f in check_source(source, select=frozenset({"BRN004"}))]


@pytest.mark.parametrize(
    "body",
    [
        "return out[torch.arange(out.size(0)), lengths - 1]",
        "return out[torch.arange(out.size(0)), lengths - 1, :]",
        "return out[range(len(lengths)), mask.sum(1) - 1]",
        "return out.gather(1, (lengths - 1).view(-1, 1, 1).expand(-1, 1, out.size(2)))",
        "i = (lengths - 1).unsqueeze(1).expand(-1, out.shape[2]).unsqueeze(1)\n"
        "i = i.cuda() if x.is_cuda else i\nreturn torch.gather(out, 1, i).squeeze(1)",
        "_, undo = torch.sort(lengths)\nout = out[undo]\n"
        "return out.gather(1, (lengths - 1).view(-1, 1, 1).repeat(1, 1, out.size(-1)))",
        "rows = []\nfor i, o in enumerate(out):\n    rows.append(o[lengths[i] - 1])\n"
        "return torch.stack(rows)",
        "rows = []\nfor o in out:\n    rows.append(o[len(o) - 1])\nreturn torch.stack(rows)",
        "return torch.stack([o[-1] for o in out])",
        # the last index of the time axis written out
        "return out[:, out.size(1) - 1, :]",
        "return out[:, x.shape[1] - 1]",
    ],
)
def test_each_last_real_step_read_fires(body):
    assert brn004_lines(body)


@pytest.mark.parametrize(
    "body",
    [
        # the forward half at the last real step, the backward half at step 0
        "H = self.hidden\nf = out[torch.arange(out.size(0)), lengths - 1, :H]\n"
        "return torch.cat((f, out[:, 0, H:]), dim=1)",
        "return out[torch.arange(out.size(0)), lengths - 1, :self.hidden]",
        "return out.gather(1, (lengths - 1).view(-1, 1, 1).expand(-1, 1, self.hidden))",
        "f = out[torch.arange(out.size(0)), lengths - 1]\nreturn f, out[:, 0]",
        # not a length: a position in a loop, a step before the end
        "for t in range(x.size(1)):\n    y = out[torch.arange(out.size(0)), t - 1]\nreturn y",
        "return out[torch.arange(out.size(0)), lengths - 2]",
        # a batch selection is not one sequence
        "return out[lengths - 1]",
        # every step but the last, and the step before the last
        "return out[:, : out.size(1) - 1].mean(1)",
        "return out[:, out.size(1) - 2]",
    ],
)
def test_the_right_twins_stay_quiet(body):
    assert brn004_lines(body) == []


def test_a_unidirectional_rnn_read_at_its_last_real_step_is_quiet():
    one_way = HEADER.replace("bidirectional=True", "bidirectional=False")
    assert brn004_lines("return out[torch.arange(out.size(0)), lengths - 1]", one_way) == []


def test_the_message_names_the_read_and_the_forward_half():
    source = HEADER + "        return out[torch.arange(out.size(0)), lengths - 1]\n"
    [finding] = check_source(source, select=frozenset({"BRN004"}))
    assert "last real step" in finding.message and "[..., :H]" in finding.message
    assert "out[torch.arange(out.size(0)), lengths - 1]" in finding.message


@pytest.mark.parametrize(
    "expression, expected",
    [
        ("lengths", True),
        ("seq_len", True),
        ("x_lens", True),
        ("len(tokens)", True),
        ("real_length[i]", True),
        ("wrap(sorted_lengths)", True),
        ("attention_mask.sum(dim=1)", True),
        ("self.seqlen", True),
        ("t", False),
        ("steps", False),
        ("silence", False),
        ("mask", False),
        ("positions[lengths]", False),
    ],
)
def test_what_names_a_length(expression, expected):
    assert names_a_length(cst.parse_expression(expression)) is expected


LAYER_HEADER = """
import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self, dim, hidden, classes):
        super().__init__()
        self.rnn = nn.GRU(dim, hidden, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(2 * hidden, classes)
        self.norm = nn.LayerNorm(2 * hidden)
        self.drop = nn.Dropout(0.1)

    def forward(self, x):
        out, _ = self.rnn(x)
"""


@pytest.mark.parametrize(
    "body",
    [
        "logits = self.fc(out)\nreturn logits[:, -1, :]",
        "return self.fc(self.drop(out))[:, -1]",
        "logits = torch.log_softmax(self.fc(out), dim=-1)\nreturn logits[:, -1:]",
        "return self.fc(self.norm(out)).softmax(-1)[:, -1].argmax(-1)",
        "return self.fc(out).transpose(0, 1)[-1]",
        "return out[:, -1:, :].squeeze(1)",
    ],
)
def test_the_last_step_after_a_layer_at_every_step_fires(body):
    assert brn004_lines(body, LAYER_HEADER)


@pytest.mark.parametrize(
    "body",
    [
        # per-step values kept per step (tagging, CTC)
        "return self.fc(out)",
        "return self.fc(out).log_softmax(-1).transpose(0, 1)",
        # one sequence, or the first step: not a last-step summary
        "return self.fc(out)[0]",
        "logits = self.fc(out)\nreturn logits[:, 0] + logits[:, -1]",
        # the summary taken before the layer, the right way
        "H = out.size(2) // 2\nreturn self.fc(torch.cat((out[:, -1, :H], out[:, 0, H:]), dim=1))",
        "return out[:, -1:, :8]",
    ],
)
def test_per_step_values_used_per_step_stay_quiet(body):
    assert brn004_lines(body, LAYER_HEADER) == []


def test_a_unidirectional_rnn_s_last_logits_are_quiet():
    one_way = LAYER_HEADER.replace("bidirectional=True", "bidirectional=False")
    assert brn004_lines("return self.fc(out)[:, -1]", one_way) == []


def test_the_message_says_to_summarise_before_the_layer():
    source = LAYER_HEADER + "        return self.fc(out)[:, -1]\n"
    [finding] = check_source(source, select=frozenset({"BRN004"}))
    assert "before the layer" in finding.message and "step 0" in finding.message
