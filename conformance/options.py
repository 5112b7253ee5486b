"""The plugin's command-line and ini options, and what a session chose with them.

Imported by the plugin at every pytest start-up, so it imports neither torch nor hypothesis:
the layers are resolved (which imports torch) only when ``--birnn-layer`` is given.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from conformance.spec import KINDS  # stdlib only: no torch at start-up

PROFILE_NAMES = ("dev", "ci", "thorough")  # conformance.profiles.PROFILES, without importing it
DEFAULT_DEVICES = ("cpu", "cuda")  # conformance.device_support.DEFAULT_DEVICES, likewise
DEFAULT_TIMEOUT = 10.0  # conformance.time_limits.DEFAULT_SECONDS, likewise


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup(
        "birnn-conformance", "bidirectional RNN conformance (birnn-conformance)"
    )
    group.addoption(
        "--birnn-layer",
        action="append",
        default=[],
        metavar="MODULE:ATTR",
        help="run the conformance suite on this layer: a class with torch's constructor "
        "signature or a LayerSpec object, e.g. torch.nn:LSTM (repeatable). Without path "
        "arguments only the conformance items run.",
    )
    group.addoption(
        "--birnn-model",
        action="append",
        default=[],
        metavar="MODULE:ATTR",
        help="run the model-level clauses (M1-M3) on this ModelSpec, e.g. mymodels:SPEC (repeatable)",
    )
    group.addoption(
        "--birnn-kind",
        choices=KINDS,
        help="the equations a --birnn-layer class that is not torch's implements (enables the "
        "reference clause C11 and the LSTM cell state)",
    )
    group.addoption(
        "--birnn-devices",
        metavar="DEVICES",
        help="comma-separated torch devices (default: cpu,cuda); absent ones are skipped with a reason",
    )
    group.addoption(
        "--birnn-profile",
        choices=PROFILE_NAMES,
        help="dev (10 examples), ci (20, derandomized, no database), thorough (200); default: ci "
        "when the CI variable is set, else dev, or the profile given with --hypothesis-profile",
    )
    group.addoption(
        "--birnn-clauses",
        metavar="IDS",
        help="comma-separated clause ids or labels to run, e.g. C1,C4 (default: all)",
    )
    group.addoption(
        "--birnn-timeout",
        type=float,
        metavar="SECONDS",
        help=f"fail a layer that takes longer than this per call (default {DEFAULT_TIMEOUT:g}; 0: no "
        "limit); a case as a whole gets six times that per 20 examples. Needs SIGALRM on the "
        "main thread (POSIX)",
    )
    parser.addini(
        "birnn_layers", "layers to check, one module:attr per line", type="linelist", default=[]
    )
    parser.addini(
        "birnn_models", "ModelSpecs to check, one module:attr per line", type="linelist", default=[]
    )
    parser.addini("birnn_kind", "default for --birnn-kind", default="")
    parser.addini("birnn_devices", "default for --birnn-devices", default="")
    parser.addini("birnn_profile", "default for --birnn-profile", default="")
    parser.addini("birnn_clauses", "default for --birnn-clauses", default="")
    parser.addini("birnn_timeout", "default for --birnn-timeout", default="")


@dataclass
class Choice:
    """What this pytest session asked the conformance plugin for."""

    references: list[str]
    kind: str | None
    devices: list[str]
    clauses: list[str] | None
    profile: str | None  # None: chosen by the environment (ci under CI, else dev) at run time
    timeout: float | None = None  # seconds per call of the layer; None: DEFAULT_TIMEOUT, 0: none
    explicit: set[str] = field(default_factory=set)  # the options given on the command line
    only_conformance: bool = False
    specs: list[Any] = field(default_factory=list)  # LayerSpec objects, once resolved
    model_references: list[str] = field(default_factory=list)  # --birnn-model values
    model_specs: list[Any] = field(default_factory=list)  # ModelSpec objects, once resolved

    @property
    def used(self) -> bool:
        """Whether this session uses the plugin from the command line or the ini file."""
        return bool(self.references or self.model_references or self.explicit)


def read_choice(config: pytest.Config) -> Choice:
    """Options first, then ini values, then defaults; a bad value is a usage error."""
    option, explicit = config.option, set()
    references = list(option.birnn_layer)
    names_tests = config.args_source == pytest.Config.ArgsSource.ARGS
    if references:
        explicit.add("layer")
    elif not names_tests:
        # the ini's layers join a plain `pytest` run; `pytest tests/test_x.py::test_y` runs just that
        references = list(config.getini("birnn_layers"))
    kind = option.birnn_kind or config.getini("birnn_kind") or None
    if kind is not None and kind not in KINDS:
        raise pytest.UsageError(f"birnn_kind = {kind!r}: choose one of {', '.join(KINDS)}")
    devices_text = option.birnn_devices or config.getini("birnn_devices")
    if option.birnn_devices:
        explicit.add("devices")
    devices = _split(devices_text) or list(DEFAULT_DEVICES)
    clauses_text = option.birnn_clauses or config.getini("birnn_clauses")
    if option.birnn_clauses:
        explicit.add("clauses")
    clauses = _checked_clauses(_split(clauses_text)) or None
    profile = option.birnn_profile or config.getini("birnn_profile") or None
    if option.birnn_profile:
        explicit.add("profile")
    elif getattr(option, "hypothesis_profile", None):
        # the user chose a hypothesis profile for this run: respect it, and say so in the header
        profile = "hypothesis:" + option.hypothesis_profile
    if profile is not None and profile.split(":")[0] not in (*PROFILE_NAMES, "hypothesis"):
        raise pytest.UsageError(
            f"birnn_profile = {profile!r}: choose one of {', '.join(PROFILE_NAMES)}"
        )
    timeout = _checked_timeout(option.birnn_timeout, config.getini("birnn_timeout"))
    if option.birnn_timeout is not None or config.getini("birnn_timeout"):
        explicit.add("timeout")
    return Choice(
        references=references,
        kind=kind,
        devices=devices,
        clauses=clauses,
        profile=profile,
        timeout=timeout,
        explicit=explicit,
        # `pytest --birnn-layer X` alone means "check X"; paths on the command line add tests
        # like the ini's layers, the ini's models join a plain run only
        model_references=list(option.birnn_model)
        or ([] if names_tests else list(config.getini("birnn_models"))),
        only_conformance=bool(option.birnn_layer or option.birnn_model) and not names_tests,
    )


def resolve_layers(choice: Choice, config: pytest.Config) -> None:
    """Import the layers (this imports torch); any problem becomes a usage error, not a traceback."""
    from conformance.loader import LayerLoadError, load_layer

    search_paths = [config.invocation_params.dir, config.rootpath]
    specs = []
    for reference in choice.references:
        try:
            specs.append(load_layer(reference, kind=choice.kind, search_paths=search_paths))
        except LayerLoadError as error:
            raise pytest.UsageError(str(error)) from None
    seen: dict[str, str] = {}
    for spec, reference in zip(specs, choice.references):
        if spec.name in seen:
            raise pytest.UsageError(
                f"--birnn-layer {seen[spec.name]!r} and {reference!r} are both named {spec.name!r}; "
                "test ids must be unique: give one a LayerSpec with another name"
            )
        seen[spec.name] = reference
    choice.specs = specs


def _split(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def _checked_timeout(given: float | None, ini_text: str) -> float | None:
    if given is None and not ini_text.strip():
        return None
    try:
        seconds = float(ini_text) if given is None else given
    except ValueError:
        seconds = float("nan")
    if not seconds >= 0:  # NaN too
        shown = ini_text if given is None else given
        raise pytest.UsageError(
            f"birnn timeout {shown!r}: give seconds per call, >= 0 (0: no limit)"
        )
    return seconds


def _checked_clauses(selection: list[str]) -> list[str]:
    if not selection:
        return selection
    from conformance.clauses import CLAUSES, MODEL_CLAUSES

    for item in selection:
        if item.split("-")[0].upper() not in {**CLAUSES, **MODEL_CLAUSES}:
            raise pytest.UsageError(
                f"--birnn-clauses: unknown clause {item!r}; valid ids: {', '.join(CLAUSES)}"
            )
    return selection
