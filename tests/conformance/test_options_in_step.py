"""options.py repeats a few constants so that pytest's start-up imports no torch or hypothesis;
they must stay those of the modules they stand for."""

from __future__ import annotations

from conformance import device_support, options, profiles, time_limits


def test_the_plugins_light_constants_match_the_heavy_modules() -> None:
    assert options.PROFILE_NAMES == tuple(profiles.PROFILES)
    assert options.DEFAULT_DEVICES == device_support.DEFAULT_DEVICES
    assert options.DEFAULT_TIMEOUT == time_limits.DEFAULT_SECONDS
