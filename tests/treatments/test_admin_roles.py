"""A catalog manager (not a superuser) works the catalog admin; every price path is recorded."""

import pytest
from django.urls import reverse

from tests.support.staff import sign_in, staff
from tests.treatments.test_admin_prices import change_url, form_data, post_plan_price
from treatments.models import Category, Plan, PriceChange, Treatment
from treatments.seed import load_catalog

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager_client(client):
    load_catalog()
    user = staff("catalog-manager", "carla")
    sign_in(client, user)
    client.user = user
    return client


def test_catalog_manager_changes_a_price_and_is_recorded(manager_client):
    treatment = Treatment.objects.get(slug="hairless-hype")
    assert post_plan_price(manager_client, treatment, "65").status_code == 302
    change = PriceChange.objects.filter(plan__treatment=treatment).first()
    assert (change.old_amount_cents, change.new_amount_cents) == (6900, 6500)
    assert change.changed_by == manager_client.user
    # The history is readable (not editable) by the person who made it.
    listing = manager_client.get(reverse("admin:treatments_pricechange_changelist"))
    assert listing.status_code == 200
    assert "Hairless Hype" in listing.content.decode()
    history = manager_client.get(change_url(treatment)).content.decode()
    assert '<table class="price-history">' in history and "carla" in history


def test_creating_a_treatment_with_its_plan_starts_the_history(manager_client):
    category = Category.objects.get(slug="hair-loss")
    add = reverse("admin:treatments_treatment_add")
    data = form_data(manager_client.get(add))
    data.update(
        {
            "name": "Scalp Serum",
            "slug": "scalp-serum",
            "category": str(category.pk),
            "form": "topical",
            "display_order": "9",
            "is_active": "on",
            "prescription_required": "on",
            "plans-TOTAL_FORMS": "1",
            "plans-0-name": "Monthly",
            "plans-0-amount": "31.50",
            "plans-0-interval": "month",
            "plans-0-is_active": "on",
            "plans-0-display_order": "0",
        }
    )
    response = manager_client.post(add, data)
    assert response.status_code == 302, response.context and response.context["errors"]
    plan = Plan.objects.get(treatment__slug="scalp-serum")
    assert plan.amount_cents == 3150
    change = PriceChange.objects.get(plan=plan)
    assert (change.old_amount_cents, change.new_amount_cents, change.changed_by) == (
        None,
        3150,
        manager_client.user,
    )
    assert "$25-$43/month" in manager_client.get("/treatments/hair-loss/").content.decode()
    page = manager_client.get("/treatments/hair-loss/scalp-serum/")
    assert page.status_code == 200 and "$31.50" in page.content.decode()


def test_list_editing_and_actions_never_touch_prices(manager_client):
    changelist = reverse("admin:treatments_treatment_changelist")
    treatments = list(Treatment.objects.order_by("pk"))
    before = dict(Plan.objects.values_list("pk", "amount_cents"))
    history = PriceChange.objects.count()

    data = {
        "form-TOTAL_FORMS": str(len(treatments)),
        "form-INITIAL_FORMS": str(len(treatments)),
        "_save": "Save",
    }
    listing = manager_client.get(changelist)
    for index, treatment in enumerate(listing.context["cl"].result_list):
        data[f"form-{index}-id"] = str(treatment.pk)
        data[f"form-{index}-display_order"] = str(50 - index)
        if treatment.slug != "hairless-hype":
            data[f"form-{index}-is_active"] = "on"
    assert manager_client.post(changelist, data).status_code == 302
    assert not Treatment.objects.get(slug="hairless-hype").is_active
    assert manager_client.get("/treatments/unwanted-hair/hairless-hype/").status_code == 404

    selected = [t.pk for t in treatments]
    for action in ("deactivate", "activate"):
        response = manager_client.post(changelist, {"action": action, "_selected_action": selected})
        assert response.status_code == 302
    assert Treatment.objects.filter(is_active=True).count() == len(treatments)
    assert dict(Plan.objects.values_list("pk", "amount_cents")) == before
    assert PriceChange.objects.count() == history


def test_plans_cannot_be_deleted_from_the_admin(manager_client):
    treatment = Treatment.objects.get(slug="hairless-hype")
    data = form_data(manager_client.get(change_url(treatment)))
    data["plans-0-DELETE"] = "on"
    manager_client.post(change_url(treatment), data)
    assert Plan.objects.filter(treatment=treatment).count() == 1
