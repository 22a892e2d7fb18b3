"""Labs and her identity: files she uploads (encrypted, ``core.health_files``), the labs a
clinician requests, the results she enters, and the clinician's check of her ID photo.

Health data: values, reasons and files are encrypted at rest; the test's name and the dates
stay plain (the sign-off page and the daily job pick results by them)."""

import secrets

from django.conf import settings
from django.db import models

from core.encryption import EncryptedJSONField, EncryptedTextField
from core.health_files import health_files


def health_file_name(instance, filename):
    """A random name: nothing of hers (not even the name of her file) in the storage."""
    extension = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}
    return f"{instance.kind}/{secrets.token_hex(16)}.{extension.get(instance.content_type, 'bin')}"


class HealthFile(models.Model):
    """A lab report or an ID photo she uploaded, checked by content and stripped of metadata
    (``clinic.uploads``). Served only through the access-logged view, to those with the
    kind's permission (``VIEW_PERMISSION``)."""

    class Kind(models.TextChoices):
        LAB_REPORT = "lab_report", "Lab report"
        ID_PHOTO = "id_photo", "ID photo"

    VIEW_PERMISSION = {
        Kind.LAB_REPORT: "orders.view_lab_files",
        Kind.ID_PHOTO: "orders.view_identity_files",
    }

    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="files")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    file = models.FileField(storage=health_files, upload_to=health_file_name, max_length=200)
    content_type = models.CharField(max_length=40)
    uploaded_at = models.DateTimeField(auto_now_add=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    deleted_at = models.DateTimeField(
        null=True, blank=True, help_text="The file was deleted (retention); the row stays."
    )

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        permissions = [
            ("view_lab_files", "Can open lab reports she uploaded (health data)"),
            ("view_identity_files", "Can open ID photos she uploaded"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def view_permission(self):
        return self.VIEW_PERMISSION[self.kind]


class LabRequest(models.Model):
    """Labs a clinician asked her for, from the sign-off page: which tests, why, by when."""

    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="lab_requests")
    tests = EncryptedJSONField(default=list, help_text="Lab test keys (clinic.labs.LAB_TESTS).")
    why = EncryptedTextField()
    due_by = models.DateField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-requested_at", "-id"]

    def __str__(self):
        return f"Lab request #{self.pk}"


class LabResult(models.Model):
    """One result she (or a clinician) entered. It counts for a requirement only once
    confirmed against its report by a clinician (``confirmed_by``)."""

    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="lab_results")
    test = models.CharField(max_length=20)
    value = EncryptedTextField()
    unit = EncryptedTextField()
    taken_on = models.DateField()
    report = models.ForeignKey(
        HealthFile, on_delete=models.SET_NULL, null=True, blank=True, related_name="results"
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    entered_at = models.DateTimeField(auto_now_add=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-taken_on", "-id"]
        permissions = [
            ("confirm_lab_result", "Can confirm a lab result against its report"),
        ]

    def __str__(self):
        return f"Lab result #{self.pk}"

    @property
    def confirmed(self):
        return self.confirmed_at is not None


class IdentityCheck(models.Model):
    """Her identity for one order: the ID photo she uploaded and the decision on it (a
    clinician's match / mismatch, or later a verification provider's: ``clinic.identity``)."""

    class Decision(models.TextChoices):
        PENDING = "pending", "Waiting for a decision"
        MATCH = "match", "Matches her legal name and date of birth"
        MISMATCH = "mismatch", "Does not match"

    order = models.ForeignKey(
        "orders.Order", on_delete=models.CASCADE, related_name="identity_checks"
    )
    photo = models.ForeignKey(HealthFile, on_delete=models.PROTECT, related_name="+")
    provider = models.CharField(max_length=40, default="manual")
    decision = models.CharField(max_length=10, choices=Decision.choices, default="pending")
    note = EncryptedTextField(blank=True, default="")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [
            ("decide_identity", "Can record whether her ID matches her name and date of birth"),
        ]

    def __str__(self):
        return f"Identity check #{self.pk} ({self.get_decision_display().lower()})"
