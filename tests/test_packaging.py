"""The distribution as users receive it: a wheel built from this tree, with its licence, its URLs,
the ``py.typed`` marker, and a public API that a user's type checker can read."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

from lint_rules.urls import PROJECT_URLS

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
SHIPPED = ("pyproject.toml", "README.md", "LICENSE", "conformance", "lint_rules")


def test_the_urls_the_linter_prints_are_the_ones_pyproject_declares():
    assert PROJECT_URLS == PYPROJECT["project"]["urls"]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """A wheel built (by the setuptools of this environment) from a copy of the shipped files."""
    source = tmp_path_factory.mktemp("source")
    for name in SHIPPED:
        if (ROOT / name).is_dir():
            shutil.copytree(
                ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__")
            )
        else:
            shutil.copy2(ROOT / name, source / name)
    out = tmp_path_factory.mktemp("wheel")
    build = "import sys; from setuptools import build_meta; build_meta.build_wheel(sys.argv[1])"
    done = subprocess.run(
        [sys.executable, "-c", build, str(out)],
        cwd=source,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    [built] = out.glob("*.whl")
    return built


def wheel_text(wheel: Path, suffix: str) -> str:
    with zipfile.ZipFile(wheel) as archive:
        [name] = [name for name in archive.namelist() if name.endswith(suffix)]
        return archive.read(name).decode("utf-8")


def test_the_wheel_carries_the_mit_licence(wheel):
    licence = wheel_text(wheel, ".dist-info/licenses/LICENSE")
    assert licence.startswith("MIT License\n\nCopyright (c) 2026 the birnn-conformance authors\n")
    metadata = Parser().parsestr(wheel_text(wheel, ".dist-info/METADATA"))
    assert metadata["License-Expression"] == "MIT"


def test_the_wheel_declares_the_project_urls(wheel):
    metadata = Parser().parsestr(wheel_text(wheel, ".dist-info/METADATA"))
    declared = dict(entry.split(", ", 1) for entry in metadata.get_all("Project-URL"))
    assert declared == PROJECT_URLS


def test_the_wheel_marks_conformance_as_typed(wheel):
    with zipfile.ZipFile(wheel) as archive:
        assert "conformance/py.typed" in archive.namelist()


USER_CODE = """\
from torch import nn

from conformance import LayerSpec, check_layer, parametrize_with_checks

spec = LayerSpec.from_class(nn.GRU, kind="gru")
decorator = parametrize_with_checks([spec], devices=["cpu"], profile="ci")
ok: bool = check_layer(nn.LSTM, clauses=["C1"]).ok
wrong: int = check_layer(spec)
"""

USER_MYPY_CONFIG = """\
[mypy]
strict = True
[mypy-torch.*,hypothesis.*]
follow_imports = skip
"""


def test_a_users_type_checker_reads_the_public_api(wheel, tmp_path):
    """In a virtual environment with the wheel installed, mypy checks a user's calls of
    LayerSpec, check_layer and parametrize_with_checks against their annotations: only the one
    wrong line fails. Without py.typed mypy would refuse to read the package at all."""
    pytest.importorskip("mypy")
    environment = tmp_path / "venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", "--system-site-packages", environment],
        check=True,
        timeout=120,
    )
    python = environment / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-deps", wheel],
        check=True,
        timeout=300,
    )
    (tmp_path / "user.py").write_text(USER_CODE)
    (tmp_path / "mypy.ini").write_text(USER_MYPY_CONFIG)
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--python-executable", python, "user.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    errors = [line for line in done.stdout.splitlines() if ": error: " in line]
    assert len(errors) == 1, done.stdout
    assert errors[0].startswith("user.py:8: error: Incompatible types in assignment")
    assert '"Report"' in errors[0]


def test_type_checkers_see_every_public_name_where_the_lazy_import_finds_it():
    """``conformance`` imports its API lazily; the ``TYPE_CHECKING`` imports that type checkers
    read instead must name the same objects, from the same modules."""
    import conformance

    tree = ast.parse((ROOT / "conformance" / "__init__.py").read_text(encoding="utf-8"))
    [block] = [
        node
        for node in tree.body
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING"
    ]
    seen = {
        alias.asname: node.module
        for node in block.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
        if alias.asname == alias.name
    }
    assert seen == conformance._PUBLIC


def readme_text() -> str:
    """The README with its line breaks folded, so that a test can quote a sentence."""
    return " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())


def test_the_readme_names_the_plugin_the_way_pytest_disables_it(tmp_path):
    [name] = PYPROJECT["project"]["entry-points"]["pytest11"]
    assert f"`pytest -p no:{name}`" in readme_text()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", f"no:{name}", "--birnn-layer", "torch.nn:LSTM"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 4 and "unrecognized arguments: --birnn-layer" in done.stderr


def git(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *arguments], cwd=ROOT, capture_output=True, text=True)


def test_the_readme_pre_commit_rev_is_a_commit_that_defines_the_hooks():
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    if git("rev-parse", "--is-shallow-repository").stdout.strip() == "true":
        pytest.skip("a shallow clone lacks older commits")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    snippet = readme.split("### pre-commit", 1)[1].split("```yaml", 1)[1].split("```", 1)[0]
    [rev] = re.findall(r"^\s+rev: (\S+)", snippet, flags=re.MULTILINE)
    assert re.fullmatch(r"[0-9a-f]{40}", rev), "pin a full commit sha: no version is tagged"
    manifest = git("show", f"{rev}:.pre-commit-hooks.yaml")
    assert manifest.returncode == 0, manifest.stderr
    for hook in re.findall(r"- id: (\S+)", snippet):
        assert f"- id: {hook}\n" in manifest.stdout
