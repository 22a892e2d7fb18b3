"""The medicines as data: seeded with the catalog, filled into existing databases, owned by
clinicians in the admin (catalog managers only read them)."""

import importlib

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.urls import reverse

from tests.support.staff import sign_in, staff
from treatments.models import DrugClass, Medicine, Treatment
from treatments.seed import link_medicines, load_catalog, read_catalog

pytestmark = pytest.mark.django_db


def classes_of(slug):
    treatment = Treatment.objects.get(slug=slug)
    return sorted({c for m in treatment.medicines.all() for c in m.drug_classes})


def test_seed_gives_every_treatment_its_medicines_and_a_pack_several():
    assert "8 medicines" in load_catalog()
    assert all(t.medicines.exists() for t in Treatment.objects.all())
    pack = Treatment.objects.get(slug="hairless-hype")
    assert sorted(m.slug for m in pack.medicines.all()) == [
        "azelaic-acid-gel",
        "eflornithine-cream",
        "metformin-lotion",
    ]
    assert classes_of("oral-glp-1-metformin-pack") == ["biguanide", "glp1_agonist"]
    assert classes_of("hair-plus-plus") == ["potassium_sparing_antiandrogen", "vasodilator"]
    assert classes_of("eflornithine-12") == ["odc_inhibitor"]
    metformin = Medicine.objects.get(slug="metformin-er")
    assert (metformin.route, metformin.default_strength, metformin.default_quantity) == (
        "oral",
        "500 mg extended-release tablet",
        30,
    )
    assert "evening meal" in metformin.default_directions
    assert str(metformin) == "Metformin ER (oral)"
    assert metformin.drug_class_labels == ["Biguanide (metformin)"]
    assert Medicine.objects.get(slug="spironolactone-topical").route == "topical"


def test_every_seed_medicine_has_known_classes_and_at_most_a_year_of_refills():
    for data in read_catalog()["medicines"]:
        assert data["drug_classes"] and set(data["drug_classes"]) <= set(DrugClass.values)
        assert 0 <= data["default_refills"] <= 11


def test_seed_never_overwrites_a_medicine_or_a_treatment_s_medicines():
    load_catalog()
    metformin = Medicine.objects.get(slug="metformin-er")
    Medicine.objects.filter(pk=metformin.pk).update(default_strength="750 mg")
    pack = Treatment.objects.get(slug="metformin-spironolactone-pack")
    pack.medicines.set([metformin])
    assert "created 0 categories, 0 treatments, 0 plans, 0 testimonials, 0 medicines" in (
        load_catalog()
    )
    assert Medicine.objects.get(slug="metformin-er").default_strength == "750 mg"
    assert list(pack.medicines.all()) == [metformin]


def test_linking_skips_treatments_and_medicines_that_do_not_exist():
    load_catalog()
    catalog = {
        "treatments": [
            {"slug": "not-in-this-database", "medicines": ["metformin-er"]},
            {"slug": "spironolactone", "medicines": ["no-such-medicine"]},
        ]
    }
    Treatment.objects.get(slug="spironolactone").medicines.clear()
    link_medicines(Medicine, Treatment, catalog)
    assert not Treatment.objects.get(slug="spironolactone").medicines.exists()


def test_data_migration_fills_medicines_of_an_existing_database():
    load_catalog()
    Treatment.medicines.through.objects.all().delete()
    Medicine.objects.all().delete()
    migration = importlib.import_module("treatments.migrations.0004_fill_medicines")
    migration.fill_medicines(apps, None)
    assert Medicine.objects.count() == 8
    assert classes_of("metformin-spironolactone-pack") == [
        "biguanide",
        "potassium_sparing_antiandrogen",
    ]
    # The frozen data is the catalog's, as written (the prescribing data came later, with
    # its own migration: treatments/migrations/0007; "compounded" with 0008).
    catalog = [
        {k: v for k, v in medicine.items() if k not in ("dosing", "compounded")}
        for medicine in read_catalog()["medicines"]
    ]
    assert migration.MEDICINES == catalog


def test_data_migration_leaves_a_new_database_to_the_seed():
    migration = importlib.import_module("treatments.migrations.0004_fill_medicines")
    migration.fill_medicines(apps, None)
    assert not Medicine.objects.exists()


@pytest.mark.parametrize("classes", [["not-a-class"], "biguanide"])
def test_unknown_drug_classes_are_refused(classes):
    medicine = Medicine(slug="x", name="X", route="oral", drug_classes=classes)
    with pytest.raises(ValidationError) as error:
        medicine.full_clean()
    assert "drug_classes" in error.value.message_dict


# --- The admin ---------------------------------------------------------------------------------


def medicine_url(slug):
    return reverse("admin:treatments_medicine_change", args=[Medicine.objects.get(slug=slug).pk])


def post_data(**changes):
    data = {
        "name": "Metformin ER",
        "slug": "metformin-er",
        "route": "oral",
        "drug_classes": ["biguanide"],
        "default_strength": "750 mg extended-release tablet",
        "default_directions": "Take 1 tablet with the evening meal.",
        "default_quantity": "30",
        "quantity_unit": "tablets",
        "default_refills": "5",
        "treatments": [str(Treatment.objects.get(slug="oral-metformin-er").pk)],
    }
    data.update(changes)
    return data


@pytest.fixture
def catalog(db):
    load_catalog()


def test_catalog_manager_reads_medicines_but_cannot_change_them(client, catalog):
    sign_in(client, staff("catalog-manager", "carla"))
    listing = client.get(reverse("admin:treatments_medicine_changelist")).content.decode()
    assert "Metformin ER" in listing and "Biguanide (metformin)" in listing
    page = client.get(medicine_url("metformin-er"))
    assert page.status_code == 200
    assert "Oral Metformin ER, Metformin &amp; Spironolactone pack" in page.content.decode()
    response = client.post(medicine_url("metformin-er"), post_data())
    assert response.status_code == 403
    assert Medicine.objects.get(slug="metformin-er").default_strength.startswith("500 mg")
    assert client.get(reverse("admin:treatments_medicine_add")).status_code == 403
    # The treatment page lists them, read only, with a link.
    treatment = Treatment.objects.get(slug="hairless-hype")
    html = client.get(reverse("admin:treatments_treatment_change", args=[treatment.pk]))
    html = html.content.decode()
    assert medicine_url("eflornithine-cream") in html
    assert "Ornithine-decarboxylase inhibitor" in html
    assert "Yes: its page says so and the questionnaire stops it" in html
    assert 'name="medicines"' not in html


def test_clinician_changes_a_medicine_and_its_treatments_but_not_its_classes(client, catalog):
    """Its drug classes change only by a reviewed proposal (tests/clinic/test_medicine_data_review.py):
    the classes posted here are ignored."""
    sign_in(client, staff("clinician", "dr_lee"))
    lotion = Treatment.objects.get(slug="metformin-hcl-lotion-20")
    data = post_data(
        drug_classes=["biguanide", "vasodilator"],
        treatments=[str(Treatment.objects.get(slug="oral-metformin-er").pk), str(lotion.pk)],
    )
    response = client.post(medicine_url("metformin-er"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    metformin = Medicine.objects.get(slug="metformin-er")
    assert metformin.default_strength == "750 mg extended-release tablet"
    assert metformin.drug_classes == ["biguanide"]
    assert set(metformin.treatments.values_list("slug", flat=True)) == {
        "oral-metformin-er",
        "metformin-hcl-lotion-20",
    }
    page = client.get(medicine_url("metformin-er")).content.decode()
    assert 'name="drug_classes"' not in page and "Biguanide (metformin)" in page


def test_refills_over_a_year_are_refused_in_the_admin(client, catalog):
    sign_in(client, staff("superuser", "root"))
    response = client.post(medicine_url("metformin-er"), post_data(default_refills="12"))
    assert response.status_code == 200
    assert "Ensure this value is less than or equal to 11." in response.content.decode()


def test_nobody_deletes_a_medicine(client, catalog):
    sign_in(client, staff("superuser", "root"))
    url = reverse("admin:treatments_medicine_delete", args=[Medicine.objects.first().pk])
    assert client.get(url).status_code == 403


def test_treatment_page_says_when_it_has_no_medicines(client, catalog):
    sign_in(client, staff("superuser", "root"))
    treatment = Treatment.objects.get(slug="spironolactone")
    treatment.medicines.clear()
    html = client.get(reverse("admin:treatments_treatment_change", args=[treatment.pk]))
    html = html.content.decode()
    assert "No medicines yet: a clinician adds them under Medicines." in html
    assert "No (from its medicines&#x27; drug classes)" in html
    html = client.get(reverse("admin:treatments_treatment_add")).content.decode()
    assert "Clinicians add the medicines under Medicines once the treatment is saved." in html


def test_clinician_adds_a_medicine(client, catalog):
    sign_in(client, staff("clinician", "dr_lee"))
    add = reverse("admin:treatments_medicine_add")
    assert client.get(add).status_code == 200
    data = post_data(name="Metformin IR", slug="metformin-ir", treatments=[])
    assert client.post(add, data).status_code == 302
    medicine = Medicine.objects.get(slug="metformin-ir")
    assert not medicine.treatments.exists()
    # No classes nor prescribing data until a second clinician approves a proposal for them.
    assert (medicine.drug_classes, medicine.dosing) == ([], {})


# --- Product pages and questions agree ----------------------------------------------------------


def test_copy_migration_updates_the_seed_text_only_where_nobody_edited_it():
    migration = importlib.import_module("treatments.migrations.0005_pages_agree_with_questions")
    load_catalog()
    # A database seeded before: the old text everywhere, one page edited by staff.
    for slug, text in migration.OLD.items():
        Treatment.objects.filter(slug=slug).update(who_should_not_use=text)
    Treatment.objects.filter(slug="spironolactone").update(who_should_not_use="Edited by staff.")
    migration.update_copy(apps, None)
    texts = dict(Treatment.objects.values_list("slug", "who_should_not_use"))
    assert texts["spironolactone"] == "Edited by staff."
    assert texts["oral-minoxidil"] == migration.NEW["oral-minoxidil"]
    assert texts["oral-minoxidil"].startswith("Not for people with a pheochromocytoma")
    # The catalog says the same as the migration, so new databases agree too.
    catalog = {t["slug"]: t["who_should_not_use"] for t in read_catalog()["treatments"]}
    assert catalog == migration.NEW
    migration.restore_copy(apps, None)
    assert (
        Treatment.objects.get(slug="oral-minoxidil").who_should_not_use
        == (migration.OLD["oral-minoxidil"])
    )


@pytest.mark.parametrize(
    ("slug", "stops"),
    [
        ("oral-glp-1-metformin-pack", ["medullary thyroid cancer", "pancreatitis", "pregnant"]),
        ("oral-minoxidil", ["pheochromocytoma", "pregnant"]),
        ("oral-metformin-er", ["eGFR below 30"]),
        ("metformin-hcl-lotion-20", ["eGFR below 30"]),
        ("topical-spironolactone", ["pregnant"]),
        ("eflornithine-12", ["pregnant"]),
    ],
)
def test_each_page_names_its_hard_stops_under_not_for(slug, stops):
    text = next(t for t in read_catalog()["treatments"] if t["slug"] == slug)
    not_for = text["who_should_not_use"].split("Tell your clinician")[0]
    assert not_for.startswith("Not for")
    for stop in stops:
        assert stop in not_for
