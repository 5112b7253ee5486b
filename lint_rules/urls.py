"""The project's URLs, exactly as pyproject.toml's ``[project.urls]`` declares them.

SARIF's ``informationUri`` and ``helpUri``, ``--help`` and ``birnn-lint rule`` point only at these
(a test keeps this table equal to pyproject's), so every link the tool prints is one the package
declares. A constant rather than the installed metadata: the linter also runs from a checkout.
"""

from __future__ import annotations

_REPOSITORY = "https://github.com/birnn-conformance/birnn-conformance"

PROJECT_URLS: dict[str, str] = {
    "Homepage": _REPOSITORY,
    "Documentation": f"{_REPOSITORY}#readme",
    "Repository": _REPOSITORY,
    "Issues": f"{_REPOSITORY}/issues",
    "Rules": f"{_REPOSITORY}/blob/main/docs/rules.md",
}


def rule_anchor(code: str, name: str) -> str:
    """The anchor GitHub gives the ``## CODE name`` heading of a rule in docs/rules.md."""
    return f"{code}-{name}".lower()


def rule_url(code: str, name: str) -> str:
    """The rule's section of the rules page."""
    return f"{PROJECT_URLS['Rules']}#{rule_anchor(code, name)}"


def readme_url(section: str) -> str:
    """A section of the README (``section`` is GitHub's anchor for its heading)."""
    return f"{PROJECT_URLS['Homepage']}#{section}"
