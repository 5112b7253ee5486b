"""A data file's path held by a configuration class or object (``data_pipeline``): a padding
script saves ``train.pkl``, the training script opens the path ``config.py`` names
(``opt.pickle_path``, ``DefaultConfig.pickle_path``, ``DefaultConfig().pickle_path``), and the
two join as if the path were a literal; a configured path naming another file joins nothing."""

from __future__ import annotations

import pytest

from lint_rules.project_index import summarise
from lint_rules.project_index_resolution import build_index

PREPARE = """
import pickle

def build(sentences, max_len):
    rows = []
    for ids in sentences:
        ids.extend([0] * (max_len - len(ids)))
        rows.append(ids)
    with open("data/train.pkl", "wb") as out:
        pickle.dump(rows, out)
"""

MODEL = """
import torch.nn as nn

class Tagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(8, 8, bidirectional=True)
"""

CONFIG = """
class DefaultConfig:
    pickle_path = "./data/{name}"
    batch_size = 32

opt = DefaultConfig()
"""


def padding_of(train: str, saved_name: str = "train.pkl"):
    modules = {
        "config.py": CONFIG.format(name=saved_name),
        "prepare.py": PREPARE,
        "model.py": MODEL,
        "train.py": "import pickle\nfrom model import Tagger\n" + train,
    }
    index = build_index(summarise(name, text) for name, text in modules.items())
    return index.facts_for("model.py", MODEL).padding


@pytest.mark.parametrize(
    "train",
    [
        "from config import opt\nrows = pickle.load(open(opt.pickle_path, 'rb'))\n",
        "import config\nrows = pickle.load(open(config.opt.pickle_path, 'rb'))\n",
        "from config import DefaultConfig\n"
        "rows = pickle.load(open(DefaultConfig.pickle_path, 'rb'))\n",
        "from config import DefaultConfig\n"
        "rows = pickle.load(open(DefaultConfig().pickle_path, 'rb'))\n",
        "from config import DefaultConfig\n"
        "opt = DefaultConfig()\n"
        "rows = pickle.load(open(opt.pickle_path, 'rb'))\n",
    ],
)
def test_a_configured_path_joins_the_file_a_padding_script_saved(train):
    found = padding_of(train)
    assert found is not None and "`train.pkl`, loaded at train.py:" in found[0]
    assert found[1] == "prepare.py:7"


@pytest.mark.parametrize(
    "train",
    [
        "from config import opt\nrows = pickle.load(open(opt.pickle_path, 'rb'))\n",
        "from config import DefaultConfig\n"
        "rows = pickle.load(open(DefaultConfig().pickle_path, 'rb'))\n",
    ],
)
def test_a_configured_path_naming_another_file_joins_nothing(train):
    assert padding_of(train, saved_name="vocab.pkl") is None


def test_an_attribute_the_configuration_does_not_hold_joins_nothing():
    train = "from config import opt\nrows = pickle.load(open(opt.test_path, 'rb'))\n"
    assert padding_of(train) is None
