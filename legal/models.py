"""The privacy notice, the terms and the telehealth consent, as versioned documents.

A leaf app: it imports no other app of ours; orders points at the versions a patient agreed
to (``orders.OrderConsent``).
"""

from django.db import models
from django.urls import reverse


class LegalDocumentQuerySet(models.QuerySet):
    def published(self):
        return self.filter(published_at__isnull=False)

    def current(self, kind):
        """The latest published version of ``kind``, or None."""
        return self.published().filter(kind=kind).order_by("-version").first()

    def awaiting_counsel(self):
        """The current version of each kind that counsel has not reviewed yet (staff index
        warning; docs/operations.md's go-live checklist)."""
        current = [self.current(kind) for kind in LegalDocument.Kind.values]
        return [document for document in current if document and not document.counsel_reviewed_on]


class LegalDocument(models.Model):
    """One version of the privacy notice, the terms or the telehealth consent.

    A published version never changes (orders point at the version she agreed to); a change
    is a new version, published when ready. Content editors write them in the admin."""

    class Kind(models.TextChoices):
        PRIVACY = "privacy", "Privacy notice"
        TERMS = "terms", "Terms of service"
        TELEHEALTH = "telehealth_consent", "Telehealth consent"

    kind = models.CharField(max_length=30, choices=Kind.choices)
    version = models.PositiveIntegerField(editable=False)
    title = models.CharField(max_length=200)
    body = models.TextField(
        help_text="Plain text; a blank line starts a new paragraph, a paragraph starting "
        'with "## " is a heading. {legal_entity}, {legal_address}, {privacy_email}, '
        "{support_email} and {support_phone} are filled in from the site's settings."
    )
    counsel_reviewed_on = models.DateField(
        "reviewed by counsel on",
        null=True,
        blank=True,
        help_text="The day the clinic's lawyer approved this text. Until every current "
        "document has one, the staff index warns that it is not ready for go-live.",
    )
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = LegalDocumentQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "version"], name="legal_document_version"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}, version {self.version}"

    def save(self, *args, **kwargs):
        if self.version is None:
            latest = LegalDocument.objects.filter(kind=self.kind).aggregate(models.Max("version"))
            self.version = (latest["version__max"] or 0) + 1
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse(f"legal_{self.kind}") + f"?version={self.version}"
