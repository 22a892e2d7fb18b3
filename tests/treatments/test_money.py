"""Money is formatted from integer cents, and prices change only through one service."""

import pytest
from django.template import Context, Template

from core.money import format_money
from treatments.models import Plan, PriceChange, Treatment
from treatments.seed import load_catalog
from treatments.services import PriceError, change_plan_amount


@pytest.mark.parametrize(
    ("cents", "text"),
    [
        (6900, "$69"),
        (6950, "$69.50"),
        (6905, "$69.05"),
        (1, "$0.01"),
        (200000, "$2,000"),
        (19999, "$199.99"),
        (None, ""),
    ],
)
def test_format_money(cents, text):
    assert format_money(cents) == text


def test_money_filter_and_price_range_tag():
    template = Template(
        "{% load catalog %}{{ cents|money }} {% price_range 1400 6900 %} {% price_range 4300 4300 %}"
    )
    assert template.render(Context({"cents": 2250})) == "$22.50 $14-$69 $43"


@pytest.mark.django_db
def test_change_plan_amount_records_old_new_and_who(django_user_model):
    load_catalog()
    staff = django_user_model.objects.create_user("pricing", is_staff=True)
    plan = Plan.objects.get(treatment__slug="oral-minoxidil")

    change = change_plan_amount(plan, 2750, by=staff)

    assert plan.amount_cents == 2750
    assert Plan.objects.get(pk=plan.pk).amount_cents == 2750
    assert (change.old_amount_cents, change.new_amount_cents, change.changed_by) == (
        2500,
        2750,
        staff,
    )
    # Same amount again: nothing to record.
    assert change_plan_amount(plan, 2750, by=staff) is None
    assert PriceChange.objects.filter(plan=plan).count() == 2  # seed + this change


@pytest.mark.django_db
@pytest.mark.parametrize("bad", [0, -100, 12.5, "1000"])
def test_change_plan_amount_refuses_bad_amounts(bad):
    load_catalog()
    plan = Plan.objects.get(treatment__slug="oral-minoxidil")
    with pytest.raises(PriceError):
        change_plan_amount(plan, bad, by=None)
    assert Plan.objects.get(pk=plan.pk).amount_cents == 2500


@pytest.mark.django_db
def test_price_history_survives_while_the_treatment_is_hidden():
    load_catalog()
    Treatment.objects.filter(slug="oral-minoxidil").update(is_active=False)
    plan = Plan.objects.get(treatment__slug="oral-minoxidil")
    change_plan_amount(plan, 2600, by=None)
    assert list(
        PriceChange.objects.filter(plan=plan).values_list("old_amount_cents", "new_amount_cents")
    ) == [(2500, 2600), (None, 2500)]
