"""The seed catalog: four categories, ten treatments, their monthly plans and four testimonials.

The data (and the patient information prose) lives in ``content/catalog.toml``, the way
articles keep their seed as Markdown; this module only loads it. Prices come from the catalog table in docs/design.md; where the source only gave a category range the
individual price is a placeholder inside that range. The patient information is deliberately sober:
what a medicine is, how it helps, how it is used, common side effects and who should not use it,
with no statistics or claims of our own.

``load_catalog()`` is safe to run any number of times (``make run`` runs it on every start):

- rows are found by slug (categories, treatments) or by plan name / patient name, and created
  when missing;
- rows that already exist are *not* overwritten, only blank text fields are filled in. Staff edit
  the catalog in the admin (copy, prices, order, active flags) and a re-run must never undo that;
  in particular a plan's amount is only ever set when the plan is created, so a price a catalog
  manager changed survives every re-seed, and every later change goes through
  ``treatments.services.change_plan_amount`` which records the price history.
"""

import tomllib
from pathlib import Path

from django.db import transaction

from .models import Category, Medicine, Plan, Testimonial, Treatment
from .services import record_new_plan

CATALOG_FILE = Path(__file__).resolve().parent / "content" / "catalog.toml"


def read_catalog(path=CATALOG_FILE):
    """The seed catalog as data: ``{"categories": [...], "treatments": [...], "testimonials": [...]}``."""
    with open(path, "rb") as file:
        return tomllib.load(file)


_TEXT_FIELDS = (
    "tagline",
    "description",
    "how_it_works",
    "how_to_use",
    "side_effects",
    "who_should_not_use",
    "active_ingredients",
    "component_names",
)


def _fill_blanks(obj, values, fields):
    """Fill the given fields where they are empty; never overwrite what staff wrote."""
    changed = [f for f in fields if values.get(f) and not getattr(obj, f)]
    for field in changed:
        setattr(obj, field, values[field])
    if changed:
        obj.save(update_fields=changed)


MEDICINE_FIELDS = (
    "name",
    "route",
    "drug_classes",
    "default_strength",
    "default_directions",
    "default_quantity",
    "quantity_unit",
    "default_refills",
    "dosing",
    "compounded",
)


def load_medicines(medicine_model, catalog):
    """Create the catalog's medicines that are missing (by slug); never touch existing rows.

    Takes the model classes so the data migration can run it with its historical models.
    Returns how many were created.
    """
    created = 0
    for data in catalog.get("medicines", []):
        _, was_created = medicine_model.objects.get_or_create(
            slug=data["slug"], defaults={f: data[f] for f in MEDICINE_FIELDS if f in data}
        )
        created += was_created
    return created


def link_medicines(medicine_model, treatment_model, catalog):
    """Give each seed treatment that has no medicines yet the medicines the catalog lists.

    A treatment that has medicines keeps them: clinicians may have changed them."""
    medicines = {m.slug: m for m in medicine_model.objects.all()}
    for data in catalog["treatments"]:
        treatment = treatment_model.objects.filter(slug=data["slug"]).first()
        wanted = [medicines[s] for s in data.get("medicines", []) if s in medicines]
        if treatment is not None and wanted and not treatment.medicines.exists():
            treatment.medicines.set(wanted)


@transaction.atomic
def load_catalog() -> str:
    """Create whatever part of the seed catalog is missing; return a one-line summary."""
    catalog = read_catalog()
    created = {"categories": 0, "treatments": 0, "plans": 0, "testimonials": 0}
    created["medicines"] = load_medicines(Medicine, catalog)

    categories = {}
    for data in catalog["categories"]:
        values = {k: v for k, v in data.items() if k != "slug"}
        category, was_created = Category.objects.get_or_create(slug=data["slug"], defaults=values)
        if not was_created:
            _fill_blanks(category, values, ("short_description", "helps_with"))
        created["categories"] += was_created
        categories[data["slug"]] = category

    treatments = {}
    for index, data in enumerate(catalog["treatments"]):
        values = {
            k: v
            for k, v in data.items()
            if k not in ("slug", "category", "price_cents", "components", "medicines")
        }
        treatment, was_created = Treatment.objects.get_or_create(
            slug=data["slug"],
            defaults={**values, "category": categories[data["category"]], "display_order": index},
        )
        if not was_created:
            _fill_blanks(treatment, values, _TEXT_FIELDS)
        created["treatments"] += was_created
        treatments[data["slug"]] = treatment

        # The amount is set only when the plan is created: see the module docstring.
        plan, plan_created = Plan.objects.get_or_create(
            treatment=treatment,
            name="Monthly",
            defaults={"amount_cents": data["price_cents"], "interval": Plan.Interval.MONTH},
        )
        if plan_created:
            record_new_plan(plan, by=None)
        created["plans"] += plan_created

    for data in catalog["treatments"]:
        treatment = treatments[data["slug"]]
        wanted = [treatments[slug] for slug in data.get("components", [])]
        if wanted and not treatment.components.exists():
            treatment.components.set(wanted)
    link_medicines(Medicine, Treatment, catalog)

    for index, data in enumerate(catalog["testimonials"]):
        _, was_created = Testimonial.objects.get_or_create(
            patient_name=data["patient_name"],
            defaults={
                "quote": data["quote"],
                "treatment": treatments.get(data.get("treatment")),
                "display_order": index,
            },
        )
        created["testimonials"] += was_created

    return (
        f"Catalog: {len(catalog['categories'])} categories, {len(catalog['treatments'])} treatments, "
        f"{len(catalog['testimonials'])} testimonials (created {created['categories']} categories, "
        f"{created['treatments']} treatments, {created['plans']} plans, "
        f"{created['testimonials']} testimonials, {created['medicines']} medicines)."
    )
