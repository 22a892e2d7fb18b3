"""Money as Stripe (or the test-mode gateway) reported it: payments, refunds, and each Stripe
event stored once."""

from django.conf import settings
from django.db import models

from core.encryption import EncryptedTextField


def intent_key(kind, intent_id, attempt):
    """The idempotency key of one attempt at one recorded intent: the only place keys are
    made. A key names one intent (its row's id), so a new action, even an identical one
    later, gets a new one; a retry of the same attempt reuses it; and ``attempt`` moves on
    only after Stripe was asked what it has (its saved 5xx is replayed to the same key)."""
    return f"oana-{kind}-{intent_id}-{attempt}"


class PaymentQuerySet(models.QuerySet):
    def for_months(self):
        """The payments for months of treatment (not a stray checkout refunded on arrival)."""
        return self.exclude(kind=Payment.Kind.STRAY)


class Payment(models.Model):
    """Money received for an order: the first month, then one per renewal.

    Every row knows the Stripe invoice, payment intent and charge it came from (fetched from
    Stripe, never guessed from an event), so it can be refunded and a refund, dispute or
    fraud warning about its charge finds it.
    """

    class Kind(models.TextChoices):
        INITIAL = "initial", "First month"
        RENEWAL = "renewal", "Renewal"
        STRAY = "stray", "Stray checkout (refunded)"

    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="payments")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    stripe_invoice_id = models.CharField(
        max_length=255, unique=True, help_text="Stripe invoice (test mode: a local test id)."
    )
    stripe_payment_intent_id = models.CharField(max_length=255, blank=True, db_index=True)
    stripe_charge_id = models.CharField(max_length=255, blank=True, db_index=True)
    stripe_subscription_id = models.CharField(max_length=255, blank=True)
    amount_cents = models.PositiveIntegerField()
    currency = models.CharField(max_length=3, default="usd")
    paid_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PaymentQuerySet.as_manager()

    class Meta:
        ordering = ["paid_at", "id"]
        indexes = [models.Index(fields=["paid_at", "id"], name="payment_paid_idx")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount_cents} {self.currency} ({self.stripe_invoice_id})"

    def refundable_cents(self):
        return self.amount_cents - self.refunds.live().total_cents()

    def is_refunded(self):
        """Stripe confirmed refunds for all of it."""
        return self.refunds.succeeded().total_cents() >= self.amount_cents


class RefundQuerySet(models.QuerySet):
    def live(self):
        """Refunds that count: money that went back, or is on its way (not failed/canceled)."""
        return self.exclude(status__in=[Refund.Status.FAILED, Refund.Status.CANCELED])

    def succeeded(self):
        return self.filter(status=Refund.Status.SUCCEEDED)

    def unsent(self):
        """Recorded, but Stripe has not confirmed it yet (never asked, or no answer)."""
        return self.filter(status=Refund.Status.PENDING, stripe_refund_id="")

    def total_cents(self):
        return self.aggregate(total=models.Sum("amount_cents"))["total"] or 0


class Refund(models.Model):
    """Money going back to the patient, recorded before Stripe is asked.

    A row is written (pending) and committed first; then a task asks Stripe under the row's
    key (``intent_key``: the row's id and attempt), and Stripe's answer, its
    ``charge.refunded``/``refund.updated`` webhook or a reconciliation settles it. A 5xx or
    a timeout leaves it pending with ``outcome_unknown_at`` set: before any new attempt
    Stripe's refunds of the payment are listed and ours found by the row id in their
    metadata; only if none is there is it asked again, as the next ``attempt``. The unique
    Stripe refund id means a refund is counted once, whichever of these arrives first.
    ``request_token``: the one-time token of the form that asked for it (the same form sent
    twice is refused).
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        CANCELED = "canceled", "Canceled"

    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="refunds")
    payment = models.ForeignKey(
        Payment, on_delete=models.SET_NULL, null=True, blank=True, related_name="refunds"
    )
    amount_cents = models.PositiveIntegerField()
    currency = models.CharField(max_length=3, default="usd")
    reason = EncryptedTextField(help_text="Why, as Support or the system wrote it (encrypted).")
    stripe_refund_id = models.CharField(max_length=255, blank=True)
    request_token = models.CharField(max_length=100, blank=True)
    attempt = models.PositiveSmallIntegerField(
        default=1, help_text="Which attempt at Stripe: each has its own idempotency key."
    )
    outcome_unknown_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Stripe failed (5xx) or did not answer: being checked with Stripe since then.",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    failure_message = models.TextField(blank=True)
    email_patient = models.BooleanField(
        default=True, help_text="Email her when it goes through (a decline's email says it)."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    settled_at = models.DateTimeField(null=True, blank=True)

    objects = RefundQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["stripe_refund_id"],
                condition=~models.Q(stripe_refund_id=""),
                name="refund_unique_stripe_id",
            ),
            models.UniqueConstraint(
                fields=["request_token"],
                condition=~models.Q(request_token=""),
                name="refund_unique_request_token",
            ),
            models.CheckConstraint(
                condition=models.Q(amount_cents__gt=0), name="refund_amount_positive"
            ),
        ]

    def __str__(self):
        return f"Refund {self.amount_cents} {self.currency} for {self.order.reference}"

    @property
    def idempotency_key(self):
        return intent_key("refund", self.pk, self.attempt)

    @property
    def state_label(self):
        """Its status as staff read it: a pending refund whose outcome is unknown says so."""
        if self.status == self.Status.PENDING and self.outcome_unknown_at is not None:
            return "Outcome unknown: being checked with Stripe"
        return self.get_status_display()


class StripeCommandQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(status=StripeCommand.Status.PENDING)


class StripeCommand(models.Model):
    """One change we asked Stripe to make to a subscription, recorded before it is sent.

    The intent row behind every subscription command (a billing change: pause, resume,
    cancel at the end of the month, a question's hold; a cancellation; removing declined
    items): its idempotency key is ``intent_key`` of its id and ``attempt``. Each task
    reads Stripe first and sends only what is missing; after a failure or an unknown
    outcome (5xx, no answer) the next attempt reads again and, if the change is still not
    there, goes out under the next ``attempt``'s key.
    """

    class Kind(models.TextChoices):
        COLLECTION = "collection", "Billing change"
        CANCEL = "cancel", "Cancel subscription"
        REMOVE_ITEMS = "remove-items", "Remove declined items"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DONE = "done", "Done"
        FAILED = "failed", "Refused by Stripe"

    order = models.ForeignKey(
        "orders.Order", on_delete=models.CASCADE, related_name="stripe_commands"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    subscription_id = models.CharField(max_length=255)
    plan_ids = models.JSONField(default=list, blank=True)
    attempt = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    outcome_unknown_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    done_at = models.DateTimeField(null=True, blank=True)

    objects = StripeCommandQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.subscription_id} ({self.get_status_display()})"

    @property
    def idempotency_key(self):
        return intent_key(self.kind, self.pk, self.attempt)


class WebhookEvent(models.Model):
    """Each Stripe event id once: the unique constraint is what makes delivery idempotent."""

    stripe_event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100, db_index=True)
    livemode = models.BooleanField(default=False)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    result = models.CharField(max_length=255, blank=True, help_text="What handling it did.")
    payload = models.JSONField(default=dict)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["received_at", "id"], name="webhookevent_received_idx")]

    def __str__(self):
        return f"{self.type} {self.stripe_event_id}"
