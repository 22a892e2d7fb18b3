"""Health data encrypted at rest, step 2 of 3: every existing row's answers, flags,
clinician note and message body copied into the encrypted columns (with the first of
FIELD_ENCRYPTION_KEYS), and ``has_red_flags`` derived from the flags. Reversible: the way back
decrypts."""

from django.db import migrations

BATCH = 500


def _copy(queryset, pairs, derive=None):
    batch = []
    fields = [target for _, target in pairs] + (["has_red_flags"] if derive else [])
    for row in queryset.iterator(chunk_size=BATCH):
        for source, target in pairs:
            setattr(row, target, getattr(row, source))
        if derive:
            derive(row)
        batch.append(row)
        if len(batch) == BATCH:
            queryset.model.objects.bulk_update(batch, fields)
            batch = []
    if batch:
        queryset.model.objects.bulk_update(batch, fields)


def _derive_red_flags(response):
    response.has_red_flags = bool(response.flags)


def encrypt(apps, schema_editor):
    QuestionnaireResponse = apps.get_model("orders", "QuestionnaireResponse")
    Order = apps.get_model("orders", "Order")
    Message = apps.get_model("orders", "Message")
    _copy(
        QuestionnaireResponse.objects.order_by("pk"),
        [("answers", "answers_encrypted"), ("flags", "flags_encrypted")],
        derive=_derive_red_flags,
    )
    _copy(Order.objects.order_by("pk"), [("review_note", "review_note_encrypted")])
    _copy(Message.objects.order_by("pk"), [("body", "body_encrypted")])


def decrypt(apps, schema_editor):
    QuestionnaireResponse = apps.get_model("orders", "QuestionnaireResponse")
    Order = apps.get_model("orders", "Order")
    Message = apps.get_model("orders", "Message")
    _copy(
        QuestionnaireResponse.objects.order_by("pk"),
        [("answers_encrypted", "answers"), ("flags_encrypted", "flags")],
    )
    _copy(Order.objects.order_by("pk"), [("review_note_encrypted", "review_note")])
    _copy(Message.objects.order_by("pk"), [("body_encrypted", "body")])


class Migration(migrations.Migration):
    dependencies = [("orders", "0006_encrypted_columns")]

    operations = [migrations.RunPython(encrypt, decrypt)]
