from django import template

from treatments.money import format_money, format_money_exact

register = template.Library()


@register.filter
def dollars(cents):
    """2200 -> "$22", 2250 -> "$22.50" (prices are whole cents)."""
    try:
        return format_money(int(cents))
    except (TypeError, ValueError):
        return ""


@register.filter
def dollars_exact(cents):
    """Always two decimals, for receipts: 0 -> "$0.00"."""
    try:
        return format_money_exact(int(cents))
    except (TypeError, ValueError):
        return ""
