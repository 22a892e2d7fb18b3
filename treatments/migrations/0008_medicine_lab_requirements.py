"""Medicines seeded before lab requirements existed take the seed catalog's (oral metformin ER
and oral spironolactone: treatments/content/catalog.toml, reviewed like the rest of that
file). A medicine whose prescribing data already has lab requirements, or none at all, is
left alone; later changes go through the two-clinician review (clinic/medicine_data.py)."""

from django.db import migrations


def add_lab_requirements(apps, schema_editor):
    from treatments.seed import read_catalog

    Medicine = apps.get_model("treatments", "Medicine")
    labs = {
        data["slug"]: data["dosing"]["labs"]
        for data in read_catalog()["medicines"]
        if data.get("dosing", {}).get("labs")
    }
    for medicine in Medicine.objects.filter(slug__in=labs):
        if medicine.dosing and "labs" not in medicine.dosing:
            medicine.dosing = {**medicine.dosing, "labs": labs[medicine.slug]}
            medicine.save(update_fields=["dosing"])


class Migration(migrations.Migration):
    dependencies = [
        ("treatments", "0007_rx_structured_prescriptions"),
    ]

    operations = [
        migrations.RunPython(add_lab_requirements, migrations.RunPython.noop),
    ]
