"""``[tool.birnn-lint]``: found from the files upward, strict about keys and codes."""

from __future__ import annotations

import sys
import types

import pytest

import lint_rules
from lint_rules.cli import main
from lint_rules.config import ConfigError, find_pyproject, load_config
from lint_rules.model import Finding
from lint_rules.selection import RULE_NAMES

MODEL = "import torch\nrnn = MyLSTM(8, 16, bidirectional=True)\nh = h_n[-1]\n"


@pytest.fixture(autouse=True)
def stub_rules(monkeypatch):
    """BRN003 on ``h_n[-1]``, but only where an RNN constructor is known (extra constructors)."""

    def check_source(source, *, extra_constructors=(), select=None, facts=None):
        known = ("LSTM(", *(f"{name}(" for name in extra_constructors))
        if not any(
            name in source.replace("MyLSTM(", "") or (name != "LSTM(" and name in source)
            for name in known
        ):
            return []
        return [
            Finding("BRN003", number, line.find("h_n") + 1, "backward state only")
            for number, line in enumerate(source.split("\n"), start=1)
            if "h_n[-1]" in line
        ]

    module = types.SimpleNamespace(
        might_have_findings=lambda source, extra=(): True, check_source=check_source
    )
    monkeypatch.setitem(sys.modules, "lint_rules.checker", module)
    monkeypatch.setattr(lint_rules, "checker", module, raising=False)


@pytest.fixture
def repo(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.birnn-lint]\nextra-constructors = ["MyLSTM"]\n'
        'extend-exclude = ["legacy"]\n[tool.birnn-lint.per-file-ignores]\n"tests/*" = ["BRN003"]\n'
    )
    for name in ("src/pkg/model.py", "tests/test_model.py", "legacy/old.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(MODEL)
    return tmp_path


def test_configuration_is_found_from_the_files_upward(repo, capsys):
    assert find_pyproject(["src/pkg"]) == repo / "pyproject.toml"
    assert main(["src"]) == 1
    assert capsys.readouterr().out == "src/pkg/model.py:3:5: BRN003 backward state only\n"


def test_per_file_ignores_and_excludes_apply_to_a_walk(repo, capsys):
    assert main(["."]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "src/pkg/model.py:3:5: BRN003 backward state only"
    ]


def test_a_pyproject_without_the_table_is_passed_over(repo):
    (repo / "src" / "pyproject.toml").write_text('[project]\nname = "inner"\n')
    assert find_pyproject(["src/pkg/model.py"]) == repo / "pyproject.toml"


def test_isolated_ignores_the_configuration(repo):
    assert main(["--isolated", "src"]) == 0  # MyLSTM is unknown without the configuration


def test_explicit_config_file(repo, tmp_path):
    other = tmp_path / "lint.toml"
    other.write_text('ignore = ["BRN003"]\nextra-constructors = ["MyLSTM"]\n')
    assert main(["--config", str(other), "src"]) == 0


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('selec = ["BRN"]', "unknown key"),
        ('select = ["BRN042"]', "BRN042"),
        ("select = 3", "list of strings"),
        ("select = [", "invalid TOML"),
    ],
)
def test_bad_configuration_is_exit_2_with_the_reason(tmp_path, monkeypatch, capsys, table, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text(f"[tool.birnn-lint]\n{table}\n")
    (tmp_path / "m.py").write_text(MODEL)
    assert main(["m.py"]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_missing_config_file_is_exit_2(tmp_path, capsys):
    assert main(["--config", str(tmp_path / "nope.toml"), str(tmp_path)]) == 2


def test_load_config_reads_every_key(tmp_path):
    path = tmp_path / "pyproject.toml"
    path.write_text(
        '[tool.birnn-lint]\nselect = ["BRN00"]\nignore = ["BRN005"]\nexclude = ["gen"]\n'
        "report-unused-noqa = true\n"
    )
    config = load_config(path)
    assert (config.select, config.ignore, config.exclude, config.report_unused_noqa) == (
        ("BRN00",),
        ("BRN005",),
        ("gen",),
        True,
    )
    with pytest.raises(ConfigError):
        load_config(tmp_path / "missing.toml")


def test_the_code_table_matches_the_rules():
    rules = pytest.importorskip("lint_rules.rules")
    if not hasattr(rules, "ALL_RULES"):
        pytest.skip("the rules have not landed")
    assert {rule.code: rule.name for rule in rules.ALL_RULES} == RULE_NAMES
    assert {rule.code for rule in rules.ALL_RULES if rule.fixable} == {"BRN001", "BRN002", "BRN008"}
