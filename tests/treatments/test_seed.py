"""The seed catalog matches docs/design.md and can be loaded again without undoing staff edits."""

import re

import pytest

from treatments.models import PREGNANCY_UNSAFE, Category, Plan, PriceChange, Treatment
from treatments.models import Testimonial as PatientQuote
from treatments.seed import load_catalog, read_catalog
from treatments.services import categories_with_prices, change_plan_amount

pytestmark = pytest.mark.django_db

TREATMENTS = read_catalog()["treatments"]
_MEDICINES = {m["slug"]: m for m in read_catalog()["medicines"]}
UNSAFE_IN_PREGNANCY = {
    t["slug"]: any(
        _MEDICINES[m]["route"] in PREGNANCY_UNSAFE.get(c, ())
        for m in t["medicines"]
        for c in _MEDICINES[m]["drug_classes"]
    )
    for t in TREATMENTS
}

# docs/design.md, "Catalog (seed data)": category, treatment, dollars per month.
DESIGN_CATALOG = [
    ("Insulin Sensitizers", "Oral Metformin ER", 22),
    ("Insulin Sensitizers", "Metformin & Spironolactone pack", 32),
    ("Insulin Sensitizers", "Oral GLP-1 & Metformin pack", 199),
    ("Topical Treatments", "Metformin HCL Lotion 20%", 43),
    ("Unwanted Hair", "Spironolactone", 14),
    ("Unwanted Hair", "Eflornithine 12%", 39),
    ("Unwanted Hair", "Hairless Hype", 69),
    ("Hair Loss", "Oral Minoxidil", 25),
    ("Hair Loss", "Topical Spironolactone", 29),
    ("Hair Loss", "Hair Plus Plus", 43),
]


def test_seed_matches_the_design_catalog():
    load_catalog()
    rows = [
        (p.treatment.category.name, p.treatment.name, p.amount_cents)
        for p in Plan.objects.active()
        .select_related("treatment__category")
        .order_by("treatment__category__order", "treatment__display_order")
    ]
    # Integer cents: no float ever stands between docs/design.md's dollars and the database.
    assert rows == [(category, name, dollars * 100) for category, name, dollars in DESIGN_CATALOG]
    assert Treatment.objects.public().count() == 10
    assert all(p.name == "Monthly" and p.interval == "month" for p in Plan.objects.all())
    assert all(p.currency == "usd" for p in Plan.objects.all())


def test_categories_in_order_with_their_slugs():
    load_catalog()
    assert list(Category.objects.values_list("slug", "name")) == [
        ("insulin-sensitizers", "Insulin Sensitizers"),
        ("topical-treatments", "Topical Treatments"),
        ("unwanted-hair", "Unwanted Hair"),
        ("hair-loss", "Hair Loss"),
    ]


def test_category_ranges_are_computed_from_the_plans():
    load_catalog()
    ranges = {c.slug: (c.min_cents, c.max_cents) for c in categories_with_prices()}
    assert ranges == {
        "insulin-sensitizers": (2200, 19900),
        "topical-treatments": (4300, 4300),
        "unwanted-hair": (1400, 6900),
        "hair-loss": (2500, 4300),
    }


def test_hairless_hype_is_a_pack_of_its_components():
    load_catalog()
    pack = Treatment.objects.get(slug="hairless-hype")
    assert pack.form == Treatment.Form.PACK
    assert pack.component_names == "Eflornithine, Metformin lotion, Azelaic Acid"
    assert set(pack.components.values_list("slug", flat=True)) == {
        "eflornithine-12",
        "metformin-hcl-lotion-20",
    }
    assert pack.unsafe_in_pregnancy


def test_pregnancy_flags_follow_prescribing_caution():
    load_catalog()
    # From the medicines' drug classes, never typed (treatments.models.PREGNANCY_UNSAFE).
    unsafe = {t.slug for t in Treatment.objects.all() if t.unsafe_in_pregnancy}
    assert unsafe == {
        "metformin-spironolactone-pack",
        "oral-glp-1-metformin-pack",
        "spironolactone",
        "eflornithine-12",
        "hairless-hype",
        "oral-minoxidil",
        "topical-spironolactone",
        "hair-plus-plus",
    }
    # Metformin alone is not contraindicated in pregnancy.
    assert not Treatment.objects.get(slug="oral-metformin-er").unsafe_in_pregnancy
    assert not Treatment.objects.get(slug="metformin-hcl-lotion-20").unsafe_in_pregnancy


def test_every_treatment_has_patient_information():
    load_catalog()
    for treatment in Treatment.objects.all():
        for field in ("tagline", "description", "how_it_works", "how_to_use", "side_effects"):
            assert getattr(treatment, field), f"{treatment.slug} has no {field}"
        assert treatment.who_should_not_use, treatment.slug
        assert treatment.active_ingredients, treatment.slug
        assert treatment.prescription_required
        assert "%" not in treatment.description.replace("20%", "").replace("12%", "")


def test_the_four_patient_quotes_are_seeded():
    load_catalog()
    testimonials = {t.patient_name: t for t in PatientQuote.objects.published()}
    assert set(testimonials) == {"Carrie S.", "Allison L.", "Victoria A.", "Margaret K."}
    assert testimonials["Carrie S."].treatment.slug == "metformin-hcl-lotion-20"
    assert testimonials["Allison L."].treatment.slug == "hairless-hype"
    assert testimonials["Allison L."].quote.startswith("It's been a little over 5 weeks")
    assert "24/7 accessibility" in testimonials["Margaret K."].quote


def test_seed_is_idempotent():
    first = load_catalog()
    counts = [m.objects.count() for m in (Category, Treatment, Plan, PriceChange, PatientQuote)]
    second = load_catalog()
    assert [
        m.objects.count() for m in (Category, Treatment, Plan, PriceChange, PatientQuote)
    ] == counts
    assert counts == [4, 10, 10, 10, 4]
    assert "created 4 categories, 10 treatments, 10 plans, 4 testimonials" in first
    assert "created 0 categories, 0 treatments, 0 plans, 0 testimonials" in second


def test_seed_keeps_what_staff_changed(django_user_model):
    load_catalog()
    staff = django_user_model.objects.create_user("manager", is_staff=True)
    plan = Plan.objects.get(treatment__slug="hairless-hype")
    change_plan_amount(plan, 6500, by=staff)
    Treatment.objects.filter(slug="spironolactone").update(
        tagline="Edited by staff", is_active=False, display_order=42
    )

    load_catalog()

    assert Plan.objects.get(treatment__slug="hairless-hype").amount_cents == 6500
    spironolactone = Treatment.objects.get(slug="spironolactone")
    assert (spironolactone.tagline, spironolactone.is_active, spironolactone.display_order) == (
        "Edited by staff",
        False,
        42,
    )


def test_seed_fills_in_copy_that_is_missing():
    load_catalog()
    Treatment.objects.filter(slug="oral-minoxidil").update(how_to_use="")
    load_catalog()
    assert Treatment.objects.get(slug="oral-minoxidil").how_to_use.startswith("Take one tablet")


# A clinician reads this copy: no superlatives, promises or numbers of our own, and the cautions
# a prescriber would expect for each medicine.
OVERCLAIMS = re.compile(
    r"\b(most widely|best|cure[sd]?|guarantee[sd]?|proven|clinically|dramatic|miracle|"
    r"no side effects|safe for everyone|100)\b|\d+ ?%",
    re.IGNORECASE,
)
PATIENT_COPY = ("tagline", "description", "how_it_works", "how_to_use", "side_effects")


@pytest.mark.parametrize("data", TREATMENTS, ids=[t["slug"] for t in TREATMENTS])
def test_patient_information_makes_no_claims_of_its_own(data):
    for field in (*PATIENT_COPY, "who_should_not_use"):
        text = data[field].replace(data["name"], "")  # "Metformin HCL Lotion 20%" is a name
        assert not OVERCLAIMS.search(text), (field, OVERCLAIMS.search(text).group(0))


@pytest.mark.parametrize("data", TREATMENTS, ids=[t["slug"] for t in TREATMENTS])
def test_patient_information_carries_each_medicines_cautions(data):
    ingredients = data["active_ingredients"].lower()
    not_for = data["who_should_not_use"].lower()
    if UNSAFE_IN_PREGNANCY.get(data["slug"]):
        assert "pregnant" in not_for and "breastfeeding" in not_for
    if "spironolactone" in ingredients:
        assert "potassium" in not_for and "kidney" in not_for
        if data["form"] == "oral":
            assert "potassium" in data["side_effects"].lower()
    if "minoxidil" in ingredients:
        assert "blood pressure" in not_for and "heart" in not_for
    if "semaglutide" in ingredients:
        assert "thyroid cancer" in not_for and "pancreatitis" in not_for
        assert "4 oz" in data["how_to_use"] and "30 minutes" in data["how_to_use"]
    if "metformin" in ingredients:
        assert "kidney" in not_for
    if "metformin" in ingredients and data["form"] != "topical" and "lotion" not in ingredients:
        assert "lactic acidosis" in data["side_effects"].lower()
