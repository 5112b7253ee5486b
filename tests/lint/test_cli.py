"""The command line as users run it: exit codes, options, stdin, the pool, and import cost.

In-process tests call ``main([...])`` with a stub in place of the rules (BRN001 on
``zeros(num_layers,``, BRN003 on ``h_n[-1]``); a few run ``python -m lint_rules`` for real.
"""

from __future__ import annotations

import importlib.util
import io
import json
import subprocess
import sys
import types
from pathlib import Path

import pytest
from stub_rules import stub_check_source

import lint_rules
from lint_rules.cli import main
from lint_rules.urls import PROJECT_URLS

MODEL = "rnn = nn.LSTM(8, 16, bidirectional=True)\nh0 = torch.zeros(num_layers, 4, 16)\n"
CLEAN = "rnn = nn.LSTM(8, 16)\nsummary = out.mean(0)\n"


@pytest.fixture(autouse=True)
def stub_rules(monkeypatch):
    module = types.SimpleNamespace(
        might_have_findings=lambda source, extra=(): "LSTM" in source,
        check_source=stub_check_source,
    )
    monkeypatch.setitem(sys.modules, "lint_rules.checker", module)
    monkeypatch.setattr(lint_rules, "checker", module, raising=False)


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "model.py").write_text(MODEL)
    (tmp_path / "clean.py").write_text(CLEAN)
    return tmp_path


def test_findings_exit_1_in_path_line_col_code_message_form(project, capsys):
    assert main(["model.py"]) == 1
    out, err = capsys.readouterr()
    assert out == "model.py:2:12: BRN001 h0 lacks directions\n"
    assert "Found 1 finding" in err


def test_clean_exit_0_and_prints_nothing(project, capsys):
    assert main(["clean.py"]) == 0
    assert capsys.readouterr().out == ""


def test_directory_argument_and_default_current_directory(project, capsys):
    assert main([]) == 1
    assert capsys.readouterr().out.startswith("model.py:2:12: BRN001")


def test_exit_zero(project):
    assert main(["--exit-zero", "model.py"]) == 0


@pytest.mark.parametrize("option", ["--select", "--ignore", "--extend-select"])
def test_unknown_code_is_a_usage_error_listing_valid_codes(project, capsys, option):
    assert main([option, "BRN042", "model.py"]) == 2
    err = capsys.readouterr().err
    assert "BRN042" in err and "BRN001" in err and "BRN007" in err and "Traceback" not in err


def test_select_and_ignore_on_the_command_line(project):
    assert main(["--ignore", "BRN00", "model.py"]) == 0
    assert main(["--select", "BRN003", "model.py"]) == 0
    assert main(["--select", "brn", "model.py"]) == 1


def test_version_and_bad_option_exit_codes(capsys):
    assert main(["--version"]) == 0
    assert lint_rules.__version__ in capsys.readouterr().out
    assert main(["--no-such-option"]) == 2
    assert main(["--format", "xml"]) == 2


def test_statistics_counts_codes_and_marks_fixable(project, capsys):
    (project / "more.py").write_text(MODEL + "x = h_n[-1]\n")
    assert main(["--statistics", "."]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        "2\tBRN001\t[*] hidden-init-missing-directions",
        "1\tBRN003\tlast-layer-state-misread",
    ]


def test_unreadable_file_counts_as_a_finding_and_the_run_goes_on(project, capsys):
    assert main(["missing.py", "model.py"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("missing.py:1:1: E902 ") and out[1].startswith("model.py:2:12: BRN001")


def test_syntax_error_line_format(project, capsys):
    (project / "broken.py").write_text("import torch\nLSTM(\n")
    assert main(["broken.py"]) == 1
    [line] = capsys.readouterr().out.splitlines()
    assert line.startswith("broken.py:2:") and " E999 SyntaxError: " in line


def test_internal_error_in_a_rule_exits_2_after_reporting_everything(project, capsys):
    (project / "crash.py").write_text("LSTM\nCRASH = 1\n")
    assert main(["crash.py", "model.py"]) == 2
    out = capsys.readouterr().out
    assert "crash.py:1:1: BRN999 internal error: ValueError: rule bug" in out
    assert "model.py:2:12: BRN001" in out


def test_stdin_with_a_filename(project, monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(MODEL.encode())))
    assert main(["-", "--stdin-filename", "pkg/m.py"]) == 1
    assert capsys.readouterr().out.startswith("pkg/m.py:2:12: BRN001")


def test_stdin_fix_prints_the_fixed_source(project, monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(MODEL.encode())))
    assert main(["--fix", "-"]) == 0
    assert capsys.readouterr().out == MODEL.replace("num_layers,", "num_layers * 2,")


def feed_stdin(monkeypatch, text):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode())))


def test_stdin_filename_without_dash_reads_stdin_not_the_current_directory(
    project, monkeypatch, capsys
):
    feed_stdin(monkeypatch, "\n" + MODEL)
    assert main(["--stdin-filename", "pkg/m.py"]) == 1
    assert capsys.readouterr().out == "pkg/m.py:3:12: BRN001 h0 lacks directions\n"


def test_force_exclude_applies_to_the_stdin_filename(project, monkeypatch, capsys):
    arguments = ["--extend-exclude", "gen", "--stdin-filename", "gen/m.py", "-"]
    feed_stdin(monkeypatch, MODEL)
    assert main(arguments) == 1
    capsys.readouterr()
    feed_stdin(monkeypatch, MODEL)
    assert main(["--force-exclude", *arguments]) == 0
    assert capsys.readouterr() == ("", "")


def test_stdin_fix_prints_the_source_back_when_there_is_nothing_to_fix(
    project, monkeypatch, capsys
):
    """An editor replaces its buffer with what ``--fix -`` prints: never with nothing."""
    feed_stdin(monkeypatch, CLEAN)
    assert main(["--fix", "-"]) == 0
    assert capsys.readouterr().out == CLEAN
    feed_stdin(monkeypatch, MODEL)
    excluded = [
        "--fix",
        "--force-exclude",
        "--extend-exclude",
        "gen",
        "--stdin-filename",
        "gen/m.py",
    ]
    assert main(excluded) == 0
    assert capsys.readouterr().out == MODEL


def test_a_folder_without_python_files_says_so_and_exits_0(project, capsys):
    (project / "empty").mkdir()
    (project / "empty" / "notes.txt").write_text("LSTM\n")
    assert main(["empty"]) == 0
    assert capsys.readouterr() == (
        "",
        "birnn-lint: warning: No Python files found under the given path(s)\n",
    )
    assert main(["--quiet", "empty"]) == 0
    assert capsys.readouterr() == ("", "")


def test_no_paths_with_no_default_path_is_a_clean_run(project, capsys):
    """What the pre-commit hook runs when no file is staged."""
    assert main(["--force-exclude", "--no-default-path"]) == 0
    assert capsys.readouterr() == ("", "")


def test_force_exclude_applies_excludes_to_named_files(project):
    (project / "gen").mkdir()
    (project / "gen" / "m.py").write_text(MODEL)
    assert main(["--extend-exclude", "gen", "gen/m.py"]) == 1
    assert main(["--extend-exclude", "gen", "--force-exclude", "gen/m.py"]) == 0


def test_output_file(project, capsys):
    assert main(["--format", "json", "-o", "report.json", "model.py"]) == 1
    assert json.loads((project / "report.json").read_text())[0]["code"] == "BRN001"
    assert capsys.readouterr().out == ""


def test_pool_gives_the_same_report_in_the_same_order(project, capsys, monkeypatch):
    monkeypatch.setattr("lint_rules.parallel.MIN_LINES_FOR_POOL", 1)
    for index in range(6):
        (project / f"m{index}.py").write_text("\n" * index + MODEL)
    assert main(["--jobs", "1", "."]) == 1
    serial = capsys.readouterr().out
    assert main(["--jobs", "2", "."]) == 1
    assert capsys.readouterr().out == serial and serial.count("BRN001") == 7


def run_module(*arguments, cwd, stdin=None):
    return subprocess.run(
        [sys.executable, "-m", "lint_rules", *arguments],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PYTHONPATH": str(Path(lint_rules.__file__).parent.parent), "PATH": "/usr/bin:/bin"},
    )


def test_module_entry_point_usage_errors(tmp_path):
    done = run_module("--select", "NOPE", ".", cwd=tmp_path)
    assert done.returncode == 2 and "valid codes" in done.stderr and "Traceback" not in done.stderr
    assert run_module("--version", cwd=tmp_path).returncode == 0


def test_importing_the_command_line_does_not_import_libcst():
    code = "import sys, lint_rules.cli; sys.exit('libcst' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], timeout=60).returncode == 0


@pytest.mark.skipif(
    importlib.util.find_spec("lint_rules.checker") is None, reason="the rules have not landed"
)
def test_a_file_without_rnns_is_linted_without_importing_libcst(tmp_path):
    (tmp_path / "plain.py").write_text("import torch\n\ndef f(x):\n    return x + 1\n")
    code = (
        "import sys; from lint_rules.cli import main; status = main(['plain.py']);"
        "sys.exit(10 + status if 'libcst' in sys.modules else status)"
    )
    root = str(Path(lint_rules.__file__).parent.parent)
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, timeout=60, env={"PYTHONPATH": root}
    )
    assert done.returncode == 0


def test_rule_subcommand_and_explain_print_the_rules_page(project, capsys):
    assert main(["rule", "BRN003"]) == 0
    page = capsys.readouterr().out
    assert page.startswith("## BRN003 last-layer-state-misread\n")
    assert "### Wrong" in page and "### Right" in page
    assert page.endswith(f"Online: {PROJECT_URLS['Rules']}#brn003-last-layer-state-misread\n")
    assert main(["--explain", "brn003"]) == 0
    assert capsys.readouterr().out == page


def test_explaining_an_unknown_rule_is_a_usage_error(project, capsys):
    assert main(["rule", "BRN042"]) == 2
    assert "unknown rule 'BRN042'; the rules are BRN001" in capsys.readouterr().err


def test_output_format_is_an_alias_of_format(project, capsys):
    assert main(["--output-format", "json", "model.py"]) == 1
    aliased = capsys.readouterr().out
    assert main(["--format", "json", "model.py"]) == 1
    assert capsys.readouterr().out == aliased and json.loads(aliased)[0]["code"] == "BRN001"


def test_help_shows_examples_and_links_the_rules(capsys):
    assert main(["--help"]) == 0
    text = capsys.readouterr().out
    assert "examples:\n  birnn-lint " in text and "birnn-lint rule BRN003" in text
    assert f"rules: {PROJECT_URLS['Rules']}\n" in text


def test_only_files_that_may_build_an_rnn_are_parsed(tmp_path):
    """What the README states: the text prefilter clears a file that names no RNN without parsing
    it, so its syntax error is not reported; a file that names one is parsed, and E999 says so."""
    (tmp_path / "no_rnn.py").write_text("def broken(:\n")
    (tmp_path / "with_rnn.py").write_text("rnn = nn.LSTM(\n")
    done = run_module("--isolated", "no_rnn.py", cwd=tmp_path)
    assert (done.returncode, done.stdout) == (0, "")
    done = run_module("--isolated", "no_rnn.py", "with_rnn.py", cwd=tmp_path)
    assert done.returncode == 1 and done.stdout.startswith("with_rnn.py:1:")
    assert " E999 " in done.stdout and "no_rnn.py" not in done.stdout
    readme = " ".join((Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8").split())
    assert (
        "A syntax error in such a file is therefore **not reported** (no `E999`, exit 0)" in readme
    )
