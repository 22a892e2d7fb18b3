"""Money formatting from integer cents, shared by the catalog and orders (no floats)."""

import pytest

from core.money import decimal_amount, format_money, format_money_exact


@pytest.mark.parametrize(
    ("cents", "price", "exact", "decimal"),
    [
        (0, "$0", "$0.00", "0.00"),
        (5, "$0.05", "$0.05", "0.05"),
        (6900, "$69", "$69.00", "69.00"),
        (6905, "$69.05", "$69.05", "69.05"),
        (200000, "$2,000", "$2,000.00", "2000.00"),
        (-1250, "-$12.50", "-$12.50", "-12.50"),
        # A float would turn this into ...0.01 off; integer arithmetic never does.
        (1234567891234567, "$12,345,678,912,345.67", "$12,345,678,912,345.67", "12345678912345.67"),
    ],
)
def test_formats(cents, price, exact, decimal):
    assert format_money(cents) == price
    assert format_money_exact(cents) == exact
    assert decimal_amount(cents) == decimal


def test_missing_amounts_are_blank():
    assert format_money(None) == format_money_exact(None) == ""
