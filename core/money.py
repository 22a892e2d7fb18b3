"""Money is an integer number of cents everywhere: these turn it into text without a float,
and read a dollar amount a person typed (a price, a refund) into cents."""

import re
from decimal import ROUND_HALF_UP, Decimal

from django import forms

# Plain ASCII digits with an optional decimal point: what a person types as an amount.
# Python's Decimal would also take "1e3", "1_000", "NaN" or non-Latin digits such as "\uff19\uff19",
# which nobody means as money.
_DOLLARS = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)", re.ASCII)


class DollarField(forms.DecimalField):
    """A DecimalField that accepts only plainly written dollar amounts ("69", "69.50")."""

    def to_python(self, value):
        if value not in self.empty_values:
            value = str(value).strip()
            if value and not _DOLLARS.fullmatch(value):
                raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


def cents_from_dollars(amount):
    """Decimal("69.50") -> 6950 (half a cent rounds up; fields allow two decimals anyway)."""
    return int((amount * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def format_money(cents):
    """Prices: 6900 -> "$69", 12345 -> "$123.45", 200000 -> "$2,000"; None -> ""."""
    if cents is None or cents == "":
        return ""
    sign, dollars, rest = _split(cents)
    text = f"{sign}${dollars:,}"
    return f"{text}.{rest:02d}" if rest else text


def format_money_exact(cents):
    """Receipts and refunds, always two decimals: 0 -> "$0.00", 6900 -> "$69.00"."""
    if cents is None or cents == "":
        return ""
    sign, dollars, rest = _split(cents)
    return f"{sign}${dollars:,}.{rest:02d}"


def decimal_amount(cents):
    """Plain decimal text for machines (JSON-LD offers): 6905 -> "69.05"."""
    sign, dollars, rest = _split(cents)
    return f"{sign}{dollars}.{rest:02d}"


def _split(cents):
    cents = int(cents)
    dollars, rest = divmod(abs(cents), 100)
    return ("-" if cents < 0 else ""), dollars, rest
