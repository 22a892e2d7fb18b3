"""The prescribing data each medicine carries (treatments/dosing.py): the catalog's is valid,
a clinician's edit that is not is refused, and prescriptions written before it keep working."""

import importlib
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.utils import timezone

from clinic.services.prescriptions import draft_from, renewal_drafts
from clinic.services.review import approve_order
from orders.models import Prescription
from tests.support.factories import make_paid_order, make_plan
from tests.support.staff import staff
from treatments.dosing import Dosing, DosingError
from treatments.models import Medicine
from treatments.seed import read_catalog

pytestmark = pytest.mark.django_db
SPIRONOLACTONE = {
    "form": "tablet",
    "strengths": [25, 50, 100],
    "counts": [1, 2],
    "frequencies": ["once_daily", "twice_daily"],
    "max_daily": 200,
}


def test_every_catalog_medicine_has_valid_prescribing_data():
    for data in read_catalog()["medicines"]:
        dosing = Dosing.parse(data["dosing"])
        assert dosing.max_daily > 0, data["slug"]


def test_the_migration_fills_the_catalogs_prescribing_data_into_existing_medicines():
    migration = importlib.import_module("treatments.migrations.0007_rx_structured_prescriptions")
    labs = importlib.import_module("treatments.migrations.0008_medicine_lab_requirements").LABS
    with_labs = {
        slug: {**dosing, "labs": labs[slug]} if slug in labs else dosing
        for slug, dosing in migration.DOSING.items()
    }
    assert with_labs == {m["slug"]: m["dosing"] for m in read_catalog()["medicines"]}
    Medicine.objects.create(slug="metformin-er", name="Metformin ER", route="oral")
    Medicine.objects.create(
        slug="minoxidil-oral", name="Minoxidil", route="oral", dosing={"form": "tablet"}
    )
    migration.fill_dosing(apps, None)
    assert Medicine.objects.get(slug="metformin-er").dosing == migration.DOSING["metformin-er"]
    assert Medicine.objects.get(slug="minoxidil-oral").dosing == {"form": "tablet"}  # kept


def test_the_labels_numbers():
    dosing = {m["slug"]: Dosing.parse(m["dosing"]) for m in read_catalog()["medicines"]}
    sema = dosing["semaglutide-oral"]
    assert [(s.strength, s.min_days) for s in sema.titration] == [(3, 30), (7, 30), (14, 0)]
    assert sema.counts == (1,)  # never split, never two tablets
    metformin = dosing["metformin-er"]
    assert [s.strength * s.count for s in metformin.titration] == [500, 1000, 1500, 2000]
    assert [s.min_days for s in metformin.titration] == [7, 7, 7, 0]
    assert dosing["spironolactone-oral"].max_daily == 200
    minoxidil = dosing["minoxidil-oral"]
    assert (minoxidil.max_daily, minoxidil.warn_above, minoxidil.strengths) == (5, 2.5, (2.5,))


@pytest.mark.parametrize(
    "change, message",
    [
        ({"form": "pill"}, "The dose form must be one of tablet, capsule"),
        ({"strengths": []}, "Give the strengths as positive numbers."),
        ({"counts": ["two"]}, "Give the counts as positive numbers."),
        ({"counts": [0.5, 1]}, "Only a scored tablet may be split"),
        ({"counts": [0.5], "form": "capsule", "scored": True}, "Only a scored tablet may be split"),
        ({"counts": [0.25], "scored": True}, "A scored tablet splits in half, no smaller."),
        ({"frequencies": ["hourly"]}, "Frequencies are chosen from once_daily, twice_daily."),
        ({"frequencies": []}, "Frequencies are chosen from"),
        ({"max_daily": "lots"}, "Give the maximum daily dose for this use."),
        ({"max_daily": 0}, "Give the maximum daily dose for this use."),
        ({"form": "lotion"}, "A topical needs its pack size and amount unit"),
        ({"titration": ["3 mg"]}, "Each titration step is a table"),
        ({"titration": [{"strength": 500}]}, "Each titration step must be a dose that can be"),
        ({"start": {"strength": 100, "count": 2, "frequency": "twice_daily"}}, "The starting dose"),
    ],
)
def test_bad_prescribing_data_is_refused_with_the_reason(change, message):
    with pytest.raises(DosingError, match=message):
        Dosing.parse({**SPIRONOLACTONE, **change})
    medicine = Medicine(slug="x", name="X", route="oral", dosing={**SPIRONOLACTONE, **change})
    with pytest.raises(ValidationError) as refused:
        medicine.clean()
    assert message in refused.value.message_dict["dosing"][0]


def test_prescribing_data_that_is_not_a_table_is_refused():
    with pytest.raises(DosingError, match="Give the prescribing data as a table"):
        Dosing.parse(["tablet"])


def test_a_capsule_is_counted_in_capsules():
    dosing = Dosing.parse({**SPIRONOLACTONE, "form": "capsule"})
    dose = dosing.dose(Decimal(50), Decimal(2), "once_daily")
    assert dose.directions == "Take 2 capsule(s) (100 mg) once daily."
    assert dosing.quantity_unit == "capsules"


def test_a_topical_above_its_daily_amount_is_refused():
    dosing = Dosing.parse(
        {
            "form": "cream",
            "strengths": [12],
            "pack_size": 30,
            "amount_unit": "g",
            "counts": [0.5, 1],
            "frequencies": ["twice_daily"],
            "max_daily": 1,
            "how": "to the face",
        }
    )
    dose = dosing.dose(Decimal(12), Decimal(1), "twice_daily")
    assert dose.problems == ("That is 2 g/day: the maximum for this use is 1 g/day.",)
    assert dosing.quantity_unit == "tube(s)"
    assert dosing.check(Decimal(12), Decimal(1), "once_daily") == [
        "Choose how often from: twice daily."
    ]
    assert dosing.dose(Decimal(12), Decimal("0.5"), "twice_daily").warnings == ()


def test_a_warning_without_words_names_its_threshold():
    dosing = Dosing.parse({**SPIRONOLACTONE, "warn_above": 100})
    assert dosing.dose(Decimal(100), Decimal(2), "once_daily").warnings == ("Above 100 mg/day.",)


MIGRATION = importlib.import_module("orders.migrations.0018_rx_structured_prescriptions")


def legacy(order, medicine_slug, strength, directions):
    line = order.lines.get()
    return Prescription.objects.create(
        order=order,
        line=line,
        medicine=Medicine.objects.get(slug=medicine_slug),
        medicine_name="old",
        strength=strength,
        directions=directions,
        quantity=30,
        quantity_unit="tablets",
        refills=5,
        prescriber=staff("clinician", f"dr-{Prescription.objects.count()}"),
        prescriber_name="Dr. Old",
        written_at=timezone.now(),
        legacy=True,
    )


def test_existing_prescriptions_are_structured_where_their_text_reads_as_a_dose():
    spiro = make_paid_order(make_plan("Spironolactone", 3000))
    minoxidil = make_paid_order(make_plan("Oral Minoxidil", 2500), email="m@example.com")
    metformin = make_paid_order(make_plan("Oral Metformin ER", 2200), email="e@example.com")
    odd = make_paid_order(make_plan("Hair Plus", 2500), email="h@example.com")
    Medicine.objects.filter(treatments__name="Hair Plus").update(dosing={"form": "pill"})
    readable = legacy(
        spiro, "spironolactone-oral", "50 mg tablet", "Take 1 tablet by mouth once daily with food."
    )
    four_grams = legacy(
        spiro, "spironolactone-oral", "500 mg tablet", "Take 4 tablets twice daily."
    )
    half = legacy(
        minoxidil,
        "minoxidil-oral",
        "2.5 mg tablet",
        "Take half a tablet (1.25 mg) by mouth once daily.",
    )
    step_two = legacy(
        metformin,
        "metformin-er",
        "500 mg extended-release tablet",
        "Take two tablets once daily with dinner.",
    )
    not_a_step = legacy(metformin, "metformin-er", "750 mg", "Take 1 tablet once daily.")
    vague = legacy(metformin, "metformin-er", "500 mg", "As directed.")
    bad_data = legacy(
        odd,
        Medicine.objects.get(treatments__name="Hair Plus").slug,
        "500 mg",
        "Take 1 tablet once daily.",
    )

    MIGRATION.structure_prescriptions(apps, None)

    readable.refresh_from_db()
    assert (readable.legacy, readable.strength_value, readable.dose_count) == (False, 50, 1)
    assert (readable.frequency, readable.daily_dose, readable.daily_unit) == (
        "once_daily",
        50,
        "mg/day",
    )
    assert readable.directions == "Take 1 tablet by mouth once daily with food."  # kept as written
    half.refresh_from_db()
    assert (half.legacy, half.dose_count, half.daily_dose) == (
        False,
        Decimal("0.5"),
        Decimal("1.25"),
    )
    step_two.refresh_from_db()
    assert (step_two.legacy, step_two.titration_step, step_two.daily_dose) == (False, 2, 1000)
    for rx in (four_grams, not_a_step, vague, bad_data):
        rx.refresh_from_db()
        assert rx.legacy and rx.daily_dose is None


def test_a_legacy_prescription_renews_from_the_starting_dose():
    order = make_paid_order(make_plan("Spironolactone", 3000))
    approve_order(order, by=staff("clinician"), attested=True)
    Prescription.objects.update(legacy=True)
    [draft] = renewal_drafts(order)
    assert (draft.strength, draft.count, draft.frequency, draft.refills) == (50, 1, "once_daily", 5)
    rx = Prescription.objects.get()
    assert draft_from(rx, refills=2).refills == 2
