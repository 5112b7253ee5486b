"""How long the CI profile takes per layer on each device, and what the clause-breaking fixtures
give there. Prints Markdown; bench/gpu_check.sh runs it on a GPU machine.

    python bench/cuda_layer_timings.py                  # cpu and cuda (where present)
    python bench/cuda_layer_timings.py --fixtures       # also every fixtures/layers/breaks_cN_*.py on its clause

A Python-loop layer (one that steps through time in Python, like ``EquationsBiGRU``) launches a
few tiny kernels per operation per step; on CUDA each launch and each result the check reads back
costs microseconds that a CPU call of a tiny tensor does not pay, so such a layer is expected to
be slower on CUDA than on CPU for the drawn sizes (T, B, H of a few units), not faster.
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
import time
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY))

import torch  # noqa: E402

from conformance import check_layer  # noqa: E402
from fixtures.layers.custom_specs import DICT_BILSTM, EQUATIONS_BIGRU  # noqa: E402

LAYERS = {
    "torch GRU (cuDNN / native)": "torch.nn:GRU",
    "EquationsBiGRU (Python loop over steps)": EQUATIONS_BIGRU,
    "DictBiLSTM (Python loop, dict state)": DICT_BILSTM,
    "torch LSTM (cuDNN / native)": "torch.nn:LSTM",
}


def devices() -> list[str]:
    return ["cpu", "cuda"] if torch.cuda.is_available() else ["cpu"]


def layer_timings(profile: str) -> None:
    chosen = devices()
    print(
        f"| layer | {' | '.join(f'{d}: statuses' for d in chosen)} | {' | '.join(f'{d}: s' for d in chosen)} | slowest clause |"
    )
    print("|---|" + "---|" * (2 * len(chosen) + 1))
    for name, layer in LAYERS.items():
        statuses, seconds, slowest = [], [], ("-", 0.0)
        for device in chosen:
            start = time.perf_counter()
            report = check_layer(layer, devices=[device], profile=profile)
            seconds.append(time.perf_counter() - start)
            counts: dict[str, int] = {}
            for result in report:
                counts[result.status] = counts.get(result.status, 0) + 1
                if result.seconds > slowest[1]:
                    slowest = (f"{result.clause}/{device}", result.seconds)
            statuses.append(", ".join(f"{n} {status}" for status, n in sorted(counts.items())))
        print(
            f"| {name} | {' | '.join(statuses)} | {' | '.join(f'{s:.1f}' for s in seconds)} | "
            f"{slowest[0]} {slowest[1]:.1f} s |",
            flush=True,
        )


def fixture_outcomes(profile: str) -> None:
    """Each breaks_cN_* fixture on its own clause, on the last device (cuda where present)."""
    device = devices()[-1]
    print(f"| fixture | clause | {device} | seconds |")
    print("|---|---|---|---|")
    for path in sorted((REPOSITORY / "fixtures" / "layers").glob("breaks_c*.py")):
        clause = "C" + re.match(r"breaks_c(\d+)_", path.name).group(1)
        spec = importlib.import_module(f"fixtures.layers.{path.stem}").SPEC
        (result,) = check_layer(spec, devices=[device], clauses=[clause], profile=profile)
        print(f"| {path.stem} | {clause} | {result.status} | {result.seconds:.1f} |", flush=True)
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="ci")
    parser.add_argument("--fixtures", action="store_true", help="also the clause-breaking fixtures")
    arguments = parser.parse_args()
    print(
        f"torch {torch.__version__}, devices {', '.join(devices())}, profile {arguments.profile}\n"
    )
    if arguments.fixtures:  # first: quick, and each is a check that must fail on this device too
        fixture_outcomes(arguments.profile)
    layer_timings(arguments.profile)


if __name__ == "__main__":
    main()
