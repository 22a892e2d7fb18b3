"""`make test` measures coverage; only a full run is held to COV_FAIL_UNDER. Lines that one
database cannot run are left out of that database's figure by the pragma rules in
pyproject.toml (coverage-conditional-plugin)."""

import json
import os
import re
import shutil
import sys
from pathlib import Path

import pytest

from tests.support.commands import run

BASE_DIR = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def make_test_command():
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}

    def pytest_line(pytest_args):
        result = run(
            ["make", "--no-print-directory", "-n", "test", f"PYTEST_ARGS={pytest_args}"], env=env
        )
        assert result.returncode == 0, result.stderr
        (line,) = [line for line in result.stdout.splitlines() if " -m pytest " in line]
        return line

    return pytest_line


@pytest.mark.parametrize(
    "pytest_args", ["", "-p no:cacheprovider", "-x -q -p no:cacheprovider", "-ra --tb=short"]
)
def test_a_full_run_is_held_to_the_threshold(make_test_command, pytest_args):
    line = make_test_command(pytest_args)
    assert "--cov " in line
    assert re.search(r"--cov-fail-under=\d+", line), line


@pytest.mark.parametrize(
    "pytest_args",
    [
        "tests/test_site.py",
        "tests/test_site.py::test_robots_txt_points_at_sitemap -x",
        "-p no:cacheprovider tests/oana",
        "-k healthz",
        "-m browser",
        "--lf",
    ],
)
def test_a_subset_reports_coverage_without_the_threshold(make_test_command, pytest_args):
    line = make_test_command(pytest_args)
    assert "--cov " in line
    assert "--cov-fail-under" not in line, line


MODULE = """\
import os
if os.environ.get("NEVER_SET_1"):  # pragma: postgres only
    postgres = True
if os.environ.get("NEVER_SET_2"):  # pragma: sqlite only
    sqlite = True
"""


def excluded_lines(tmp_path, database_url):
    """Run coverage with the project's configuration over MODULE: the lines it leaves out."""
    (tmp_path / "module.py").write_text(MODULE)
    env = {**os.environ, "DATABASE_URL": database_url}
    rcfile = f"--rcfile={BASE_DIR / 'pyproject.toml'}"
    for command in (
        ["run", rcfile, "--source=.", "module.py"],
        ["json", rcfile, "-o", "coverage.json"],
    ):
        result = run([sys.executable, "-m", "coverage", *command], env=env, cwd=tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads((tmp_path / "coverage.json").read_text())
    return report["files"]["module.py"]["excluded_lines"]


def test_postgres_only_lines_are_left_out_of_the_sqlite_run(tmp_path):
    assert excluded_lines(tmp_path, "sqlite:///db.sqlite3") == [2, 3]
    assert excluded_lines(tmp_path, "") == [2, 3]


def test_sqlite_only_lines_are_left_out_of_the_postgres_run(tmp_path):
    assert excluded_lines(tmp_path, "postgres://postgres@127.0.0.1:5432/test") == [4, 5]
