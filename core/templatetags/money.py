"""Money in templates, on every page without ``{% load %}`` (settings' template builtins).

``{{ plan.amount_cents|money }}`` for prices ("$69", "$22.50") and ``|money_exact`` for
receipts and refunds ("$69.00"). A value that is not a number of cents shows as nothing."""

from django import template

from core import billing_terms
from core.money import format_money, format_money_exact

register = template.Library()


def _cents(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@register.filter
def money(cents):
    """Whole dollars without cents, otherwise two decimals."""
    return format_money(_cents(cents))


@register.filter
def money_exact(cents):
    """Always two decimals, for receipts: 0 -> "$0.00"."""
    return format_money_exact(_cents(cents))


@register.inclusion_tag("includes/money_and_time.html")
def money_and_time(monthly_cents, dated=False):
    """``{% money_and_time cents %}`` (cadence only, for cached public pages) or
    ``{% money_and_time cents dated=True %}`` (with the next charge's date)."""
    return billing_terms.money_and_time(_cents(monthly_cents) or 0, dated=dated)
