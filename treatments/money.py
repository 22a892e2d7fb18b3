"""Money is an integer number of cents everywhere; these turn it into text without a float."""


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
