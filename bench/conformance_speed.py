"""How long the conformance suite takes, and how much of that is the layer's own work.

    python bench/conformance_speed.py            # all four torch modules, serial and -n 2
    python bench/conformance_speed.py --skip-xdist --layers torch.nn:LSTM

Part 1, wall time: the whole CI profile (``--birnn-profile ci``, every clause, devices cpu and
cuda) on each of torch's modules through the command line, serial and with ``-n 2``, each in a
fresh ``python -m pytest`` from an empty directory, as a user runs it.

Part 2, time per hypothesis example, in process, clause by clause (cpu): the layer's own work is
the wall time spent inside the calls that run the layer's code (``adapters.run_layer`` and
direct module calls, ``torch.autograd.grad``, ``Tensor.backward``, ``torch.autograd.gradcheck``;
outermost call only, so nothing is counted twice); building the layer (its constructor and
weight init) is shown apart; the harness is everything else (hypothesis, drawing inputs,
reference, comparisons, messages). Caveat: C11's backward pass through the float64 reference
runs in ``torch.autograd.grad`` too and is counted as layer work.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
LAYERS = {
    "RNN": ["--birnn-layer", "torch.nn:RNN"],
    "RNN-relu": ["--birnn-layer", "torch.nn:RNN", "--birnn-kind", "rnn_relu"],
    "GRU": ["--birnn-layer", "torch.nn:GRU"],
    "LSTM": ["--birnn-layer", "torch.nn:LSTM"],
}


def machine() -> str:
    import torch

    cpu = platform.processor() or "unknown CPU"
    try:
        names = [line for line in Path("/proc/cpuinfo").read_text().splitlines() if "model name" in line]
        cpu = names[0].split(":", 1)[1].strip() if names else cpu
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    return (
        f"{cpu}, {cores} cores available, load average {load}; Python {platform.python_version()}, "
        f"torch {torch.__version__} ({torch.get_num_threads()} intra-op threads), "
        f"hypothesis {importlib.metadata.version('hypothesis')}, "
        f"CUDA {'available' if torch.cuda.is_available() else 'not available'}"
    )


# --- part 1: wall time through the command line -----------------------------------------------


def pytest_wall_time(layer_arguments: list[str], workers: int | None) -> tuple[float, str]:
    installed = any(
        entry.value == "conformance.plugin" for entry in importlib.metadata.entry_points(group="pytest11")
    )
    command = [sys.executable, "-m", "pytest", *([] if installed else ["-p", "conformance.plugin"])]
    command += [*layer_arguments, "--birnn-profile", "ci", "-q", "-p", "no:randomly"]
    command += ["-p", "no:cacheprovider"]
    if workers:
        command += ["-n", str(workers)]
    environment = {**os.environ, "PYTHONPATH": str(REPOSITORY)}
    with tempfile.TemporaryDirectory() as empty:
        start = time.perf_counter()
        finished = subprocess.run(command, cwd=empty, env=environment, capture_output=True, text=True)
        seconds = time.perf_counter() - start
    summary = finished.stdout.strip().splitlines()[-1] if finished.stdout.strip() else finished.stderr
    return seconds, summary.strip("= ")


def startup_seconds() -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import torch, hypothesis"], check=True)
    return time.perf_counter() - start


# --- part 2: where the time of one example goes -----------------------------------------------


class Stopwatch:
    """Accumulates the outermost timed region per bucket; nested regions are not counted again."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.examples = 0
        self._depth = 0

    def wrap(self, function, bucket: str):
        def timed(*args, **kwargs):
            if self._depth:
                return function(*args, **kwargs)
            self._depth += 1
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds[bucket] += time.perf_counter() - start
                self._depth -= 1

        return timed


@contextmanager
def instrumented(stopwatch: Stopwatch):
    import torch

    from conformance import adapters, trial

    originals = {
        (adapters, "run_layer"): adapters.run_layer,
        (adapters, "build_layer"): adapters.build_layer,
        (torch.autograd, "grad"): torch.autograd.grad,
        (torch.autograd, "gradcheck"): torch.autograd.gradcheck,
        (torch.Tensor, "backward"): torch.Tensor.backward,
        (torch.nn.RNNBase, "__call__"): torch.nn.RNNBase.__call__,
    }
    buckets = {"build_layer": "build"}
    trial_init = trial.Trial.__init__

    def counting_init(self, *args, **kwargs):
        stopwatch.examples += 1
        trial_init(self, *args, **kwargs)

    own = {key: key[1] in vars(key[0]) for key in originals}  # RNNBase inherits __call__
    try:
        for (owner, name), original in originals.items():
            setattr(owner, name, stopwatch.wrap(original, buckets.get(name, "layer")))
        trial.Trial.__init__ = counting_init
        yield
    finally:
        for (owner, name), original in originals.items():
            if own[owner, name]:
                setattr(owner, name, original)
            else:
                delattr(owner, name)
        trial.Trial.__init__ = trial_init


def per_example(layer: str, arguments: list[str]) -> list[tuple[str, int, float, float, float]]:
    """(clause, examples, total, layer, build) seconds for each clause on cpu under ci."""
    from conformance.engine import cases
    from conformance.loader import load_layer
    from conformance.running import outcome

    kind = arguments[arguments.index("--birnn-kind") + 1] if "--birnn-kind" in arguments else None
    spec = load_layer(arguments[1], kind=kind)
    rows = []
    for case in cases([spec], ["cpu"]):
        stopwatch = Stopwatch()
        with instrumented(stopwatch):
            start = time.perf_counter()
            result = outcome(case, "ci")
            total = time.perf_counter() - start
        if result.status != "passed":
            print(f"  ! {layer} {case.clause_id}: {result.status}: {result.message[:200]}")
        rows.append(
            (case.clause_id, stopwatch.examples, total, stopwatch.seconds["layer"], stopwatch.seconds["build"])
        )
    return rows


def print_per_example(layer: str, rows) -> tuple[float, float, float]:
    print(f"\n{layer}: per hypothesis example, cpu, ci profile (milliseconds)")
    print(f"  {'clause':<8}{'examples':>9}{'total/ex':>10}{'layer/ex':>10}{'build/ex':>10}{'harness/ex':>11}{'harness:layer':>14}")
    sums = [0.0, 0.0, 0.0]
    for clause_id, examples, total, layer_seconds, build in rows:
        harness = total - layer_seconds - build
        sums[0] += total
        sums[1] += layer_seconds
        sums[2] += build
        n = max(examples, 1)
        ratio = harness / layer_seconds if layer_seconds else float("inf")
        print(
            f"  {clause_id:<8}{examples:>9}{1e3 * total / n:>10.2f}{1e3 * layer_seconds / n:>10.2f}"
            f"{1e3 * build / n:>10.2f}{1e3 * harness / n:>11.2f}{ratio:>14.2f}"
        )
    total, layer_seconds, build = sums
    harness = total - layer_seconds - build
    examples = sum(row[1] for row in rows)
    print(
        f"  {'all':<8}{examples:>9}{1e3 * total / examples:>10.2f}{1e3 * layer_seconds / examples:>10.2f}"
        f"{1e3 * build / examples:>10.2f}{1e3 * harness / examples:>11.2f}{harness / layer_seconds:>14.2f}"
    )
    print(f"  in-process total {total:.1f} s: layer {layer_seconds:.1f} s, build {build:.1f} s, harness {harness:.1f} s")
    return total, layer_seconds, harness


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", nargs="*", default=list(LAYERS), choices=list(LAYERS))
    parser.add_argument("--skip-xdist", action="store_true", help="serial wall time only")
    parser.add_argument("--skip-wall", action="store_true", help="per-example split only")
    parser.add_argument("--skip-split", action="store_true", help="wall times only")
    options = parser.parse_args()
    sys.path.insert(0, str(REPOSITORY))
    print(f"machine: {machine()}")
    if not options.skip_wall:
        print("\nwhole ci profile through `python -m pytest --birnn-layer ... --birnn-profile ci` (wall seconds)")
        print(f"  (starting python and importing torch alone takes {startup_seconds():.1f} s here)")
        print(f"  {'layer':<10}{'serial':>9}{'-n 2':>9}{'speed-up':>10}  serial outcome | -n 2 outcome")
        for layer in options.layers:
            serial, outcome_line = pytest_wall_time(LAYERS[layer], None)
            if options.skip_xdist:
                print(f"  {layer:<10}{serial:>9.1f}{'-':>9}{'-':>10}  {outcome_line}")
                continue
            parallel, parallel_line = pytest_wall_time(LAYERS[layer], 2)
            print(
                f"  {layer:<10}{serial:>9.1f}{parallel:>9.1f}{serial / parallel:>9.2f}x  "
                f"{outcome_line} | {parallel_line}"
            )
    for layer in [] if options.skip_split else options.layers:
        print_per_example(layer, per_example(layer, LAYERS[layer]))


if __name__ == "__main__":
    main()
