"""Dependencies run one way (docs/architecture.md): core imports no app and every app may
import it; orders uses treatments, articles points at treatments, treatments imports neither,
legal imports none (orders points at it), and no app (migrations included) imports oana."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APPS = {"core", "articles", "treatments", "legal", "orders", "oana"}
FORBIDDEN = {
    "core": APPS - {"core"},
    "treatments": {"articles", "orders", "oana"},
    "articles": {"orders", "oana"},
    "orders": {"articles", "oana"},
    "legal": {"articles", "treatments", "orders", "oana"},  # a leaf: orders points at it
}


def imported_packages(path):
    """Top-level packages imported by the module at ``path`` (absolute imports)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.split(".")[0]


@pytest.mark.parametrize("app", sorted(FORBIDDEN))
def test_app_imports_only_what_it_may(app):
    wrong = {
        f"{path.relative_to(ROOT)} imports {package}"
        for path in (ROOT / app).rglob("*.py")
        for package in imported_packages(path)
        if package in FORBIDDEN[app]
    }
    assert not wrong, sorted(wrong)
