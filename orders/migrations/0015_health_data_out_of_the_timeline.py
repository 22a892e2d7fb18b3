"""A clinician's note, decline reason and question stay in their encrypted fields only: the
copies earlier versions wrote into the plain-text timeline (OrderEvent.message and .data) and
into refund reasons are removed from existing rows. Not reversible in content (the text is
gone from these rows; it remains in the encrypted fields)."""

from django.db import migrations

NOTE = " Note from your clinician: "
DECLINED = "Declined by clinician"
BATCH = 500


def scrub(apps, schema_editor):
    OrderEvent = apps.get_model("orders", "OrderEvent")
    Refund = apps.get_model("orders", "Refund")
    events = OrderEvent.objects.filter(kind__in=["approved", "declined", "asked"]) | (
        OrderEvent.objects.filter(data__reason__startswith=f"{DECLINED}:")
    )
    changed = []
    for event in events.order_by("pk").iterator(chunk_size=BATCH):
        data = dict(event.data or {})
        if event.kind == "approved" and "note" in data:
            data["note"] = bool(data["note"])
        if event.kind in ("declined", "asked"):
            data.pop("reason", None)
            data.pop("question", None)
        if str(data.get("reason", "")).startswith(f"{DECLINED}:"):
            data["reason"] = DECLINED
        event.data = data
        event.message = event.message.split(NOTE, 1)[0]
        changed.append(event)
    OrderEvent.objects.bulk_update(changed, ["data", "message"], batch_size=BATCH)
    Refund.objects.filter(reason__startswith=f"{DECLINED}:").update(reason=DECLINED)


class Migration(migrations.Migration):
    dependencies = [("orders", "0014_hold_state_mismatch")]

    operations = [migrations.RunPython(scrub, migrations.RunPython.noop)]
