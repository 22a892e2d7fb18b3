"""An order's timeline (OrderEvent: who did what, when) and what she agreed to (OrderConsent)."""

from django.conf import settings
from django.db import models

from core.encryption import EncryptedTextField
from orders.models.holds import Hold
from orders.models.order import Order


class OrderEvent(models.Model):
    """One entry of an order's timeline: who did what, when, and why."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=40, help_text="e.g. created, paid, payment_failed.")
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="order_events",
    )
    actor_label = models.CharField(
        max_length=100,
        blank=True,
        help_text='Who, when not a staff user: "Stripe webhook", "patient".',
    )
    message = models.TextField(blank=True, help_text="Shown in the patient's timeline.")
    data = models.JSONField(default=dict, blank=True)
    note = EncryptedTextField(
        blank=True,
        default="",
        help_text="Why, as someone typed it (a refund or cancellation reason): encrypted at "
        "rest, never in the plain data.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    # Entries about her health or a clinician's decision on it: their message and note are
    # shown to clinicians only (with a hold of a clinical kind). Support and Fulfillment see
    # that they happened, when and by whom (issue 19 item 4: minimum necessary).
    CLINICAL_KINDS = frozenset(
        {
            "asked",
            "answered",
            "flags_considered",
            "lines_stopped",
            "reported",
            "prescription_changed",
            "prescription_stepped_up",
            "step_up_confirmed",
            "renewal_answered",
            "renewal_declined",
            "checkin_answered",
            "checkin_reviewed",
            "adverse_events",
            "adverse_event_followed_up",
        }
    )

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["order", "created_at"])]

    def __str__(self):
        return f"{self.order_id}: {self.kind}"

    @property
    def is_clinical(self):
        return self.kind in self.CLINICAL_KINDS or (self.data or {}).get("kind") in Hold.URGENT

    @property
    def who(self):
        if self.actor_id:
            return self.actor.get_full_name() or self.actor.get_username()
        return self.actor_label


class OrderConsent(models.Model):
    """What she agreed to before paying: the statement as shown and the document version."""

    class Kind(models.TextChoices):
        TELEHEALTH = "telehealth", "Telehealth care"
        RENEWAL = "renewal", "Monthly auto-renewal and terms"
        PRIVACY = "privacy", "Privacy notice"

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="consents")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    document = models.ForeignKey("legal.LegalDocument", on_delete=models.PROTECT, related_name="+")
    statement = models.TextField(help_text="The words she ticked, as shown to her.")
    agreed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.document})"
