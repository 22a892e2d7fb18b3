"""Her account and her messages with the care team."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models

from core.encryption import EncryptedTextField


class PatientAccount(models.Model):
    """A patient's account: a Django user with no password (she signs in with an emailed
    code) and the one Stripe customer all her checkouts reuse."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="patient_account"
    )
    stripe_customer_id = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.user.email


def is_patient(user):
    """The one answer to "is this a patient?": signed in, not staff, with a patient account.

    Staff never shop or read a patient's pages with their staff account, and a patient never
    enters the admin."""
    return (
        user is not None
        and user.is_authenticated
        and not user.is_staff
        and hasattr(user, "patient_account")
    )


class ThreadQuerySet(models.QuerySet):
    def for_staff(self, user):
        """The threads ``user`` may read: medical ones are health data, clinicians only."""
        topics = [
            topic
            for topic, permission in Thread.READ_PERMISSIONS.items()
            if user.has_perm(permission)
        ]
        return self.filter(topic__in=topics)

    def unread_by_care_team(self):
        return self.filter(
            models.Q(care_team_read_at__isnull=True)
            | models.Q(care_team_read_at__lt=models.F("last_patient_message_at")),
            last_patient_message_at__isnull=False,
        )

    def unread_by_patient(self):
        return self.filter(
            models.Q(patient_read_at__isnull=True)
            | models.Q(patient_read_at__lt=models.F("last_staff_message_at")),
            last_staff_message_at__isnull=False,
        )


class Thread(models.Model):
    """A conversation between a patient and her care team about one order."""

    class Topic(models.TextChoices):
        MEDICAL = "medical", "A medical question"
        ORDER = "order", "My order or delivery"

    # Who on the care team may read (and answer) each topic.
    READ_PERMISSIONS = {
        Topic.MEDICAL: "orders.read_medical_messages",
        Topic.ORDER: "orders.read_order_messages",
    }

    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="threads")
    topic = models.CharField(max_length=10, choices=Topic.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    last_patient_message_at = models.DateTimeField(null=True, blank=True)
    last_staff_message_at = models.DateTimeField(null=True, blank=True)
    patient_read_at = models.DateTimeField(null=True, blank=True)
    care_team_read_at = models.DateTimeField(null=True, blank=True)

    objects = ThreadQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "message thread"
        # The care-team inbox's order (``ThreadAdmin.ordering``).
        indexes = [models.Index(fields=["last_patient_message_at", "id"], name="thread_inbox_idx")]
        permissions = [
            ("read_medical_messages", "Can read and answer medical messages (health data)"),
            ("read_order_messages", "Can read and answer messages about orders and delivery"),
        ]

    def __str__(self):
        return f"{self.get_topic_display()} ({self.order.reference})"


class Message(models.Model):
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    from_patient = models.BooleanField()
    # Medical questions and answers are health data: every message is encrypted alike, so no
    # topic can leak one in plain text.
    body = EncryptedTextField(help_text="Encrypted at rest.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"Message {self.pk} in thread {self.thread_id}"

    @property
    def who(self):
        if self.from_patient:
            return "You"
        if self.author_id:
            return self.author.get_full_name() or "Your care team"
        return "Your care team"


def has_proven_email(email):
    """Has someone signed in with a code sent to ``email`` (any letter case)? Patients have no
    password: a patient account that ever signed in proved the address. Until then an email
    to it carries no clinician's words or prescription (``orders.emails``)."""
    return (
        get_user_model()
        .objects.filter(
            email__iexact=email, patient_account__isnull=False, last_login__isnull=False
        )
        .exists()
    )
