"""YAML configs the project loads: which loads count, and what their files say."""

from __future__ import annotations

import ast

import pytest

from lint_rules.project_index import summarise
from lint_rules.project_index_resolution import build_index
from lint_rules.yaml_configs import YamlRead, boolean_values, might_load_yaml, yaml_reads

MODEL = """
import torch.nn as nn
from utils import read_yaml

class Model(nn.Module):
    def __init__(self):
        super().__init__()
        config = read_yaml({path})
        self.rnn = nn.LSTM(8, 8, bidirectional=config.bidirectional)
"""
UTILS = "import yaml\n\ndef read_yaml(path):\n    with open(path) as f:\n        return yaml.safe_load(f)\n"
CONFIG = "hidden: 8\nbidirectional: true\n"


def facts(modules: dict[str, str], files: dict[str, str], path: str = "model.py"):
    index = build_index((summarise(name, text) for name, text in modules.items()), (), files.get)
    return index.facts_for(path, modules[path])


def test_booleans_at_any_depth_with_their_lines():
    text = "# defaults\nmodel:\n  bidirectional: yes\n  hidden: 8\nname: 'true'\nlayers:\n  - pack: off\n"
    assert boolean_values(text) == [("bidirectional", True, 3), ("pack", False, 7)]


@pytest.mark.parametrize(
    "text", ["a: [1, 2", "", "- just\n- a list\n", "key: !!python/object:x {}"]
)
def test_text_that_does_not_parse_or_holds_no_flag_says_nothing(text):
    assert boolean_values(text) == []


def reads(code: str) -> list[YamlRead]:
    tree = ast.parse(code)
    nodes = list(ast.walk(tree))
    calls = [node for node in nodes if isinstance(node, ast.Call)]
    return list(yaml_reads(calls, [node for node in nodes if isinstance(node, ast.Assign)]))


@pytest.mark.parametrize(
    "code, expected",
    [
        ('cfg = yaml.safe_load(open("config.yaml"))', [YamlRead("config.yaml", 1, False)]),
        (
            'cfg = read_yaml("configs/model.yml")',
            [YamlRead("configs/model.yml", 1, False, "read_yaml")],
        ),
        (
            "here = os.path.dirname(os.path.realpath(__file__))\n"
            'path = os.path.join(here, "config.yml")\n'
            "cfg = read_yaml(path)",
            [YamlRead("config.yml", 3, True, "read_yaml")],
        ),
        (
            'cfg = OmegaConf.load(Path(__file__).parent / "model.yaml")',
            [YamlRead("model.yaml", 1, True)],
        ),
        (
            'cfg = load(os.path.join("configs", "model.yaml"))',
            [YamlRead("configs/model.yaml", 1, False, "load")],
        ),
    ],
)
def test_a_yaml_path_handed_to_a_load(code, expected):
    assert reads(code) == expected


@pytest.mark.parametrize(
    "code",
    [
        'yaml.dump(cfg, open("config.yaml", "w"))',  # written, not read
        "cfg = yaml.safe_load(open(args.config))",  # a path known at run time only
        'cfg = yaml.safe_load(open(os.path.join(args.root, "config.yaml")))',
        'cfg = Config.from_file("config.yaml")',  # a class, not a load the index can follow
        'cfg = yaml.safe_load(open("/etc/model.yaml"))',  # outside the project
        'path = "a.yaml"\npath = "b.yaml"\ncfg = read_yaml(path)',  # bound twice
    ],
)
def test_what_is_not_a_yaml_load(code):
    assert reads(code) == []


def test_the_cheap_test_before_looking():
    assert might_load_yaml("import yaml") and might_load_yaml('p = "x.YML"')
    assert not might_load_yaml("import json\ncfg = json.load(open('config.json'))")


def test_a_loaded_yaml_flag_reaches_the_model_that_reads_it():
    modules = {"model.py": MODEL.format(path='"config.yml"'), "utils.py": UTILS}
    found = facts(modules, {"config.yml": CONFIG}).config_value("bidirectional")
    assert found == (True, "config.yml:2")


def test_a_yaml_file_beside_the_module_is_found_before_the_root():
    modules = {"nets/model.py": MODEL.format(path='"config.yml"'), "nets/utils.py": UTILS}
    modules["nets/model.py"] = modules["nets/model.py"].replace("from utils", "from nets.utils")
    files = {"nets/config.yml": CONFIG, "config.yml": "bidirectional: false\n"}
    assert facts(modules, files, "nets/model.py").config_value("bidirectional") == (
        True,
        "nets/config.yml:2",
    )


@pytest.mark.parametrize(
    "modules, files",
    [
        # a YAML file that nothing loads
        ({"model.py": MODEL.format(path="path"), "utils.py": UTILS}, {"config.yml": CONFIG}),
        # a function that does not parse YAML (it copies the file)
        (
            {
                "model.py": MODEL.format(path='"config.yml"'),
                "utils.py": "import shutil\n\ndef read_yaml(path):\n    shutil.copy(path, 'x')\n",
            },
            {"config.yml": CONFIG},
        ),
        # the file does not exist
        ({"model.py": MODEL.format(path='"config.yml"'), "utils.py": UTILS}, {}),
        # a key the model does not read
        (
            {
                "model.py": MODEL.format(path='"config.yml"').replace(
                    "config.bidirectional", "True or x"
                ),
                "utils.py": UTILS,
            },
            {"config.yml": CONFIG},
        ),
    ],
)
def test_no_load_no_flag(modules, files):
    assert facts(modules, files).config_value("bidirectional") is None


def test_a_yaml_flag_counts_only_in_the_loading_module_s_program():
    loader = "from utils import read_yaml\nsettings = read_yaml('config.yml')\n"
    reader = MODEL.format(path="None")  # reads config.bidirectional, loads nothing itself
    modules = {"other.py": loader, "model.py": reader, "utils.py": UTILS}
    assert facts(modules, {"config.yml": CONFIG}).config_value("bidirectional") is None
    modules["other.py"] = "import model\n" + loader  # now one program
    assert facts(modules, {"config.yml": CONFIG}).config_value("bidirectional") == (
        True,
        "config.yml:2",
    )


def test_a_yaml_flag_and_a_default_that_disagree_say_nothing():
    modules = {
        "model.py": MODEL.format(path='"config.yml"'),
        "utils.py": UTILS,
        "train.py": "import model\nbidirectional = False\n",
    }
    assert facts(modules, {"config.yml": CONFIG}).config_value("bidirectional") is None
