"""Medicines seeded before lab requirements existed take the seed catalog's (oral metformin ER
and oral spironolactone; treatments/content/catalog.toml, the sources in docs/clinicians.md).
A medicine whose prescribing data already has lab requirements, or has none at all, is left
alone; later changes go through the two-clinician review (clinic/medicine_data.py). The data
is copied here (a migration never reads files that change later); a test keeps it equal to
the catalog's."""

from django.db import migrations

LABS = {
    "metformin-er": [
        {
            "test": "egfr",
            "within_days": 365,
            "every_days": 365,
            "min": 45,
            "source": "Glucophage XR label, 2.1 and 4 (eGFR before starting and at "
            "least yearly; do not start at 30-45; contraindicated below 30)",
        },
        {
            "test": "b12",
            "reminder_days": 730,
            "source": "Glucophage XR label, 5.1 (vitamin B12 every 2 to 3 years on long "
            "use); ADA Standards of Care 2025, 9",
        },
    ],
    "spironolactone-oral": [
        {
            "test": "potassium",
            "within_days": 90,
            "recheck_day": 28,
            "max": 5.0,
            "risk_factors_only": True,
            "source": "Aldactone label, 2.1, 4 and 5.1 (no start with potassium "
            "above 5.0; check within a week of a start and "
            "periodically); Kim et al., JAAD 2023 (potassium "
            "monitoring for acne only with risk factors)",
        },
        {
            "test": "creatinine",
            "within_days": 90,
            "max": 1.3,
            "risk_factors_only": True,
            "source": "Aldactone label, 5.1 (hyperkalemia risk with impaired kidney function)",
        },
    ],
}


def add_lab_requirements(apps, schema_editor):
    Medicine = apps.get_model("treatments", "Medicine")
    for medicine in Medicine.objects.filter(slug__in=LABS):
        if medicine.dosing and "labs" not in medicine.dosing:
            medicine.dosing = {**medicine.dosing, "labs": LABS[medicine.slug]}
            medicine.save(update_fields=["dosing"])


class Migration(migrations.Migration):
    dependencies = [
        ("treatments", "0007_rx_structured_prescriptions"),
    ]

    operations = [
        migrations.RunPython(add_lab_requirements, migrations.RunPython.noop),
    ]
