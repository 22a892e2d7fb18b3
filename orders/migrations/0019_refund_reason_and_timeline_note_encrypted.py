"""Refund reasons typed by Support, and the reasons the timeline kept in its plain-text data,
encrypted at rest: existing refund reasons are encrypted in place (while the column is still
plain text to Django), then the field becomes encrypted; each timeline entry's ``reason``
moves out of ``data`` into the new encrypted ``note``. Reversible."""

from django.db import migrations

import core.encryption

BATCH = 500


def _rewrite_refund_reasons(apps, change):
    Refund = apps.get_model("orders", "Refund")
    for pk, reason in (
        Refund.objects.order_by("pk").values_list("pk", "reason").iterator(chunk_size=BATCH)
    ):
        Refund.objects.filter(pk=pk).update(reason=change(reason))


def encrypt_refund_reasons(apps, schema_editor):
    _rewrite_refund_reasons(apps, core.encryption.encrypt)


def decrypt_refund_reasons(apps, schema_editor):
    _rewrite_refund_reasons(apps, core.encryption.decrypt)


def reasons_into_notes(apps, schema_editor):
    OrderEvent = apps.get_model("orders", "OrderEvent")
    changed = []
    for event in (
        OrderEvent.objects.filter(data__has_key="reason").order_by("pk").iterator(chunk_size=BATCH)
    ):
        data = dict(event.data)
        event.note = str(data.pop("reason") or "")
        event.data = data
        changed.append(event)
    OrderEvent.objects.bulk_update(changed, ["note", "data"], batch_size=BATCH)


def notes_into_reasons(apps, schema_editor):
    OrderEvent = apps.get_model("orders", "OrderEvent")
    changed = []
    for event in OrderEvent.objects.order_by("pk").iterator(chunk_size=BATCH):
        if event.note:  # an encrypted column cannot be filtered on
            event.data = {**event.data, "reason": event.note}
            changed.append(event)
    OrderEvent.objects.bulk_update(changed, ["data"], batch_size=BATCH)


class Migration(migrations.Migration):
    dependencies = [("orders", "0018_hold_release_roles")]

    operations = [
        migrations.RunPython(encrypt_refund_reasons, decrypt_refund_reasons),
        migrations.AlterField(
            model_name="refund",
            name="reason",
            field=core.encryption.EncryptedTextField(
                help_text="Why, as Support or the system wrote it (encrypted)."
            ),
        ),
        migrations.AddField(
            model_name="orderevent",
            name="note",
            field=core.encryption.EncryptedTextField(
                blank=True,
                default="",
                help_text="Why, as someone typed it (a refund or cancellation reason): "
                "encrypted at rest, never in the plain data.",
            ),
        ),
        migrations.RunPython(reasons_into_notes, notes_into_reasons),
    ]
