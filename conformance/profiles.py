"""The plugin's hypothesis profiles. They are applied per check, never loaded globally, so a
profile the user chose for their own tests is left alone."""

from __future__ import annotations

from hypothesis import HealthCheck, Phase, settings

# Every phase but explain: it lists lines "always and only run by failing test cases", which are
# lines of our checks, not of the layer, and the user can do nothing with them.
PHASES = tuple(phase for phase in Phase if phase is not Phase.explain)

_COMMON = dict(
    deadline=None,  # gradcheck of a 2-layer BiGRU alone takes ~0.6 s
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    # one clause, one failure: a layer that fails a clause in two places (a shape here, a value
    # there) is reported by its simplest example, not as an ExceptionGroup of "distinct bugs"
    report_multiple_bugs=False,
    phases=PHASES,
)

PROFILES: dict[str, settings] = {
    # quick feedback while developing a layer
    "dev": settings(max_examples=10, **_COMMON),
    # CI: derandomized (the same examples on every run and worker), no example database
    "ci": settings(max_examples=20, derandomize=True, database=None, print_blob=True, **_COMMON),
    # before a release
    "thorough": settings(max_examples=200, **_COMMON),
}

PROFILE_HELP = "dev (10 examples), ci (20, derandomized, no database), thorough (200)"


def default_profile_name(environ) -> str:
    """`ci` when a CI variable is set (as hypothesis itself does), else `dev`."""
    return "ci" if environ.get("CI") or environ.get("GITHUB_ACTIONS") else "dev"


def profile(name: str) -> settings:
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown profile {name!r}; choose one of: {PROFILE_HELP}") from None
