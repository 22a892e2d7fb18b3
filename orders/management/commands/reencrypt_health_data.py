"""Move every encrypted value to the first key of FIELD_ENCRYPTION_KEYS (docs/security.md)."""

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from core.encryption import is_encrypted_field
from core.sessions import reencrypt_sessions

BATCH = 500


def encrypted_fields():
    """(model, [field names]) for every model with encrypted fields, whichever app it is in
    (medical messages included, once they exist)."""
    for model in apps.get_models():
        names = [f.name for f in model._meta.concrete_fields if is_encrypted_field(f)]
        if names:
            yield model, names


def reencrypt(model, names):
    """Each row's encrypted fields read (any key decrypts) and written back (the first key
    encrypts), a batch at a time with the rows locked, so a concurrent change is not lost.
    Returns the number of rows."""
    manager = model._base_manager
    pks = list(manager.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(pks), BATCH):
        with transaction.atomic():
            rows = manager.filter(pk__in=pks[start : start + BATCH]).select_for_update()
            for row in rows.only("pk", *names):
                manager.filter(pk=row.pk).update(**{name: getattr(row, name) for name in names})
    return len(pks)


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted field (questionnaire answers, clinicians' notes...) with "
        "the first key of FIELD_ENCRYPTION_KEYS, so that older keys can then be removed."
    )

    def handle(self, *args, **options):
        for model, names in encrypted_fields():
            count = reencrypt(model, names)
            label = model._meta.label
            self.stdout.write(f"{label}: {count} rows re-encrypted ({', '.join(names)})")
        # Sessions carry checkout answers and pending sign-in codes (core/sessions.py).
        rewritten, ended = reencrypt_sessions()
        self.stdout.write(
            f"sessions: {rewritten} re-encrypted, {ended} ended (no key decrypts them)"
        )
