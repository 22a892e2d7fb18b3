"""The first versions of the privacy notice, the terms and the telehealth consent.

``seed_legal_documents`` creates, published, the first version of each kind that has none
(the data migration ``legal/0002`` and the ``seed`` command call it), so every database has a
document to agree to. ``publish_seed_texts`` (the data migration ``legal/0003``) publishes the
complete texts of ``legal/texts.py`` as a new version where the current one differs: orders
keep pointing at the version they agreed to. Counsel's review date is set by staff in the
admin (``counsel_reviewed_on``).
"""

from django.utils import timezone

from .texts import DOCUMENTS


def _model(model):
    if model is None:
        from .models import LegalDocument as model
    return model


def seed_legal_documents(model=None):
    """Create, published, the first version of each kind that has no version yet.

    ``model`` is the ``LegalDocument`` class (a migration passes its historical one).
    Returns how many were created."""
    model = _model(model)
    created = 0
    for kind, title, body in DOCUMENTS:
        if not model.objects.filter(kind=kind).exists():
            model.objects.create(
                kind=kind, version=1, title=title, body=body, published_at=timezone.now()
            )
            created += 1
    return created


def publish_seed_texts(model=None):
    """Publish the seed text of each kind as a new version where the latest published
    version says something else. Returns how many were published."""
    model = _model(model)
    published = 0
    for kind, title, body in DOCUMENTS:
        versions = model.objects.filter(kind=kind)
        latest = versions.filter(published_at__isnull=False).order_by("-version").first()
        if latest is None or latest.body == body:
            continue
        top = versions.order_by("-version").values_list("version", flat=True).first()
        model.objects.create(
            kind=kind, version=top + 1, title=title, body=body, published_at=timezone.now()
        )
        published += 1
    return published
