"""The pytest plugin as a user meets it, run through ``pytester``: the command line, the
decorator's ids, strict xfail, the matrix, xdist, usage errors and layers that misbehave.

Runs that must not share this process (start-up imports, xdist) use ``runpytest_subprocess``;
the others run in process, which is much faster since torch is already imported.
"""

from __future__ import annotations

import importlib.metadata
import re
from pathlib import Path

import pytest
import torch

from conformance.checks import all_checks

# Import every check module now: pytester's in-process runs drop the modules they import first,
# and a check module imported twice would register its clause twice.
all_checks()

REPOSITORY = Path(__file__).resolve().parents[2]
INSTALLED = any(
    entry.value == "conformance.plugin"
    for entry in importlib.metadata.entry_points(group="pytest11")
)
# Installed, the entry point loads the plugin into every session; from a checkout, load it by name.
PLUGIN = [] if INSTALLED else ["-p", "conformance.plugin"]
QUIET = ["-p", "no:cacheprovider", "-p", "no:randomly"]

# The same tests pass with and without a GPU: a cuda item gives its cpu twin's outcome where CUDA
# exists (torch's modules and these fixtures behave alike there), else a skip.
CUDA = torch.cuda.is_available()
CUDA_CELL = "passed" if CUDA else "skipped"


def with_cuda_twins(cpu_outcomes: dict[str, int]) -> dict[str, int]:
    """The outcomes of a run whose every cpu item has a cuda twin."""
    total = dict(cpu_outcomes)
    cuda = cpu_outcomes if CUDA else {"skipped": sum(cpu_outcomes.values())}
    for status, count in cuda.items():
        total[status] = total.get(status, 0) + count
    return total


def skip_lines(*lines: str) -> list[str]:
    """Lines of the matrix that only a machine without CUDA prints."""
    return [] if CUDA else list(lines)


@pytest.fixture
def pytester(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """A pytester whose subprocesses can import ``conformance`` and ``fixtures`` from this checkout."""
    monkeypatch.setenv("PYTHONPATH", str(REPOSITORY))
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    return pytester


def run(pytester: pytest.Pytester, *args: str, subprocess: bool = False) -> pytest.RunResult:
    arguments = [*PLUGIN, *QUIET, *args]
    if subprocess:
        return pytester.runpytest_subprocess(*arguments)
    return pytester.runpytest(*arguments)


# --- a session that does not use the plugin -----------------------------------------------------


def test_an_unrelated_session_imports_no_torch_and_gets_no_items(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import sys

        def pytest_collection_finish(session):
            heavy = [name for name in ("torch", "hypothesis", "conformance.engine") if name in sys.modules]
            print("HEAVY MODULES:", heavy)
        """
    )
    pytester.makepyfile("def test_trivial():\n    assert True\n")
    result = run(pytester, "-s", subprocess=True)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["HEAVY MODULES: []"])
    # pytest's own "plugins: ..." header line lists every installed plugin, ours among them
    ours = [
        line for line in result.stdout.lines if "birnn" in line and not line.startswith("plugins:")
    ]
    assert ours == []


# --- the command line: --birnn-layer ------------------------------------------------------------


def test_ids_name_layer_clause_and_device(pytester: pytest.Pytester) -> None:
    result = run(
        pytester, "--birnn-layer", "torch.nn:GRU", "--birnn-clauses", "C1,C4", "--co", "-q"
    )
    result.stdout.fnmatch_lines(
        [
            "birnn-conformance::GRU-C1-output-shape-cpu",
            "birnn-conformance::GRU-C1-output-shape-cuda",
            "birnn-conformance::GRU-C4-reversal-equivariance-cpu",
            "birnn-conformance::GRU-C4-reversal-equivariance-cuda",
            "4 tests collected*",
        ]
    )


def test_k_selects_a_clause_and_the_matrix_shows_it(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        "--birnn-layer", "torch.nn:RNN",
        "--birnn-kind", "rnn_relu",
        "--birnn-clauses", "C1,C2,C4",
        "-k", "C4",
    )  # fmt: skip
    result.assert_outcomes(**with_cuda_twins({"passed": 1}), deselected=4)
    result.stdout.fnmatch_lines(
        [
            "*birnn conformance matrix*",
            "RNN-relu (torch.nn:RNN)",
            "  clause *cpu*cuda",
            f"  C4-reversal-equivariance *passed *{CUDA_CELL}",
            "  2 passed" if CUDA else "  1 passed, 1 skipped",
            *skip_lines("  skipped (C4/cuda): CUDA is not available*"),
        ]
    )


def test_header_names_torch_devices_profile_and_layers(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        "--birnn-layer",
        "torch.nn:LSTM",
        "--birnn-profile",
        "ci",
        "--birnn-devices",
        "cpu",
        "--co",
    )
    result.stdout.fnmatch_lines(
        [
            "birnn-conformance: torch *",
            "  devices: cpu",
            "  profile: ci (20 examples, derandomized)",
            "  layer LSTM: torch.nn:LSTM (kind lstm)",
        ]
    )


def test_a_users_hypothesis_profile_is_respected_and_stated(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        "from hypothesis import settings\nsettings.register_profile('tiny', max_examples=2)\n"
    )
    result = run(
        pytester,
        "--birnn-layer", "torch.nn:GRU",
        "--birnn-clauses", "C1",
        "--birnn-devices", "cpu",
        "--hypothesis-profile", "tiny",
        subprocess=True,  # --hypothesis-profile loads the profile for the whole process
    )  # fmt: skip
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        ["  profile: the hypothesis profile 'tiny' chosen with --hypothesis-profile (2 examples*"]
    )


def test_without_paths_only_the_conformance_suite_runs(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_mine="def test_mine():\n    pass\n")
    layer = ["--birnn-layer", "torch.nn:GRU", "--birnn-clauses", "C1", "--birnn-devices", "cpu"]
    run(pytester, *layer).assert_outcomes(passed=1)
    both = run(pytester, *layer, "test_mine.py")
    both.assert_outcomes(passed=2)
    both.stdout.fnmatch_lines(["test_mine.py .*", "birnn-conformance .*"])


def test_ini_options_name_the_layers(pytester: pytest.Pytester) -> None:
    pytester.makeini(
        """
        [pytest]
        birnn_layers = torch.nn:GRU
        birnn_clauses = C2
        birnn_devices = cpu
        """
    )
    result = run(pytester)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["GRU (torch.nn:GRU)", "  C2-state-shape *passed"])


INI_GRU = """
    [pytest]
    birnn_layers = torch.nn:GRU
    birnn_clauses = C2
    birnn_devices = cpu
"""


def test_ini_layers_stay_out_of_a_session_that_names_its_tests(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI_GRU)
    pytester.makepyfile(test_mine="def test_mine():\n    pass\n\ndef test_other():\n    pass\n")
    result = run(pytester, "test_mine.py::test_mine")
    result.assert_outcomes(passed=1)
    ours = [
        line for line in result.stdout.lines if "birnn" in line and not line.startswith("plugins:")
    ]
    assert ours == []
    run(pytester).assert_outcomes(passed=3)  # a plain run: the file's tests and the ini's layer


def test_ini_layers_under_xdist_collect_the_same_items_on_every_worker(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini(INI_GRU)
    result = run(pytester, "-n", "2", subprocess=True)
    result.assert_outcomes(passed=1)


def test_a_layer_from_the_ini_and_from_a_decorated_test_keeps_two_rows(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini(INI_GRU)
    pytester.makepyfile(
        test_layers="""
        from torch import nn

        from conformance import parametrize_with_checks

        @parametrize_with_checks([nn.GRU], clauses=["C2"], devices=["cpu"])
        def test_conformance(check):
            check()
        """
    )
    result = run(pytester)
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [
            "GRU in birnn-conformance (torch.nn:GRU)",
            "  C2-state-shape *passed",
            "  1 passed",
            "",
            "GRU in test_layers.py::test_conformance",
            "  C2-state-shape *passed",
            "  1 passed",
        ],
        consecutive=False,
    )


def test_a_spec_object_on_the_command_line_catches_its_bug(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        "--birnn-layer", "fixtures.layers.breaks_c4_backward_not_reversed:SPEC",
        "--birnn-layer", "fixtures.layers.custom_specs:DICT_BILSTM",
        "--birnn-clauses", "C4",
        "--birnn-devices", "cpu",
    )  # fmt: skip
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*UnreversedBackwardGRU-C4-reversal-equivariance-cpu*",
            "C4-reversal-equivariance: with the directions' parameters swapped*",
            "  hint: *",
        ]
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("no_such_module:MyGRU", "*no module named 'no_such_module'*"),
        ("torch.nn:Nope", "*'torch.nn' has no attribute 'Nope'*"),
        ("torch.nn:gru", "*has no attribute 'gru'; did you mean GRU?*"),
        ("torch.nn:functional", "*is a module, not a layer*"),
        ("torch.nn:Linear", "*Linear does not take torch's RNN constructor arguments*"),
        ("torch.nn", "*use module:attr*"),
        ("half_written:Layer", "*importing 'half_written' raised ImportError: not finished*"),
    ],
)
def test_a_bad_layer_value_is_a_usage_error(
    pytester: pytest.Pytester, value: str, message: str
) -> None:
    pytester.makepyfile(half_written="raise ImportError('not finished')\n")
    result = run(pytester, "--birnn-layer", value)
    assert result.ret == pytest.ExitCode.USAGE_ERROR, result.stderr.str()
    result.stderr.fnmatch_lines([f"ERROR: {message}"])
    assert "Traceback" not in result.stdout.str() + result.stderr.str()


def test_a_kind_that_contradicts_torchs_class_is_a_usage_error(pytester: pytest.Pytester) -> None:
    result = run(pytester, "--birnn-layer", "torch.nn:LSTM", "--birnn-kind", "gru")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: *torch's LSTM*its kind is lstm, not 'gru'*"])


@pytest.mark.parametrize(
    ("layer", "what"),
    [
        ("fixtures.layers.faulty_raises:RaisingBiGRU", "RaisingBiGRU raised RuntimeError: forward is not implemented yet"),
        ("fixtures.layers.faulty_nan:NaNBiGRU", "NaNBiGRU returned non-finite values (NaN or inf) in its output*"),
        ("fixtures.layers.faulty_wrong_type:OutputOnlyBiGRU", "OutputOnlyBiGRU returned Tensor; expected a tuple (output, h_n)*"),
    ],
)  # fmt: skip
def test_a_misbehaving_layer_gives_failed_items_with_clear_messages(
    pytester: pytest.Pytester, layer: str, what: str
) -> None:
    result = run(
        pytester, "--birnn-layer", layer, "--birnn-clauses", "C1,C4", "--birnn-devices", "cpu"
    )
    result.assert_outcomes(failed=2)
    output = result.stdout.str()
    assert "INTERNALERROR" not in output
    result.stdout.fnmatch_lines(
        [
            "C1-output-shape: input (T,B,I) gives output*",
            f"  {what}",
            "  layer * on cpu, float64: LayerConfig(*), T=*, B=*, seed=*",
            "  reproduce without the plugin:",
            "    import torch",
        ]
    )
    # the message, not the engine's frames
    assert "conformance/engine.py" not in output and "conformance/running.py" not in output


def test_torchs_warnings_about_the_harness_calls_stay_out_of_the_users_summary(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        loud_layers="""
        import warnings

        from torch import nn

        class LoudLSTM(nn.LSTM):
            def forward(self, x, hx=None):
                warnings.warn("LoudLSTM takes the slow path", UserWarning)
                return super().forward(x, hx)
        """
    )
    result = run(
        pytester,
        "--birnn-layer", "torch.nn:LSTM",
        "--birnn-layer", "loud_layers:LoudLSTM",
        "--birnn-kind", "lstm",
        "--birnn-clauses", "C15",
        "--birnn-devices", "cpu",
        "--birnn-profile", "ci",
        subprocess=True,  # torch warns once per process
    )  # fmt: skip
    result.assert_outcomes(passed=2)
    output = result.stdout.str()
    assert "LSTM with projections is not supported with oneDNN" not in output  # about our dtypes
    assert "LoudLSTM takes the slow path" in output  # the user's own code keeps its warnings


@pytest.mark.skipif(torch.backends.mps.is_available(), reason="MPS is usable on this machine")
def test_an_unusable_device_is_skipped_with_a_one_line_reason(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        "--birnn-layer",
        "torch.nn:GRU",
        "--birnn-clauses",
        "C1",
        "--birnn-devices",
        "cpu,mps",
    )
    result.assert_outcomes(passed=1, skipped=1)
    (reason,) = [line for line in result.stdout.lines if line.startswith("  skipped (C1/mps)")]
    assert reason.startswith("  skipped (C1/mps): MPS is not available on this machine") or (
        "is not usable here" in reason and len(reason) < 250
    )
    assert "Could not run 'aten::empty" not in result.stdout.str()


# --- the decorator ------------------------------------------------------------------------------

DECORATED = """
    from torch import nn

    from conformance import LayerSpec, parametrize_with_checks
    from fixtures.layers.faulty_nan import NaNBiGRU

    KNOWN_NAN = LayerSpec.from_class(
        NaNBiGRU, name="KnownNaN", expected_failures={{"C1": "divides by a zero norm"}}
    )
    WRONGLY_DECLARED = LayerSpec.from_class(
        nn.GRU, name="WronglyDeclared", expected_failures={{"C2": "declared by mistake"}}
    )

    @parametrize_with_checks([nn.GRU, KNOWN_NAN, WRONGLY_DECLARED], clauses={clauses!r}, devices={devices!r})
    def test_conformance(check):
        check()
"""


def test_decorator_ids_strict_xfail_and_matrix(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_layers=DECORATED.format(clauses=["C1", "C2"], devices=["cpu", "cuda"]))
    result = run(pytester, "-v", "-rxX")
    result.stdout.fnmatch_lines(
        [
            "test_layers.py::test_conformance[[]GRU-C1-output-shape-cpu[]] PASSED*",
            f"test_layers.py::test_conformance[[]GRU-C1-output-shape-cuda[]] {CUDA_CELL.upper()}*",
            "test_layers.py::test_conformance[[]KnownNaN-C1-output-shape-cpu[]] XFAIL*",
            "test_layers.py::test_conformance[[]WronglyDeclared-C2-state-shape-cpu[]] FAILED*",
        ],
        consecutive=False,
    )
    # KnownNaN fails C2 without declaring it; WronglyDeclared's C2 holds: strict xfail fails it
    result.assert_outcomes(**with_cuda_twins({"passed": 3, "failed": 2, "xfailed": 1}))
    result.stdout.fnmatch_lines(
        [
            "*birnn conformance matrix*",
            "KnownNaN (fixtures.layers.faulty_nan:NaNBiGRU)",
            "  clause *cpu*cuda",
            f"  C1-output-shape *xfail *{'xfail' if CUDA else 'skipped'}",
            f"  C2-state-shape *FAILED *{'FAILED' if CUDA else 'skipped'}",
            "WronglyDeclared (torch.nn.modules.rnn:GRU)",
            f"  C1-output-shape *passed *{CUDA_CELL}",
            f"  C2-state-shape *XPASS *{'XPASS' if CUDA else 'skipped'}",
        ],
        consecutive=False,
    )
    # the decorator's failures read like the command line's: the clause's message first
    result.stdout.fnmatch_lines(
        ["C2-state-shape: h_n is (2L,B,H_out)*", "  KnownNaN returned non-finite*"]
    )


def test_command_line_clause_and_device_options_filter_decorated_items(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_layers=DECORATED.format(clauses=None, devices=None))
    result = run(pytester, "--birnn-clauses", "C1", "--birnn-devices", "cpu", "--co", "-q")
    result.stdout.fnmatch_lines(["*3/* tests collected (* deselected)*"])


def test_cuda_items_share_one_xdist_group(pytester: pytest.Pytester) -> None:
    items, _ = pytester.inline_genitems(
        *PLUGIN, "--birnn-layer", "torch.nn:GRU", "--birnn-clauses", "C1"
    )
    groups = {item.name: item.get_closest_marker("xdist_group") for item in items}
    assert groups["GRU-C1-output-shape-cpu"] is None
    assert groups["GRU-C1-output-shape-cuda"].args == ("birnn-cuda",)


# --- pytest-xdist ----------------------------------------------------------------------------------


def outcomes_and_matrix(result: pytest.RunResult) -> tuple[dict[str, int], list[str]]:
    lines = result.stdout.lines
    start = next(i for i, line in enumerate(lines) if "birnn conformance matrix" in line)
    end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith("="))
    return result.parseoutcomes(), lines[start + 1 : end]


def test_xdist_gives_the_serial_outcomes_and_matrix(pytester: pytest.Pytester) -> None:
    arguments = [
        "--birnn-layer", "torch.nn:GRU",
        "--birnn-layer", "fixtures.layers.faulty_nan:NaNBiGRU",
        "--birnn-clauses", "C1,C2",
        "--birnn-profile", "ci",
    ]  # fmt: skip
    serial = run(pytester, *arguments)
    parallel = run(pytester, *arguments, "-n", "2", subprocess=True)
    serial_outcomes, serial_matrix = outcomes_and_matrix(serial)
    parallel_outcomes, parallel_matrix = outcomes_and_matrix(parallel)
    serial_outcomes.pop("seconds", None), parallel_outcomes.pop("seconds", None)
    assert serial_outcomes == with_cuda_twins({"passed": 2, "failed": 2})
    assert parallel_outcomes == serial_outcomes
    assert parallel_matrix == serial_matrix
    assert re.search(r"2 workers \[8 items\]", parallel.stdout.str())
