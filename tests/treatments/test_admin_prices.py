"""Catalog managers change prices in the admin; the whole site follows and history is kept."""

import re

import pytest
from django.urls import reverse

from articles.seed import load_articles
from tests.support.staff import sign_in
from treatments.models import Plan, PriceChange, Treatment
from treatments.seed import load_catalog

pytestmark = pytest.mark.django_db

HAIRLESS_HYPE = "/treatments/unwanted-hair/hairless-hype/"


@pytest.fixture
def catalog():
    load_catalog()


@pytest.fixture
def manager(django_user_model):
    return django_user_model.objects.create_superuser("catalog", "catalog@oana.example", None)


@pytest.fixture
def admin_client(client, manager):
    sign_in(client, manager)
    return client


def change_url(treatment):
    return reverse("admin:treatments_treatment_change", args=[treatment.pk])


def form_data(response):
    """Everything the admin change form would post back unchanged, inlines included."""
    data = {}
    form = response.context["adminform"].form
    for name in form.fields:
        value = form[name].value()
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        elif isinstance(value, list | tuple):
            data[name] = [str(v) for v in value]
        elif value is not None:
            data[name] = str(value)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[f"{formset.prefix}-{name}"] = str(management[name].value())
        for subform in formset.forms:
            for name in subform.fields:
                value = subform[name].value()
                key = f"{subform.prefix}-{name}"
                if isinstance(value, bool):
                    if value:
                        data[key] = "on"
                elif value is not None:
                    data[key] = str(value)
    return data


def post_plan_price(client, treatment, amount, **extra):
    response = client.get(change_url(treatment))
    assert response.status_code == 200
    data = form_data(response)
    data["plans-0-amount"] = amount
    data.update(extra)
    return client.post(change_url(treatment), data)


def text_of(response):
    html = re.sub(r"</?(small|span|strong|em|a)\b[^>]*>", "", response.content.decode())
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_amount_is_shown_in_dollars(admin_client, catalog):
    treatment = Treatment.objects.get(slug="hairless-hype")
    response = admin_client.get(change_url(treatment))
    assert 'name="plans-0-amount"' in response.content.decode()
    assert response.context["inline_admin_formsets"][0].formset.forms[0]["amount"].value() == 69


def test_price_edit_changes_every_page_and_records_who(admin_client, client, manager, catalog):
    load_articles()  # the seed article's options table is rendered from the live catalog
    treatment = Treatment.objects.get(slug="hairless-hype")
    response = post_plan_price(admin_client, treatment, "65.00")
    assert response.status_code == 302, response.context and response.context["errors"]

    plan = Plan.objects.get(treatment=treatment)
    assert plan.amount_cents == 6500
    change = PriceChange.objects.filter(plan=plan, changed_by=manager).get()
    assert (change.old_amount_cents, change.new_amount_cents) == (6900, 6500)
    assert change.changed_at is not None

    client.logout()
    assert "$65/month" in text_of(client.get(HAIRLESS_HYPE))
    assert "$69" not in text_of(client.get(HAIRLESS_HYPE))
    catalog_text = text_of(client.get("/treatments/"))
    assert "$14-$65/month" in catalog_text
    assert "$65/month" in text_of(client.get("/treatments/unwanted-hair/"))
    article_text = text_of(client.get("/articles/magnesium-and-insulin-resistance/"))
    assert (
        "Unwanted Hair Spironolactone, Eflornithine 12%, Hairless Hype $14-$65/month"
        in article_text
    )
    # The home page's starting prices follow too: a cheaper spironolactone moves "from".
    spironolactone = Treatment.objects.get(slug="spironolactone")
    sign_in(admin_client, manager)
    assert post_plan_price(admin_client, spironolactone, "12.50").status_code == 302
    assert "from $12.50/month" in text_of(client.get("/"))


def test_price_history_is_visible_on_the_treatment_admin_page(admin_client, manager, catalog):
    treatment = Treatment.objects.get(slug="hairless-hype")
    post_plan_price(admin_client, treatment, "65.00")
    post_plan_price(admin_client, treatment, "66.50")
    html = admin_client.get(change_url(treatment)).content.decode()
    history = re.search(r'<table class="price-history">(.*?)</table>', html, re.S).group(1)
    rows = re.findall(r"<tr>(.*?)</tr>", history, re.S)[1:]
    cells = [re.findall(r"<td>(.*?)</td>", row) for row in rows]
    assert [c[2:] for c in cells] == [
        ["$65", "$66.50", "catalog"],
        ["$69", "$65", "catalog"],
        ["(new plan)", "$69", "seed / system"],
    ]


def test_saving_without_a_price_change_records_nothing(admin_client, catalog):
    treatment = Treatment.objects.get(slug="hairless-hype")
    response = post_plan_price(admin_client, treatment, "69.00")
    assert response.status_code == 302
    assert PriceChange.objects.filter(plan__treatment=treatment).count() == 1  # the seed's


def test_other_plan_fields_save_with_the_price(admin_client, catalog):
    treatment = Treatment.objects.get(slug="hairless-hype")
    response = post_plan_price(admin_client, treatment, "70", **{"plans-0-name": "Monthly supply"})
    assert response.status_code == 302
    plan = Plan.objects.get(treatment=treatment)
    assert (plan.name, plan.amount_cents) == ("Monthly supply", 7000)


def test_adding_a_plan_starts_its_history(admin_client, manager, catalog):
    treatment = Treatment.objects.get(slug="hairless-hype")
    data = form_data(admin_client.get(change_url(treatment)))
    data.update(
        {
            "plans-TOTAL_FORMS": "2",
            "plans-1-name": "Monthly, sensitive skin",
            "plans-1-amount": "72.25",
            "plans-1-interval": "month",
            "plans-1-is_active": "on",
            "plans-1-display_order": "1",
        }
    )
    assert admin_client.post(change_url(treatment), data).status_code == 302
    plan = Plan.objects.get(treatment=treatment, name="Monthly, sensitive skin")
    assert plan.amount_cents == 7225
    change = PriceChange.objects.get(plan=plan)
    assert (change.old_amount_cents, change.new_amount_cents, change.changed_by) == (
        None,
        7225,
        manager,
    )


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("-5", "The price must be more than $0."),
        ("0", "The price must be more than $0."),
        ("0.00", "The price must be more than $0."),
        ("12.345", "at most two decimals"),
        ("2000.01", "Prices are capped at $2,000 a month"),
        ("99999999", "Prices are capped at $2,000 a month"),
        ("sixty", "Enter the price as a number of dollars"),
        ("", "This field is required."),
        ("   ", "This field is required."),
        # Python's Decimal reads these as numbers; a catalog manager never means them as prices.
        ("1e3", "Enter the price as a number of dollars"),
        ("1E-2", "Enter the price as a number of dollars"),
        ("1_000", "Enter the price as a number of dollars"),
        ("NaN", "Enter the price as a number of dollars"),
        ("Infinity", "Enter the price as a number of dollars"),
        ("-Infinity", "Enter the price as a number of dollars"),
        ("\u0666\u0669", "Enter the price as a number of dollars"),  # Arabic-Indic digits
        ("$69", "no $ sign or commas"),
        ("69,00", "no $ sign or commas"),
        ("1,000", "no $ sign or commas"),
        ("9" * 400, "Prices are capped at $2,000 a month"),
    ],
)
def test_invalid_prices_are_rejected_and_nothing_is_saved(admin_client, catalog, amount, message):
    treatment = Treatment.objects.get(slug="hairless-hype")
    response = post_plan_price(admin_client, treatment, amount, tagline="Changed tagline")
    assert response.status_code == 200
    assert message in response.content.decode()
    assert "Please correct the error" in response.content.decode()
    treatment.refresh_from_db()
    assert treatment.tagline != "Changed tagline"
    assert Plan.objects.get(treatment=treatment).amount_cents == 6900
    assert PriceChange.objects.filter(plan__treatment=treatment).count() == 1


@pytest.mark.parametrize(("amount", "cents"), [(" 65.5 ", 6550), ("65.", 6500), (".99", 99)])
def test_plainly_written_prices_are_accepted(admin_client, manager, catalog, amount, cents):
    treatment = Treatment.objects.get(slug="hairless-hype")
    assert post_plan_price(admin_client, treatment, amount).status_code == 302
    assert Plan.objects.get(treatment=treatment).amount_cents == cents
    assert PriceChange.objects.filter(plan__treatment=treatment, changed_by=manager).get()


def test_cents_are_shown_with_two_decimals(admin_client, catalog):
    treatment = Treatment.objects.get(slug="hairless-hype")
    post_plan_price(admin_client, treatment, "65.5")
    html = admin_client.get(change_url(treatment)).content.decode()
    assert re.search(r'name="plans-0-amount" value="65.50"', html)


def test_the_upper_bound_itself_is_allowed(admin_client, catalog):
    treatment = Treatment.objects.get(slug="hairless-hype")
    assert post_plan_price(admin_client, treatment, "2000").status_code == 302
    assert Plan.objects.get(treatment=treatment).amount_cents == 200000


def test_treatment_list_shows_starting_price_without_n_plus_one(
    admin_client, catalog, django_assert_max_num_queries
):
    with django_assert_max_num_queries(8):
        response = admin_client.get(reverse("admin:treatments_treatment_changelist"))
    text = text_of(response)
    assert "Hairless Hype" in text and "$69/month" in text
    assert "Unwanted Hair" in text


def test_deactivate_action_hides_treatments(admin_client, client, catalog):
    treatment = Treatment.objects.get(slug="hairless-hype")
    response = admin_client.post(
        reverse("admin:treatments_treatment_changelist"),
        {"action": "deactivate", "_selected_action": [treatment.pk]},
    )
    assert response.status_code == 302
    treatment.refresh_from_db()
    assert not treatment.is_active
    client.logout()
    assert client.get(HAIRLESS_HYPE).status_code == 404


def test_price_changes_are_read_only_in_the_admin(admin_client, catalog):
    change = PriceChange.objects.first()
    assert admin_client.get(reverse("admin:treatments_pricechange_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:treatments_pricechange_add")).status_code == 403
    url = reverse("admin:treatments_pricechange_change", args=[change.pk])
    admin_client.post(url, {"new_amount_cents": "1"})
    change.refresh_from_db()
    assert change.new_amount_cents != 1
    delete = reverse("admin:treatments_pricechange_delete", args=[change.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403


def test_other_catalog_admin_pages_render(admin_client, catalog):
    for name in ("category", "testimonial", "treatment"):
        assert admin_client.get(reverse(f"admin:treatments_{name}_changelist")).status_code == 200
        assert admin_client.get(reverse(f"admin:treatments_{name}_add")).status_code == 200


def test_treatment_list_says_which_treatments_have_no_plan_on_sale(admin_client, catalog):
    Plan.objects.filter(treatment__slug="hairless-hype").update(is_active=False)
    html = admin_client.get(reverse("admin:treatments_treatment_changelist")).content.decode()
    prices = dict(
        re.findall(
            r'<th class="field-name"><a href="[^"]*">([^<]+)</a></th>'
            r'<td class="field-category[^"]*">[^<]*</td>'
            r'<td class="field-starting_price">([^<]*)</td>',
            html,
        )
    )
    assert prices["Hairless Hype"] == "No active plan"
    assert prices["Eflornithine 12%"] == "$39/month"
