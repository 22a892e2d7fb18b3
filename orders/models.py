"""Orders: what a patient bought, what she paid, what a clinician decided and what shipped.

Every change of ``Order.status`` goes through a verb function in ``orders/services/`` which
also writes an ``OrderEvent`` (the timeline). Money is always an integer number of cents;
order lines keep a snapshot of the price charged, so later catalog edits never change an
existing order.
"""

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.urls import reverse

from core.encryption import EncryptedJSONField, EncryptedTextField


def new_public_id():
    """A long random id for the patient's order URL: knowing it is what grants access."""
    return secrets.token_urlsafe(24)


class AddressFields(models.Model):
    """A US shipping address (collected by Stripe Checkout, copied onto orders and shipments)."""

    ship_name = models.CharField("recipient", max_length=200, blank=True)
    ship_line1 = models.CharField("address line 1", max_length=200, blank=True)
    ship_line2 = models.CharField("address line 2", max_length=200, blank=True)
    ship_city = models.CharField("city", max_length=100, blank=True)
    ship_state = models.CharField("state", max_length=100, blank=True)
    ship_postal_code = models.CharField("ZIP code", max_length=20, blank=True)
    ship_country = models.CharField("country", max_length=2, blank=True)

    class Meta:
        abstract = True

    ADDRESS_FIELDS = (
        "ship_name",
        "ship_line1",
        "ship_line2",
        "ship_city",
        "ship_state",
        "ship_postal_code",
        "ship_country",
    )

    @property
    def has_address(self):
        return bool(self.ship_line1)

    @property
    def address_lines(self):
        """The address as the lines of an envelope."""
        city_line = " ".join(
            part
            for part in (
                f"{self.ship_city}," if self.ship_city else "",
                self.ship_state,
                self.ship_postal_code,
            )
            if part
        )
        return [
            line
            for line in (
                self.ship_name,
                self.ship_line1,
                self.ship_line2,
                city_line,
                self.ship_country,
            )
            if line
        ]

    def address_dict(self):
        return {name: getattr(self, name) for name in self.ADDRESS_FIELDS}


def lifecycle_targets(table, action, state):
    """Where ``action`` may lead from ``state`` in a lifecycle ``table`` of (action, before,
    after) rows (``Order.LIFECYCLE``, ``OrderLine.LIFECYCLE``); empty: not allowed."""
    return [after for name, before, after in table if (name, before) == (action, state)]


class OrderQuerySet(models.QuerySet):
    @staticmethod
    def in_review_queue():
        """What a clinician must decide on: paid orders awaiting review, and orders the
        patient cancelled before review whose automatic refund has not gone through."""
        cancelled_unrefunded = models.Q(
            status=Order.Status.CANCELLED, paid_at__isnull=False, reviewed_at__isnull=True
        )
        return (
            models.Q(status__in=[Order.Status.AWAITING_REVIEW, Order.Status.RENEWAL_REVIEW])
            | cancelled_unrefunded
        )

    def review_queue(self):
        return self.filter(self.in_review_queue())

    def unanswered_since(self, moment):
        """Orders whose clinician's question has waited for her answer since ``moment``."""
        return self.filter(status=Order.Status.NEEDS_INFORMATION, asked_at__lte=moment)

    @staticmethod
    def shippable():
        """The row-level rule of ``Order.can_ship`` as a filter (see ``Shipment.objects``)."""
        return models.Q(
            status__in=Order.statuses_allowing("ship"),
            reviewed_at__isnull=False,
        ) & ~models.Q(holds__in=Hold.objects.open())


class Order(AddressFields):
    class Status(models.TextChoices):
        PENDING_PAYMENT = "pending_payment", "Waiting for payment"
        AWAITING_REVIEW = "awaiting_review", "Awaiting clinician review"
        APPROVED = "approved", "Approved, preparing to ship"
        DECLINED = "declined", "Not approved (refunded)"
        SHIPPED = "shipped", "Shipped"
        PAST_DUE = "past_due", "Payment failed, please update your card"
        CANCELLED = "cancelled", "Subscription cancelled"
        REFUNDED = "refunded", "Refunded"
        NEEDS_INFORMATION = "needs_information", "Your clinician has a question"
        RENEWAL_DUE = "renewal_due", "Prescription to renew: a few questions for you"
        RENEWAL_REVIEW = "renewal_review", "Renewal awaiting clinician review"

    # The order lifecycle, the one table of what may happen to an order:
    # (action, status before, status after). Services change an order's status only through
    # ``orders.services.transition``, which refuses any move not listed here; the named
    # predicates below (``can_approve()``, ``can_ship()``...), the admin's buttons and the
    # dashboard's counts all read it. A new state or action is a new row, never a new rule.
    LIFECYCLE = (
        ("pay", Status.PENDING_PAYMENT, Status.AWAITING_REVIEW),
        ("approve", Status.AWAITING_REVIEW, Status.APPROVED),
        ("decline", Status.AWAITING_REVIEW, Status.DECLINED),
        ("decline", Status.PAST_DUE, Status.DECLINED),  # a renewal failed before review
        ("decline", Status.REFUNDED, Status.DECLINED),  # refunded at Stripe before review
        ("decline", Status.CANCELLED, Status.DECLINED),  # cancelled first, refund not through
        ("ship", Status.APPROVED, Status.SHIPPED),
        ("ship", Status.SHIPPED, Status.SHIPPED),  # refills
        ("ship", Status.PAST_DUE, Status.PAST_DUE),  # a month she already paid for
        ("ship", Status.CANCELLED, Status.CANCELLED),  # the last month she paid for
        ("fail_payment", Status.AWAITING_REVIEW, Status.PAST_DUE),
        ("fail_payment", Status.APPROVED, Status.PAST_DUE),
        ("fail_payment", Status.SHIPPED, Status.PAST_DUE),
        ("recover_payment", Status.PAST_DUE, Status.AWAITING_REVIEW),
        ("recover_payment", Status.PAST_DUE, Status.APPROVED),
        ("recover_payment", Status.PAST_DUE, Status.SHIPPED),
        ("cancel", Status.AWAITING_REVIEW, Status.CANCELLED),
        ("cancel", Status.APPROVED, Status.CANCELLED),
        ("cancel", Status.SHIPPED, Status.CANCELLED),
        ("cancel", Status.PAST_DUE, Status.CANCELLED),
        ("refund", Status.AWAITING_REVIEW, Status.REFUNDED),
        ("refund", Status.APPROVED, Status.REFUNDED),
        ("refund", Status.SHIPPED, Status.REFUNDED),
        ("refund", Status.PAST_DUE, Status.REFUNDED),
        ("refund", Status.CANCELLED, Status.REFUNDED),
        # The clinician asks before deciding; collection pauses until she answers.
        ("ask", Status.AWAITING_REVIEW, Status.NEEDS_INFORMATION),
        ("answer", Status.NEEDS_INFORMATION, Status.AWAITING_REVIEW),
        ("decline", Status.NEEDS_INFORMATION, Status.DECLINED),
        ("cancel", Status.NEEDS_INFORMATION, Status.CANCELLED),
        ("refund", Status.NEEDS_INFORMATION, Status.REFUNDED),
        # Refills end: when the last one ships (or the prescription is about to expire),
        # collection pauses and she answers a few questions; a clinician renews (collection
        # resumes) or ends the treatment (a cancellation).
        ("renewal_due", Status.SHIPPED, Status.RENEWAL_DUE),
        ("answer_renewal", Status.RENEWAL_DUE, Status.RENEWAL_REVIEW),
        ("renew", Status.RENEWAL_REVIEW, Status.SHIPPED),
        ("cancel", Status.RENEWAL_DUE, Status.CANCELLED),
        ("cancel", Status.RENEWAL_REVIEW, Status.CANCELLED),
        ("refund", Status.RENEWAL_DUE, Status.REFUNDED),
        ("refund", Status.RENEWAL_REVIEW, Status.REFUNDED),
    )

    public_id = models.CharField(max_length=64, unique=True, default=new_public_id, editable=False)
    email = models.EmailField()
    full_name = models.CharField("legal name", max_length=200)
    date_of_birth = models.DateField(null=True, blank=True)
    residence_state = models.CharField(
        "state of residence",
        max_length=2,
        blank=True,
        help_text="Two-letter code, from the questionnaire: the clinician must be licensed there.",
    )
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.PENDING_PAYMENT, db_index=True
    )

    currency = models.CharField(max_length=3, default="usd")
    subtotal_cents = models.PositiveIntegerField(default=0)
    shipping_cents = models.PositiveIntegerField(default=0, help_text="Shipping is always free.")
    total_cents = models.PositiveIntegerField(default=0, help_text="Charged every month.")

    stripe_checkout_session_id = models.CharField(
        max_length=255,
        blank=True,
        db_index=True,
        help_text="The one live Checkout Session: any other one that completes is refunded.",
    )
    checkout_attempt = models.PositiveIntegerField(
        default=0,
        help_text="Numbers the Checkout Session requests, so a new one gets a new idempotency key.",
    )
    checkout_digest = models.CharField(
        max_length=64, blank=True, help_text="What the current attempt asked Stripe for."
    )
    stripe_customer_id = models.CharField(max_length=255, blank=True, db_index=True)
    stripe_subscription_id = models.CharField(max_length=255, blank=True, db_index=True)
    subscription_status = models.CharField(
        max_length=40, blank=True, help_text="As Stripe last reported it, e.g. active, past_due."
    )
    is_test_mode = models.BooleanField(
        default=False, help_text="Paid through the local test-mode gateway, not Stripe."
    )

    # Clinician review (issue 5 fills these through services).
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reviewed_orders",
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = EncryptedTextField(
        blank=True,
        default="",
        help_text="Approval note or decline reason, shown to the patient (encrypted at rest).",
    )

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    # Her account: set once she proved this order's email with a sign-in code.
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="patient_orders",
    )
    current_period_end = models.DateTimeField(
        null=True, blank=True, help_text="When the month she paid for ends (Stripe's word)."
    )
    patient_pause_until = models.DateTimeField(
        null=True, blank=True, help_text="She paused her refills until this date."
    )
    cancel_at_period_end = models.BooleanField(
        default=False, help_text="She cancelled: no charge after the current month."
    )
    asked_at = models.DateTimeField(
        null=True, blank=True, help_text="When a clinician asked her a question, unanswered."
    )
    reminded_at = models.DateTimeField(null=True, blank=True)

    objects = OrderQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    total_cents=models.F("subtotal_cents") + models.F("shipping_cents")
                ),
                name="order_total_is_subtotal_plus_shipping",
            ),
        ]
        # Staff verbs beyond the default add/change/delete/view (oana/roles.py assigns them).
        permissions = [
            ("review_order", "Can approve or decline orders (clinician review)"),
            ("ship_order", "Can mark shipments shipped"),
            ("refund_order", "Can refund orders"),
        ]

    def __str__(self):
        return f"Order {self.reference} ({self.get_status_display()})"

    def get_absolute_url(self):
        return reverse("orders:detail", kwargs={"public_id": self.public_id})

    @property
    def reference(self):
        """A short reference a patient can read out on the phone (not a secret)."""
        return f"OA-{self.pk:06d}" if self.pk else "OA-new"

    @property
    def status_tone(self):
        """The badge colour for the status: success, warning, danger or neutral."""
        return {
            self.Status.AWAITING_REVIEW: "neutral",
            self.Status.APPROVED: "success",
            self.Status.SHIPPED: "success",
            self.Status.PENDING_PAYMENT: "warning",
            self.Status.PAST_DUE: "danger",
            self.Status.DECLINED: "danger",
            self.Status.CANCELLED: "neutral",
            self.Status.REFUNDED: "neutral",
            self.Status.NEEDS_INFORMATION: "warning",
            self.Status.RENEWAL_DUE: "warning",
        }.get(self.status, "neutral")

    @property
    def is_free_shipping(self):
        return self.shipping_cents == 0

    # --- the lifecycle's predicates ---------------------------------------------------------

    @classmethod
    def statuses_allowing(cls, action):
        """The statuses from which ``action`` may happen (from ``LIFECYCLE``)."""
        return sorted({before for name, before, _ in cls.LIFECYCLE if name == action})

    @classmethod
    def targets(cls, action, status):
        """The statuses ``action`` may lead to from ``status`` (empty: not allowed)."""
        return lifecycle_targets(cls.LIFECYCLE, action, status)

    def allows(self, action):
        return bool(self.targets(action, self.status))

    @property
    def was_approved(self):
        """A clinician approved it (whatever happened since: shipped, cancelled, past due)."""
        return self.reviewed_at is not None and self.status != self.Status.DECLINED

    @property
    def cancelled_before_review(self):
        """Paid, then cancelled by the patient before any clinician decided."""
        return (
            self.status == self.Status.CANCELLED
            and self.paid_at is not None
            and self.reviewed_at is None
        )

    def can_approve(self):
        return self.allows("approve") and self.reviewed_at is None

    def can_ask(self):
        return self.allows("ask") and self.reviewed_at is None

    def can_decline(self):
        return self.allows("decline") and self.reviewed_at is None and self.paid_at is not None

    def can_ship(self):
        """Shipments go out only for an approved order that has not been closed by a refund
        or decline, and is not on hold. A patient who cancels after approval still gets the
        month she paid for."""
        return self.allows("ship") and self.was_approved and not self.holds.open().exists()

    def can_refund(self):
        """Staff may refund money that is left on a paid order that is still open."""
        return self.allows("refund") and self.refundable_cents() > 0

    def paid_cents(self):
        return self.payments.aggregate(total=models.Sum("amount_cents"))["total"] or 0

    def refundable_cents(self):
        """Everything paid minus the refunds that count (pending or succeeded)."""
        return self.paid_cents() - self.refunds.live().total_cents()

    def is_fully_refunded(self):
        """Every month she paid for is refunded (Stripe confirmed each refund)."""
        payments = list(self.payments.for_months())
        return bool(payments) and all(payment.is_refunded() for payment in payments)


class OrderLine(models.Model):
    """One treatment in an order, with the price snapshot it was charged at.

    A clinician decides per line (a pack is one line, so it is approved or declined whole);
    the order's own status follows ``Order.LIFECYCLE``: its "approve" is the approval of at
    least one line, its "decline" the decline of every line.
    """

    class Decision(models.TextChoices):
        PENDING = "pending", "Awaiting review"
        APPROVED = "approved", "Approved"
        DECLINED = "declined", "Declined"

    # The line's part of the lifecycle: decided once, with its order's approval.
    LIFECYCLE = (
        ("approve", Decision.PENDING, Decision.APPROVED),
        ("decline", Decision.PENDING, Decision.DECLINED),
    )

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    plan = models.ForeignKey(
        "treatments.Plan", on_delete=models.PROTECT, related_name="order_lines"
    )
    treatment_name = models.CharField(max_length=150)
    treatment_slug = models.SlugField(max_length=150, blank=True)
    plan_name = models.CharField(max_length=100)
    unit_amount_cents = models.PositiveIntegerField()
    currency = models.CharField(max_length=3, default="usd")
    interval = models.CharField(max_length=10, default="month")
    quantity = models.PositiveSmallIntegerField(default=1)
    decision = models.CharField(
        max_length=10, choices=Decision.choices, default=Decision.PENDING, editable=False
    )
    decline_reason = EncryptedTextField(
        blank=True, default="", help_text="Why a clinician declined it (encrypted at rest)."
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "plan"], name="orderline_one_per_plan"),
        ]

    def __str__(self):
        return f"{self.treatment_name} ({self.plan_name}) x{self.quantity}"

    @property
    def line_total_cents(self):
        return self.unit_amount_cents * self.quantity

    @property
    def is_declined(self):
        return self.decision == self.Decision.DECLINED

    def decide(self, action):
        """Move the line along its ``LIFECYCLE`` by ``action`` (not saved)."""
        targets = lifecycle_targets(self.LIFECYCLE, action, self.decision)
        if not targets:
            raise ValueError(f"A line {self.get_decision_display().lower()} cannot be {action}d.")
        self.decision = targets[0]


class QuestionnaireResponseQuerySet(models.QuerySet):
    def update(self, **kwargs):
        """``has_red_flags`` follows ``flags`` in bulk updates too."""
        if "flags" in kwargs:
            kwargs["has_red_flags"] = bool(kwargs["flags"])
        return super().update(**kwargs)


class QuestionnaireResponse(models.Model):
    """The patient's medical answers for one order. Health data: clinicians only, and
    encrypted at rest (``orders/encryption.py``); ``has_red_flags`` is the plain column the
    review queue filters and sorts on."""

    order = models.OneToOneField(Order, on_delete=models.CASCADE, related_name="questionnaire")
    answers = EncryptedJSONField(default=dict, help_text="Question key -> answer, as submitted.")
    flags = EncryptedJSONField(
        default=list, help_text="Answers of concern for the clinician: [{'key', 'message'}]."
    )
    has_red_flags = models.BooleanField(
        default=False, db_index=True, editable=False, help_text="Derived from flags on save."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = QuestionnaireResponseQuerySet.as_manager()

    class Meta:
        verbose_name = "questionnaire response"
        permissions = [
            ("view_questionnaire", "Can read questionnaire answers (health data)"),
        ]

    def __str__(self):
        return f"Questionnaire for {self.order.reference}"

    def save(self, *args, **kwargs):
        self.has_red_flags = bool(self.flags)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "flags" in update_fields:
            kwargs["update_fields"] = {*update_fields, "has_red_flags"}
        super().save(*args, **kwargs)


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
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["order", "created_at"])]

    def __str__(self):
        return f"{self.order_id}: {self.kind}"

    @property
    def who(self):
        if self.actor_id:
            return self.actor.get_full_name() or self.actor.get_username()
        return self.actor_label


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

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="payments")
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

    A row is written (pending, with its idempotency key) and committed first; then a task
    asks Stripe, and Stripe's answer, its ``charge.refunded``/``refund.updated`` webhook or a
    reconciliation settles it. A timeout leaves it pending: the outcome is unknown, and the
    retry uses the same key, so Stripe never refunds it twice. The unique Stripe refund id
    means a refund is counted once, whichever of these arrives first.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        CANCELED = "canceled", "Canceled"

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="refunds")
    payment = models.ForeignKey(
        Payment, on_delete=models.SET_NULL, null=True, blank=True, related_name="refunds"
    )
    amount_cents = models.PositiveIntegerField()
    currency = models.CharField(max_length=3, default="usd")
    reason = models.TextField()
    stripe_refund_id = models.CharField(max_length=255, blank=True)
    idempotency_key = models.CharField(max_length=100, blank=True)
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
                fields=["idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="refund_unique_idempotency_key",
            ),
            models.CheckConstraint(
                condition=models.Q(amount_cents__gt=0), name="refund_amount_positive"
            ),
        ]

    def __str__(self):
        return f"Refund {self.amount_cents} {self.currency} for {self.order.reference}"


class HoldQuerySet(models.QuerySet):
    def open(self):
        return self.filter(released_at__isnull=True)


class Hold(models.Model):
    """Something Support must look at before anything more ships: a flag beside the order's
    status (never a status that overwrites "approved" or "shipped"). ``Order.can_ship`` and
    the shipping queue skip orders with an open hold."""

    class Kind(models.TextChoices):
        DISPUTE = "dispute", "Payment disputed"
        FRAUD_WARNING = "fraud_warning", "Early fraud warning"
        REFUND_FAILED = "refund_failed", "Refund failed"
        AMOUNT_MISMATCH = "amount_mismatch", "Charged amount differs from the order"
        STATE_MISMATCH = "state_mismatch", "Ships to another state than she lives in"

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="holds")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    reason = models.TextField(help_text="What happened, for Support.")
    stripe_object_id = models.CharField(max_length=255, blank=True)
    opened_at = models.DateTimeField(auto_now_add=True)
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    outcome = models.TextField(blank=True, help_text="How it ended (dispute won, refunded...).")

    objects = HoldQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at", "-id"]
        permissions = [("release_hold", "Can release a hold after dealing with it")]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "stripe_object_id"],
                condition=~models.Q(stripe_object_id=""),
                name="hold_once_per_stripe_object",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} on {self.order.reference}"

    @property
    def is_open(self):
        return self.released_at is None


class ShipmentQuerySet(models.QuerySet):
    def for_packing(self):
        """With what a pick list reads (``pick_list``), in constant queries."""
        return self.select_related("order").prefetch_related(
            models.Prefetch(
                "order__prescriptions",
                queryset=Prescription.objects.filter(replaced_at=None),
                to_attr="current_prescriptions",
            )
        )

    def to_ship(self):
        """Fulfilment's queue: pending shipments of orders that may ship (``Order.can_ship``)."""
        return self.filter(
            status=Shipment.Status.PENDING,
            order__in=Order.objects.filter(OrderQuerySet.shippable()),
        )


class Shipment(AddressFields):
    """A box to send: one when an order is approved, one per renewal after that."""

    class Kind(models.TextChoices):
        INITIAL = "initial", "First shipment"
        REFILL = "refill", "Monthly refill"

    class Status(models.TextChoices):
        PENDING = "pending", "To ship"
        SHIPPED = "shipped", "Shipped"
        CANCELLED = "cancelled", "Cancelled"

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="shipments")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    payment = models.OneToOneField(
        Payment,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="shipment",
        help_text="The month it is for: refunding that payment cancels the box if unsent.",
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    carrier = models.CharField(max_length=50, blank=True)
    tracking_number = models.CharField(max_length=100, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    shipped_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ShipmentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.get_kind_display()} for {self.order.reference}"

    @property
    def pick_list(self):
        """What to pack: each medicine prescribed, its strength and a month's quantity
        ("Metformin ER 500 mg: 60 tablets"). Read through ``Shipment.objects.for_packing()``."""
        return [
            f"{rx.medicine_name} {rx.strength}: {rx.quantity} {rx.quantity_unit}"
            for rx in self.order.current_prescriptions
        ]

    TRACKING_URLS = {
        "USPS": "https://tools.usps.com/go/TrackConfirmAction?tLabels={}",
        "UPS": "https://www.ups.com/track?tracknum={}",
        "FedEx": "https://www.fedex.com/fedextrack/?trknbr={}",
        "DHL": "https://www.dhl.com/us-en/home/tracking.html?tracking-id={}",
    }

    @property
    def tracking_url(self):
        """The carrier's public tracking page for this parcel, if we know the carrier."""
        pattern = self.TRACKING_URLS.get(self.carrier)
        if not (pattern and self.tracking_number):
            return ""
        from urllib.parse import quote

        return pattern.format(quote(self.tracking_number))


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

    def __str__(self):
        return f"{self.type} {self.stripe_event_id}"


class ClinicianProfileQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True, user__is_active=True)


class ClinicianProfile(models.Model):
    """A licensed clinician: who signs prescriptions, and in which states she may treat.

    The states Oana serves are the union of the active clinicians' ``licensed_states``
    (``clinic.clinicians.served_states``)."""

    class Credentials(models.TextChoices):
        MD = "MD", "MD"
        DO = "DO", "DO"
        NP = "NP", "NP"
        PA = "PA", "PA"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="clinician_profile"
    )
    display_name = models.CharField(
        max_length=150, help_text="As patients see it, e.g. Dr. Ana Lee."
    )
    credentials = models.CharField(max_length=2, choices=Credentials.choices)
    npi = models.CharField(
        "NPI",
        max_length=10,
        unique=True,
        validators=[RegexValidator(r"^[0-9]{10}$", "An NPI is 10 digits.")],
    )
    licensed_states = models.JSONField(
        default=list, blank=True, help_text="Two-letter codes of the states she is licensed in."
    )
    is_active = models.BooleanField("active", default=True)

    objects = ClinicianProfileQuerySet.as_manager()

    class Meta:
        ordering = ["display_name"]

    def __str__(self):
        return f"{self.display_name}, {self.credentials}"

    def clean(self):
        from core.us_states import STATE_NAMES

        states = self.licensed_states
        if not isinstance(states, list) or any(s not in STATE_NAMES for s in states):
            raise ValidationError({"licensed_states": "Choose states from the list."})

    def is_licensed_in(self, state):
        return state in self.licensed_states


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

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="threads")
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


class Prescription(models.Model):
    """What a clinician prescribed when approving: one per medicine of each approved line.

    The defaults come from the medicine (``treatments.Medicine``); the clinician confirms or
    edits them. Each shipped refill uses one refill; when none is left, or a year after it was
    written, the order needs a renewal (``services.prescriptions``).
    """

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="prescriptions")
    line = models.ForeignKey(OrderLine, on_delete=models.CASCADE, related_name="prescriptions")
    medicine = models.ForeignKey(
        "treatments.Medicine", on_delete=models.PROTECT, related_name="prescriptions"
    )
    medicine_name = models.CharField(max_length=150)
    strength = models.CharField(max_length=100)
    directions = models.TextField("directions (sig)")
    quantity = models.PositiveSmallIntegerField("quantity per month")
    quantity_unit = models.CharField(max_length=30)
    refills = models.PositiveSmallIntegerField(help_text="Refills after the first fill.")
    refills_used = models.PositiveSmallIntegerField(default=0)
    prescriber = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="prescriptions_written"
    )
    prescriber_name = models.CharField(max_length=200, help_text="Name and credentials.")
    written_at = models.DateTimeField()
    replaced_at = models.DateTimeField(null=True, blank=True, help_text="Set by a renewal.")

    class Meta:
        ordering = ["written_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(refills__lte=11), name="prescription_refills_at_most_a_year"
            ),
            models.CheckConstraint(
                condition=models.Q(refills_used__lte=models.F("refills")),
                name="prescription_refills_used_within_refills",
            ),
            models.CheckConstraint(
                condition=models.Q(quantity__gte=1), name="prescription_quantity_positive"
            ),
        ]

    def __str__(self):
        return f"{self.medicine_name} {self.strength}"

    @property
    def refills_left(self):
        return self.refills - self.refills_used

    @property
    def expires_at(self):
        from datetime import timedelta

        return self.written_at + timedelta(days=365)


class RenewalResponse(models.Model):
    """Her answers to the renewal questions (health data: encrypted, clinicians only)."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="renewals")
    answers = EncryptedJSONField(default=dict)
    submitted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]

    def __str__(self):
        return f"Renewal answers for {self.order.reference}"


class ReviewQueueOrder(Order):
    """Paid orders waiting for a clinician: the admin's review queue (a proxy of Order)."""

    class Meta:
        proxy = True
        verbose_name = "order to review"
        verbose_name_plural = "review queue"


class QuestionnaireAccess(models.Model):
    """One look at a patient's questionnaire answers by a staff member (health data audit).

    Written by the admin every time answers are shown; only superusers can read the log.
    """

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="questionnaire_views")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    username = models.CharField(max_length=150, help_text="Kept if the account is deleted.")
    where = models.CharField(max_length=50, help_text="Which admin page showed the answers.")
    viewed_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-viewed_at", "-id"]
        verbose_name = "questionnaire access"
        verbose_name_plural = "health data access log"

    def __str__(self):
        return f"{self.username} viewed {self.order.reference} ({self.where})"
