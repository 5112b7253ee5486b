"""BRN003 across modules: a layer-count slice of the h_n a bidirectional encoder's forward returns,
with the encoder instance followed from where the project builds it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lint_rules.checker import check_source
from lint_rules.cli import main
from lint_rules.project_index import summarise
from lint_rules.project_index_resolution import build_index

PROJECT = Path(__file__).resolve().parents[2] / "fixtures/lint/projects/encoder_state_slice"

ENCODER = """
import torch.nn as nn


class Encoder(nn.Module):
    def __init__(self, hidden_size, n_layers=1, bidirectional=True):
        super().__init__()
        self.gru = nn.GRU(hidden_size, hidden_size, n_layers, bidirectional=bidirectional)

    def forward(self, x, hidden=None):
        outputs, hidden = self.gru(x, hidden)
        return outputs, hidden
"""


def messages(modules: dict[str, str], path: str) -> list[str]:
    index = build_index(summarise(name, text) for name, text in modules.items())
    facts = index.facts_for(path, modules[path])
    found = check_source(modules[path], facts=facts, select={"BRN003"})
    return [finding.message for finding in found]


def train(slicing: str, build: str = "Encoder(256, 2)") -> dict[str, str]:
    script = f"""
from encoder import Encoder


def step(x, encoder, decoder):
    outputs, hidden = encoder(x)
    {slicing}
    return decoder(outputs, init)


def main(x, decoder):
    encoder = {build}
    step(x, encoder, decoder)
"""
    return {"encoder.py": ENCODER, "train.py": script}


@pytest.mark.parametrize(
    ("slicing", "which"),
    [
        ("init = hidden[:decoder.n_layers]", "the first"),
        ("init = hidden[0:self_layers.num_layers]", "the first"),
        ("init = hidden[-decoder.n_layers:]", "the last"),
    ],
)
def test_a_layer_count_slice_fires_and_names_the_encoder(slicing, which):
    (message,) = messages(train(slicing), "train.py")
    assert f"takes {which} rows of bidirectional `Encoder.gru`'s h_n" in message
    assert "(bidirectional=True from encoder.py:5)" in message


@pytest.mark.parametrize(
    "slicing",
    [
        "init = hidden[:2 * decoder.n_layers]",  # every row of a decoder-deep encoder
        "init = hidden[-2:]",  # the last layer's two directions
        "init = hidden.view(2, 2, -1, 256)[:, 0]",
        "init = hidden[:, :decoder.hidden_size]",  # no bound on the rows
        "hidden = hidden.view(2, 2, -1, 256).sum(1)\n    init = hidden[:decoder.n_layers]",
    ],
)
def test_direction_aware_or_reshaped_reads_stay_quiet(slicing):
    assert messages(train(slicing), "train.py") == []


def test_a_unidirectional_encoder_stays_quiet():
    modules = train("init = hidden[:decoder.n_layers]", "Encoder(256, 2, bidirectional=False)")
    assert messages(modules, "train.py") == []


def test_a_call_site_passing_something_else_makes_the_parameter_unknown():
    modules = train("init = hidden[:decoder.n_layers]")
    modules["eval.py"] = (
        "from train import step\n\n\ndef run(x, model, d):\n    step(x, model, d)\n"
    )
    assert messages(modules, "train.py") == []


def test_one_layer_encoder_reports_only_the_forward_row():
    """Rows [forward, backward]: ``[:1]`` is one direction, ``[:n_layers]`` may be both."""
    assert messages(train("init = hidden[:decoder.n_layers]", "Encoder(256)"), "train.py") == []
    (message,) = messages(train("init = hidden[:1]", "Encoder(256)"), "train.py")
    assert "of one-layer bidirectional `Encoder.gru` is only its forward direction" in message


def test_an_attribute_set_from_a_constructor_parameter_is_followed():
    model = (
        ENCODER
        + """

class Seq2Seq(nn.Module):
    def __init__(self, encoder, decoder):
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder

    def forward(self, src):
        encoder_output, hidden = self.encoder(src)
        hidden = hidden[:self.decoder.n_layers]
        return self.decoder(encoder_output, hidden)
"""
    )
    script = (
        "from model import Encoder, Seq2Seq\n\n"
        "encoder = Encoder(256, n_layers=2)\n"
        "model = Seq2Seq(encoder, decoder).cuda()\n"
    )
    (message,) = messages({"model.py": model, "train.py": script}, "model.py")
    assert "`hidden[:self.decoder.n_layers]`" in message


def test_instances_returned_by_a_project_function_are_followed():
    modules = train("init = hidden[:decoder.n_layers]")
    modules["train.py"] += (
        "\n\ndef build():\n    encoder = Encoder(256, 2)\n    return encoder, None\n\n\n"
        "enc, dec = build()\nstep(None, enc, dec)\n"
    )
    assert len(messages(modules, "train.py")) == 1
    modules["train.py"] = modules["train.py"].replace("return encoder, None", "return 1, None")
    assert messages(modules, "train.py") == []


def test_a_change_to_the_encoder_reanalyses_the_script_that_slices_its_state(
    tmp_path, monkeypatch, capsys, analysed
):
    shutil.copytree(PROJECT / "wrong", tmp_path / "src")
    monkeypatch.chdir(tmp_path / "src")

    def run() -> list[str]:
        main(["--isolated", "--quiet", "--jobs", "1", "."])
        return capsys.readouterr().out.splitlines()

    assert [line.split(":")[0] for line in run()] == ["train.py"]
    analysed.clear()
    encoder = tmp_path / "src" / "encoder.py"
    encoder.write_text(encoder.read_text().replace("bidirectional=True", "bidirectional=False"))
    assert run() == []
    assert sorted(analysed) == ["encoder.py", "train.py"]


def test_a_parameter_rebound_in_its_function_is_not_the_callers_instance():
    modules = train(
        "encoder = Wrapper(encoder)\n    outputs, hidden = encoder(x)\n    init = hidden[:decoder.n_layers]"
    )
    assert messages(modules, "train.py") == []


def test_a_redefined_function_does_not_join_its_slices_to_the_other_definitions_call():
    """Notebooks redefine functions cell by cell: the second ``step``'s ``hidden`` is its own."""
    modules = train("init = hidden[:decoder.n_layers]")
    modules["train.py"] += (
        "\n\ndef step(x, encoder, decoder, hidden=None):\n    return hidden[:decoder.n_layers]\n"
    )
    (message,) = messages(modules, "train.py")
    assert message.startswith("`hidden[:decoder.n_layers]` takes the first rows")


def test_functions_that_pass_the_instance_to_each_other_in_a_cycle_stay_quiet():
    script = """
def ping(x, encoder, decoder):
    outputs, hidden = encoder(x)
    init = hidden[:decoder.n_layers]
    return pong(x, encoder, decoder)


def pong(x, encoder, decoder):
    return ping(x, encoder, decoder)
"""
    assert messages({"encoder.py": ENCODER, "train.py": script}, "train.py") == []


def test_an_attribute_rebound_by_unpacking_in_another_method_is_unknown():
    model = (
        ENCODER
        + """

class Seq2Seq(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = Encoder(256, 2)

    def load(self, path):
        self.encoder, self.decoder = restore(path)

    def forward(self, src, decoder):
        encoder_output, hidden = self.encoder(src)
        return hidden[:decoder.n_layers]
"""
    )
    assert messages({"model.py": model}, "model.py") == []
    without_load = model.replace("self.encoder, self.decoder = restore(path)", "pass")
    assert len(messages({"model.py": without_load}, "model.py")) == 1
