"""Health data encrypted at rest, step 1 of 3: encrypted columns beside the plain ones."""

from django.db import migrations, models

import orders.encryption


class Migration(migrations.Migration):
    dependencies = [("orders", "0005_patient_accounts_and_messages")]

    operations = [
        migrations.AddField(
            model_name="questionnaireresponse",
            name="has_red_flags",
            field=models.BooleanField(
                db_index=True,
                default=False,
                editable=False,
                help_text="Derived from flags on save.",
            ),
        ),
        migrations.AddField(
            model_name="questionnaireresponse",
            name="answers_encrypted",
            field=orders.encryption.EncryptedJSONField(null=True),
        ),
        migrations.AddField(
            model_name="questionnaireresponse",
            name="flags_encrypted",
            field=orders.encryption.EncryptedJSONField(null=True),
        ),
        migrations.AddField(
            model_name="order",
            name="review_note_encrypted",
            field=orders.encryption.EncryptedTextField(null=True),
        ),
        migrations.AddField(
            model_name="message",
            name="body_encrypted",
            field=orders.encryption.EncryptedTextField(null=True),
        ),
    ]
