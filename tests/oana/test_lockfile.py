"""Dependencies are ranges with an upper bound in pyproject.toml, resolved by `make lock` into
uv.lock and exported, every package pinned and hashed, to the requirement files the Makefile
installs from with `pip install --require-hashes`."""

import os
import re
import shutil
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from tests.support.commands import run

BASE_DIR = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((BASE_DIR / "pyproject.toml").read_text())
RUNTIME = [Requirement(r) for r in PYPROJECT["project"]["dependencies"]]
TEST = [Requirement(r) for r in PYPROJECT["project"]["optional-dependencies"]["test"]]
S3 = [Requirement(r) for r in PYPROJECT["project"]["optional-dependencies"]["s3"]]
EXPORTS = {
    "requirements/base.txt": RUNTIME,
    "requirements/test.txt": RUNTIME + TEST,
    "requirements/s3.txt": RUNTIME + S3,  # a bucket for health files (docs/operations.md)
}
UPPER_BOUND_OPERATORS = {"<", "<=", "==", "~=", "==="}


def pinned(path):
    """{name: (version, hashes)} from a `uv export --hashes` file (backslash continuations)."""
    text = (BASE_DIR / path).read_text().replace("\\\n", " ")
    packages = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        requirement, *options = re.split(r"\s+--", line)
        match = re.fullmatch(r"([A-Za-z0-9._-]+)==(\S+)(\s*;.*)?", requirement.strip())
        assert match, f"{path}: not pinned to one version: {requirement!r}"
        hashes = [o.removeprefix("hash=") for o in options if o.startswith("hash=")]
        packages[canonicalize_name(match[1])] = (match[2], hashes)
    return packages


@pytest.mark.parametrize("requirement", RUNTIME + TEST + S3, ids=str)
def test_every_dependency_has_an_upper_bound(requirement):
    operators = {spec.operator for spec in requirement.specifier}
    assert operators & UPPER_BOUND_OPERATORS, f"{requirement} has no upper bound"


@pytest.mark.parametrize("path", EXPORTS)
def test_every_exported_package_is_pinned_with_hashes(path):
    packages = pinned(path)
    assert packages, f"{path} pins nothing"
    for name, (_, hashes) in packages.items():
        assert hashes, f"{path}: {name} carries no --hash"
        assert all(re.fullmatch(r"sha256:[0-9a-f]{64}", h) for h in hashes), (name, hashes)


@pytest.mark.parametrize("path", EXPORTS)
def test_exports_pin_every_direct_dependency_inside_its_range(path):
    packages = pinned(path)
    for requirement in EXPORTS[path]:
        name = canonicalize_name(requirement.name)
        assert name in packages, f"{path} lacks {name}: run `make lock`"
        version, _ = packages[name]
        assert requirement.specifier.contains(version, prereleases=True), (
            f"{path} pins {name}=={version}, outside {requirement.specifier}: run `make lock`"
        )


def test_uv_lock_was_made_from_the_current_pyproject():
    lock = tomllib.loads((BASE_DIR / "uv.lock").read_text())
    (project,) = [p for p in lock["package"] if p["name"] == PYPROJECT["project"]["name"]]
    locked = {
        (canonicalize_name(r["name"]), str(SpecifierSet(r.get("specifier", ""))))
        for r in project["metadata"]["requires-dist"]
    }
    declared = {(canonicalize_name(r.name), str(r.specifier)) for r in RUNTIME + TEST + S3}
    assert locked == declared, "pyproject.toml changed since uv.lock was made: run `make lock`"
    assert lock["requires-python"] == PYPROJECT["project"]["requires-python"]


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_installs_from_the_hashed_exports(tmp_path):
    """A dry run of a fresh install: pip, the hashed files, nothing resolved at install time."""
    venv = tmp_path / "venv"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}
    result = run(
        ["make", "--no-print-directory", "-n", f"VENV={venv}", f"{venv}/.installed-test"], env=env
    )
    assert result.returncode == 0, result.stderr
    pip = f"{venv}/bin/python -m pip install --quiet"
    installs = [line for line in result.stdout.splitlines() if line.startswith(pip)]
    assert installs == [
        f"{pip} --upgrade pip",
        f"{pip} --require-hashes -r requirements/base.txt",
        f"{pip} --require-hashes -r requirements/test.txt",
    ]
