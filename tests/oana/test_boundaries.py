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


# --- Stripe stays behind its adapter (docs/architecture.md, "The Stripe adapter") ------------

ADAPTER = ROOT / "payments" / "gateways" / "stripe.py"
# Keys only Stripe's JSON has: reading one means reading a Stripe dict.
STRIPE_KEYS = {
    "collected_information",
    "shipping_details",
    "subscription_details",
    "current_period_end",
    "status_transitions",
    "payment_status",
    "billing_reason",
    "pause_collection",
    "latest_charge",
    "client_reference_id",
    "amount_total",
    "amount_paid",
    "payment_intent",
    "metadata",
}
# Stripe's status words, which the services must not compare anything with.
STRIPE_STATUSES = {
    "paid",
    "succeeded",
    "canceled",
    "active",
    "past_due",
    "unpaid",
    "incomplete_expired",
    "requires_action",
    "won",
    "lost",
    "warning_closed",
    "subscription_create",
    "subscription_cycle",
}


def application_modules():
    return [
        path
        for app in sorted(APPS | {"oana"})
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts
    ]


def _text(node):
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def stripe_key_reads(path):
    """Each ``x["key"]`` or ``x.get("key")`` of a Stripe-only key in the module at ``path``."""
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        key = None
        if isinstance(node, ast.Subscript):
            key = _text(node.slice)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get"
            and node.args
        ):
            key = _text(node.args[0])
        if key in STRIPE_KEYS:
            yield node.lineno, key


def status_comparisons(path):
    """Each comparison with one of Stripe's status words in the module at ``path``."""
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Compare):
            for side in [node.left, *node.comparators]:
                words = side.elts if isinstance(side, (ast.Tuple, ast.List, ast.Set)) else [side]
                for word in map(_text, words):
                    if word in STRIPE_STATUSES:
                        yield node.lineno, word


def test_only_the_stripe_adapter_imports_stripe():
    importers = [
        str(path.relative_to(ROOT))
        for path in application_modules()
        if "stripe" in imported_packages(path)
    ]
    assert importers == ["payments/gateways/stripe.py"]


def test_only_the_stripe_adapter_reads_stripe_json():
    reads = [
        read for path in application_modules() if path != ADAPTER for read in stripe_key_reads(path)
    ]
    assert not reads, reads
    assert list(stripe_key_reads(ADAPTER))  # the check sees the adapter's own reads


def test_the_payment_services_compare_no_stripe_status_string():
    services = [
        path
        for path in (ROOT / "payments").rglob("*.py")
        if path != ADAPTER and "migrations" not in path.parts
    ]
    found = [
        f"{path.relative_to(ROOT)}:{line} compares with {word!r}"
        for path in services
        for line, word in status_comparisons(path)
    ]
    assert not found, found


def test_the_checks_see_a_stripe_dict_and_a_status_string(tmp_path):
    module = tmp_path / "m.py"
    module.write_text(
        "def f(session, invoice):\n"
        "    details = session['collected_information'].get('shipping_details')\n"
        "    return invoice.get('status') in ('paid', 'open') or details\n"
    )
    assert sorted(stripe_key_reads(module)) == [
        (2, "collected_information"),
        (2, "shipping_details"),
    ]
    assert list(status_comparisons(module)) == [(3, "paid")]
