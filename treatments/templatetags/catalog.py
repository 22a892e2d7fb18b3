"""Live-catalog snippets for any template ({% load catalog %}); money filters are builtins."""

from django import template

from core.money import format_money

from .. import dosing
from ..services import catalog_sections

register = template.Library()


@register.filter
def what_arrives(medicine):
    """``{{ medicine|what_arrives }}``: one month's delivery (``dosing.what_arrives``)."""
    return dosing.what_arrives(medicine)


@register.simple_tag
def price_range(min_cents, max_cents):
    """``{% price_range category.min_cents category.max_cents %}``: "$14-$69" or "$43".

    Used with ``services.categories_with_prices()``, whose categories always have both.
    """
    if min_cents == max_cents:
        return format_money(min_cents)
    return f"{format_money(min_cents)}-{format_money(max_cents)}"


@register.inclusion_tag("treatments/includes/options_table.html")
def treatment_options_table(caption=""):
    """The catalog at a glance (category, options, starting price), from the live plans.

    Two queries whatever the catalog's size. Used by the seed article's "quick look at their
    treatment options" table, so a price edited in the admin shows there at once.
    """
    return {"sections": catalog_sections(), "caption": caption}
