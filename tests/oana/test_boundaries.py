"""Dependencies run one way (docs/architecture.md).

- ``core`` imports no app, and every app may import it;
- ``treatments``, ``legal`` and ``articles`` sit low: treatments imports none of the others,
  articles points at treatments, legal imports no app;
- ``orders``, ``payments``, ``clinic`` and ``patients`` sit above them and may import one
  another where the domain needs it;
- no app (migrations included) imports ``oana``, the project package;
- and no two modules import each other, directly or round a loop, counting the imports
  inside functions too (a function-local import only hides a cycle, it does not break it).
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APPS = {
    "core",
    "articles",
    "treatments",
    "legal",
    "orders",
    "payments",
    "clinic",
    "patients",
}
UPPER = {"orders", "payments", "clinic", "patients"}
FORBIDDEN = {
    "core": APPS - {"core"} | {"oana"},
    "treatments": UPPER | {"articles", "legal", "oana"},
    "articles": UPPER | {"legal", "oana"},
    "legal": UPPER | {"articles", "treatments", "oana"},
    **{app: {"articles", "oana"} for app in UPPER},
}


def imports_of(path):
    """(module, names) for each absolute import in the module at ``path``, at any depth."""
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, ()
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module, tuple(alias.name for alias in node.names)


def imported_packages(path):
    return {module.split(".")[0] for module, _ in imports_of(path)}


@pytest.mark.parametrize("app", sorted(FORBIDDEN))
def test_app_imports_only_what_it_may(app):
    wrong = {
        f"{path.relative_to(ROOT)} imports {package}"
        for path in (ROOT / app).rglob("*.py")
        for package in imported_packages(path)
        if package in FORBIDDEN[app]
    }
    assert not wrong, sorted(wrong)


def module_name(path):
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def module_graph():
    """Each application module (migrations aside) and the application modules it imports."""
    paths = [
        path
        for app in sorted(APPS | {"oana"})
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts
    ]
    modules = {module_name(path) for path in paths}
    graph = {}
    for path in paths:
        edges = set()
        for module, names in imports_of(path):
            submodules = {f"{module}.{name}" for name in names} & modules
            if submodules:
                edges |= submodules  # `from orders.services import holds` imports holds
            if module in modules and (not submodules or len(submodules) < len(names)):
                edges.add(module)
        graph[module_name(path)] = edges - {module_name(path)}
    return graph


def find_cycle(graph):
    """One import cycle as a list of modules, or None."""
    done, on_path = set(), []

    def visit(module):
        if module in on_path:
            return on_path[on_path.index(module) :] + [module]
        if module in done:
            return None
        on_path.append(module)
        for imported in sorted(graph.get(module, ())):
            cycle = visit(imported)
            if cycle:
                return cycle
        on_path.pop()
        done.add(module)
        return None

    for module in sorted(graph):
        cycle = visit(module)
        if cycle:
            return cycle
    return None


def test_no_import_cycle_between_modules():
    cycle = find_cycle(module_graph())
    assert cycle is None, " -> ".join(cycle)


def test_the_cycle_finder_finds_a_cycle():
    """The check above would see a loop hidden in a function-local import."""
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_function_local_imports_count(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from orders.services import holds\n")
    assert list(imports_of(module)) == [("orders.services", ("holds",))]
