"""The outcome typed when a hold is released (a clinician's words, for a clinical hold) moves
out of the timeline entry's plain ``data`` into its encrypted ``note``, where
``release_hold`` now writes it. Reversible."""

from django.db import migrations

BATCH = 500


def outcomes_into_notes(apps, schema_editor):
    OrderEvent = apps.get_model("orders", "OrderEvent")
    changed = []
    entries = OrderEvent.objects.filter(kind="hold_released", data__has_key="outcome")
    for event in entries.order_by("pk").iterator(chunk_size=BATCH):
        data = dict(event.data)
        event.note = str(data.pop("outcome") or "")
        event.data = data
        changed.append(event)
    OrderEvent.objects.bulk_update(changed, ["note", "data"], batch_size=BATCH)


def notes_into_outcomes(apps, schema_editor):
    OrderEvent = apps.get_model("orders", "OrderEvent")
    changed = []
    for event in (
        OrderEvent.objects.filter(kind="hold_released").order_by("pk").iterator(chunk_size=BATCH)
    ):
        event.data = {**event.data, "outcome": event.note}
        event.note = ""
        changed.append(event)
    OrderEvent.objects.bulk_update(changed, ["note", "data"], batch_size=BATCH)


class Migration(migrations.Migration):
    dependencies = [("orders", "0025_meddata_medicine_data_change")]

    operations = [migrations.RunPython(outcomes_into_notes, notes_into_outcomes)]
