"""The first version of the privacy notice, the terms and the telehealth consent, marked as
templates for the clinic's lawyer (the text is in ``legal/seed.py``). A kind that already
has a version is left alone."""

from django.db import migrations


def seed(apps, schema_editor):
    from legal.seed import seed_legal_documents

    seed_legal_documents(apps.get_model("legal", "LegalDocument"))


class Migration(migrations.Migration):
    dependencies = [("legal", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
