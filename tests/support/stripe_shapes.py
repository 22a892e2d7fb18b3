"""Stripe's own shapes: which keys a Stripe object can have, from Stripe's published examples.

``tests/data/stripe/examples.json`` holds, for each resource this project touches, the
example object Stripe publishes with its OpenAPI description (``fixtures3.json``, MIT
licence: ``LICENSE-examples``). What an example lacks, Stripe does not send in that object;
a test object that has it tests a world that does not exist. ``unknown_keys`` lists such
keys; the test data (tests/data/stripe/*.json) and every answer of the fake Stripe server
are checked with it.

Documented exceptions, kept here and nowhere else:

- ``invoice_payment.payment.payment_intent`` is in Stripe's API reference, though the
  example leaves it out;
- an event's ``data.previous_attributes`` (sent with ``*.updated`` events);
- ``metadata`` holds whatever keys we put there;
- ``charge.refunds`` and the event example's ``plan.aggregate_usage`` are left out of
  ``examples.json``: Stripe no longer sends them (list a charge's refunds with
  ``refunds.list(charge=...)``).
"""

import json
from functools import cache
from pathlib import Path

EXAMPLES_FILE = Path(__file__).resolve().parents[1] / "data" / "stripe" / "examples.json"

ALLOWED_EXTRA = {
    ("invoice_payment", "payment"): {"payment_intent"},
    ("event", "data"): {"previous_attributes"},
}
# Containers of other objects, checked through what they contain.
CONTAINERS = {"list", "search_result"}
# Maps whose keys are ours to choose (Stripe stores them as given).
FREE_FORM = {"metadata"}


@cache
def examples():
    return json.loads(EXAMPLES_FILE.read_text())


def unknown_keys(obj, where="$"):
    """["<path>: '<key>' ..."] for every key Stripe's example of that resource lacks."""
    problems = []
    if isinstance(obj, list):
        for index, item in enumerate(obj):
            problems += unknown_keys(item, f"{where}[{index}]")
        return problems
    if not isinstance(obj, dict):
        return problems
    kind = obj.get("object")
    if isinstance(kind, str) and kind in examples():
        problems += _against(obj, examples()[kind], (kind,), where)
    for key, value in obj.items():
        problems += unknown_keys(value, f"{where}.{key}")
    return problems


def _against(obj, example, path, where):
    problems = []
    allowed = set(example) | ALLOWED_EXTRA.get(path, set())
    for key in sorted(set(obj) - allowed):
        problems.append(f"{where}: '{key}' is not in Stripe's example of {'.'.join(path)}")
    for key, value in obj.items():
        nested = example.get(key)
        # A nested object the example spells out (not another resource, not a list of them).
        if (
            key not in FREE_FORM
            and isinstance(value, dict)
            and isinstance(nested, dict)
            and "object" not in value
            and nested.get("object") not in CONTAINERS
        ):
            problems += _against(value, nested, (*path, key), f"{where}.{key}")
    return problems
