"""Live-catalog snippets for any template ({% load catalog %}); money filters are builtins."""

from django import template

from core.money import format_money

from .. import dosing
from ..services import catalog_sections, catalog_snapshot

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


@register.inclusion_tag("treatments/includes/early_treatments.html")
def early_treatment_cards(treatments, limit=2):
    """``{% early_treatment_cards article.related_treatments.all %}``: the first ``limit`` of
    ``treatments`` as the catalog's cards, with their prices, from the cached snapshot (no
    query); an article shows them after its introduction."""
    wanted = {treatment.pk for treatment in treatments}
    if not wanted:  # nothing to show: the snapshot is not even read
        return {"treatments": []}
    cards = [treatment for treatment in catalog_snapshot().treatments if treatment.pk in wanted]
    return {"treatments": cards[:limit]}
