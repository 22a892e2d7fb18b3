"""Rules about how the code is written that a test can read off the source."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ("oana", "articles", "treatments", "legal", "orders")


def calls_to(name):
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
                if isinstance(node, ast.Call):
                    func = node.func
                    called = (
                        func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                    )
                    if called == name:
                        yield path.relative_to(ROOT), node


def test_format_html_always_has_arguments():
    """Django 6 refuses format_html() with a format string alone (use mark_safe then)."""
    bare = [
        f"{path}:{node.lineno}"
        for path, node in calls_to("format_html")
        if len(node.args) < 2 and not node.keywords
    ]
    assert not bare, bare
