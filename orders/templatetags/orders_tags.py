from django import template

register = template.Library()


@register.filter
def dollars(cents):
    """2200 -> "$22", 2250 -> "$22.50" (prices are whole cents)."""
    try:
        cents = int(cents)
    except (TypeError, ValueError):
        return ""
    whole, part = divmod(cents, 100)
    return f"${whole:,}" if part == 0 else f"${whole:,}.{part:02d}"


@register.filter
def dollars_exact(cents):
    """Always two decimals, for receipts: 0 -> "$0.00"."""
    try:
        cents = int(cents)
    except (TypeError, ValueError):
        return ""
    return f"${cents / 100:,.2f}"
