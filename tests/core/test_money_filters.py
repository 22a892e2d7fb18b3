"""The money filters every template has without {% load %} (core.templatetags.money)."""

import pytest
from django.template import Context, Template

TEMPLATE = Template("[{{ cents|money }}|{{ cents|money_exact }}]")


@pytest.mark.parametrize("cents, shown", [(2250, "[$22.50|$22.50]"), (2200, "[$22|$22.00]")])
def test_cents_are_shown_in_dollars(cents, shown):
    assert TEMPLATE.render(Context({"cents": cents})) == shown


@pytest.mark.parametrize("context", [{}, {"cents": None}, {"cents": ""}, {"cents": "n/a"}])
def test_a_missing_or_unreadable_amount_renders_as_nothing_not_an_error(context):
    """Filters fail silently: a template (an email, say) still renders without the amount."""
    assert TEMPLATE.render(Context(context)) == "[|]"
