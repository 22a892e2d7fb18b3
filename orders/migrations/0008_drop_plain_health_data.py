"""Health data encrypted at rest, step 3 of 3: the plain columns dropped and the encrypted
ones take their names."""

from django.db import migrations, models

import orders.encryption


class Migration(migrations.Migration):
    dependencies = [("orders", "0007_encrypt_existing_rows")]

    operations = [
        migrations.RemoveField(model_name="questionnaireresponse", name="answers"),
        migrations.RemoveField(model_name="questionnaireresponse", name="flags"),
        migrations.RemoveField(model_name="order", name="review_note"),
        # A default first, so that the way back can re-add the column to existing rows before
        # 0007's reverse fills it.
        migrations.AlterField(
            model_name="message", name="body", field=models.TextField(default="")
        ),
        migrations.RemoveField(model_name="message", name="body"),
        migrations.RenameField(
            model_name="questionnaireresponse", old_name="answers_encrypted", new_name="answers"
        ),
        migrations.RenameField(
            model_name="questionnaireresponse", old_name="flags_encrypted", new_name="flags"
        ),
        migrations.RenameField(
            model_name="order", old_name="review_note_encrypted", new_name="review_note"
        ),
        migrations.RenameField(model_name="message", old_name="body_encrypted", new_name="body"),
        migrations.AlterField(
            model_name="message",
            name="body",
            field=orders.encryption.EncryptedTextField(help_text="Encrypted at rest."),
        ),
        migrations.AlterField(
            model_name="questionnaireresponse",
            name="answers",
            field=orders.encryption.EncryptedJSONField(
                default=dict, help_text="Question key -> answer, as submitted."
            ),
        ),
        migrations.AlterField(
            model_name="questionnaireresponse",
            name="flags",
            field=orders.encryption.EncryptedJSONField(
                default=list,
                help_text="Answers of concern for the clinician: [{'key', 'message'}].",
            ),
        ),
        migrations.AlterField(
            model_name="order",
            name="review_note",
            field=orders.encryption.EncryptedTextField(
                blank=True,
                default="",
                help_text="Approval note or decline reason, shown to the patient (encrypted at rest).",
            ),
        ),
    ]
