"""Clinicians decide per order line. Lines of orders decided before this migration take their
order's decision (approved, or declined), so history reads the same."""

from django.db import migrations, models

import orders.encryption


def decide_existing_lines(apps, schema_editor):
    OrderLine = apps.get_model("orders", "OrderLine")
    reviewed = OrderLine.objects.filter(order__reviewed_at__isnull=False)
    reviewed.filter(order__status="declined").update(decision="declined")
    reviewed.exclude(order__status="declined").update(decision="approved")


class Migration(migrations.Migration):
    dependencies = [("orders", "0008_drop_plain_health_data")]

    operations = [
        migrations.AddField(
            model_name="orderline",
            name="decision",
            field=models.CharField(
                choices=[
                    ("pending", "Awaiting review"),
                    ("approved", "Approved"),
                    ("declined", "Declined"),
                ],
                default="pending",
                editable=False,
                max_length=10,
            ),
        ),
        migrations.AddField(
            model_name="orderline",
            name="decline_reason",
            field=orders.encryption.EncryptedTextField(
                blank=True, default="", help_text="Why a clinician declined it (encrypted at rest)."
            ),
        ),
        migrations.RunPython(decide_existing_lines, migrations.RunPython.noop),
    ]
