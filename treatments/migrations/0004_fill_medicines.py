"""Existing databases get the medicines of the seed catalog (the seed never overwrites).

The data is frozen here as it was in ``treatments/content/catalog.toml`` when this migration
was written: a later change to the catalog needs its own migration. A medicine that exists
(same slug) is left alone, and a treatment that already lists medicines keeps them.
"""

from django.db import migrations

MEDICINES = [
    {
        "slug": "metformin-er",
        "name": "Metformin ER",
        "route": "oral",
        "drug_classes": ["biguanide"],
        "default_strength": "500 mg extended-release tablet",
        "default_directions": "Take 1 tablet by mouth once daily with the evening meal. Swallow "
        "whole.",
        "default_quantity": 30,
        "quantity_unit": "tablets",
        "default_refills": 5,
    },
    {
        "slug": "spironolactone-oral",
        "name": "Spironolactone",
        "route": "oral",
        "drug_classes": ["potassium_sparing_antiandrogen"],
        "default_strength": "50 mg tablet",
        "default_directions": "Take 1 tablet by mouth once daily with food.",
        "default_quantity": 30,
        "quantity_unit": "tablets",
        "default_refills": 5,
    },
    {
        "slug": "semaglutide-oral",
        "name": "Semaglutide (oral GLP-1)",
        "route": "oral",
        "drug_classes": ["glp1_agonist"],
        "default_strength": "3 mg tablet",
        "default_directions": "Take 1 tablet by mouth once daily on waking, with no more than 4 oz "
        "of plain water; wait 30 minutes before eating, drinking or other "
        "medicines.",
        "default_quantity": 30,
        "quantity_unit": "tablets",
        "default_refills": 2,
    },
    {
        "slug": "metformin-lotion",
        "name": "Metformin HCl lotion 20%",
        "route": "topical",
        "drug_classes": ["biguanide"],
        "default_strength": "20% lotion, 60 mL",
        "default_directions": "Apply a thin layer to clean, dry skin once daily as directed. Wash "
        "hands after.",
        "default_quantity": 1,
        "quantity_unit": "bottle",
        "default_refills": 5,
    },
    {
        "slug": "eflornithine-cream",
        "name": "Eflornithine cream 12%",
        "route": "topical",
        "drug_classes": ["odc_inhibitor"],
        "default_strength": "12% cream, 30 g",
        "default_directions": "Apply a thin layer to the affected areas of the face and under the "
        "chin twice daily, at least 8 hours apart.",
        "default_quantity": 1,
        "quantity_unit": "tube",
        "default_refills": 5,
    },
    {
        "slug": "azelaic-acid-gel",
        "name": "Azelaic acid gel 15%",
        "route": "topical",
        "drug_classes": ["dicarboxylic_acid"],
        "default_strength": "15% gel, 30 g",
        "default_directions": "Apply a thin layer to clean skin once or twice daily.",
        "default_quantity": 1,
        "quantity_unit": "tube",
        "default_refills": 5,
    },
    {
        "slug": "minoxidil-oral",
        "name": "Minoxidil (low dose)",
        "route": "oral",
        "drug_classes": ["vasodilator"],
        "default_strength": "2.5 mg tablet",
        "default_directions": "Take half a tablet (1.25 mg) by mouth once daily.",
        "default_quantity": 15,
        "quantity_unit": "tablets",
        "default_refills": 5,
    },
    {
        "slug": "spironolactone-topical",
        "name": "Spironolactone scalp solution 5%",
        "route": "topical",
        "drug_classes": ["potassium_sparing_antiandrogen"],
        "default_strength": "5% solution, 60 mL",
        "default_directions": "Apply 1 mL to the dry scalp where hair is thinning once daily.",
        "default_quantity": 1,
        "quantity_unit": "bottle",
        "default_refills": 5,
    },
]

TREATMENT_MEDICINES = {
    "oral-metformin-er": ["metformin-er"],
    "metformin-spironolactone-pack": ["metformin-er", "spironolactone-oral"],
    "oral-glp-1-metformin-pack": ["semaglutide-oral", "metformin-er"],
    "metformin-hcl-lotion-20": ["metformin-lotion"],
    "spironolactone": ["spironolactone-oral"],
    "eflornithine-12": ["eflornithine-cream"],
    "hairless-hype": ["eflornithine-cream", "metformin-lotion", "azelaic-acid-gel"],
    "oral-minoxidil": ["minoxidil-oral"],
    "topical-spironolactone": ["spironolactone-topical"],
    "hair-plus-plus": ["minoxidil-oral", "spironolactone-topical"],
}


def fill_medicines(apps, schema_editor):
    from treatments.seed import link_medicines, load_medicines

    Medicine = apps.get_model("treatments", "Medicine")
    Treatment = apps.get_model("treatments", "Treatment")
    if not Treatment.objects.filter(slug__in=TREATMENT_MEDICINES).exists():
        return  # a new database: the seed brings the medicines with the catalog
    catalog = {
        "medicines": MEDICINES,
        "treatments": [{"slug": s, "medicines": m} for s, m in TREATMENT_MEDICINES.items()],
    }
    load_medicines(Medicine, catalog)
    link_medicines(Medicine, Treatment, catalog)


class Migration(migrations.Migration):
    dependencies = [("treatments", "0003_medicines")]
    operations = [migrations.RunPython(fill_medicines, migrations.RunPython.noop)]
