"""The order, its lines, its timeline and the consents she gave, with the order lifecycle
(``Order.LIFECYCLE``) and its named predicates."""

import re
import secrets

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from core.billing_months import add_months, pause_schedule, renewals
from core.encryption import EncryptedTextField
from orders.models.address import AddressFields
from orders.models.followups import CheckIn
from orders.models.holds import Hold


def new_public_id():
    """A long random id for the patient's order URL: knowing it is what grants access."""
    return secrets.token_urlsafe(24)


def lifecycle_targets(table, action, state):
    """Where ``action`` may lead from ``state`` in a lifecycle ``table`` of (action, before,
    after) rows (``Order.LIFECYCLE``, ``OrderLine.LIFECYCLE``); empty: not allowed."""
    return [after for name, before, after in table if (name, before) == (action, state)]


class OrderQuerySet(models.QuerySet):
    @staticmethod
    def in_review_queue():
        """``Order.awaits_clinician`` as a filter (tested equal in every state)."""
        cancelled_unrefunded = models.Q(
            status=Order.Status.CANCELLED, paid_at__isnull=False, reviewed_at__isnull=True
        )
        urgent = models.Q(pk__in=Hold.objects.urgent().values("order_id"))
        checkin = models.Q(pk__in=CheckIn.objects.awaiting_review().values("order_id"))
        return (
            models.Q(status__in=Order.decision_statuses())
            | cancelled_unrefunded
            | urgent
            | checkin
            | OrderQuerySet.sent_back()
        )

    def review_queue(self):
        return self.filter(self.in_review_queue())

    @staticmethod
    def in_verification_queue():
        """``Order.awaits_verification`` as a filter (tested equal in every state)."""
        return models.Q(
            status__in=Order.statuses_allowing("ship"),
            reviewed_at__isnull=False,
            pk__in=_prescriptions().filter(verified_at=None, sent_back_at=None).values("order_id"),
        )

    def verification_queue(self):
        return self.filter(self.in_verification_queue())

    @staticmethod
    def sent_back():
        """``Order.is_sent_back`` as a filter."""
        return models.Q(
            status__in=Order.statuses_allowing("change_prescription"),
            pk__in=_prescriptions()
            .filter(verified_at=None)
            .exclude(sent_back_at=None)
            .values("order_id"),
        )

    def unanswered_since(self, moment):
        """Orders whose clinician's question has waited for her answer since ``moment``."""
        return self.filter(status__in=Order.statuses_allowing("answer"), asked_at__lte=moment)

    @staticmethod
    def shippable():
        """The row-level rule of ``Order.can_ship`` as a filter (see ``Shipment.objects``)."""
        return models.Q(
            status__in=Order.statuses_allowing("ship"),
            reviewed_at__isnull=False,
        ) & ~models.Q(holds__in=Hold.objects.open())

    @staticmethod
    def prescriptions_verified():
        """``Order.prescriptions_verified`` as a filter."""
        return ~models.Q(pk__in=_prescriptions().filter(verified_at=None).values("order_id"))


def _prescriptions():
    """Current prescriptions (``orders.Prescription``, defined beside the clinical record)."""
    return Order._meta.get_field("prescriptions").related_model.objects.filter(replaced_at=None)


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
        ("end_treatment", Status.RENEWAL_REVIEW, Status.CANCELLED),  # a clinician does not renew
        ("refund", Status.RENEWAL_DUE, Status.REFUNDED),
        ("refund", Status.RENEWAL_REVIEW, Status.REFUNDED),
        # Between renewals a clinician may change a prescription or confirm a titration
        # step-up (``clinic.services.changes``): the order keeps its status.
        ("change_prescription", Status.APPROVED, Status.APPROVED),
        ("change_prescription", Status.SHIPPED, Status.SHIPPED),
    )

    # Her billing, beside the table: collecting every month, held by the clinic (a question,
    # a renewal; she is never charged for a month that cannot ship), or closed for good.
    COLLECTING = (Status.AWAITING_REVIEW, Status.APPROVED, Status.SHIPPED)
    CLINIC_HOLDS_BILLING = (Status.NEEDS_INFORMATION, Status.RENEWAL_DUE, Status.RENEWAL_REVIEW)
    CLOSED = (Status.DECLINED, Status.REFUNDED, Status.CANCELLED)

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
    billing_anchor = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Her subscription's billing anchor (Stripe's word): renewals fall on its day "
        "of the month, clamped to the month's end.",
    )
    patient_pause_until = models.DateTimeField(
        null=True, blank=True, help_text="She paused her refills until this date."
    )
    cancel_at_period_end = models.BooleanField(
        default=False, help_text="She cancelled: no charge after the current month."
    )
    status_before_past_due = models.CharField(
        max_length=20,
        blank=True,
        help_text="Where the order goes back to when her failed payment goes through.",
    )
    billing_sync_requested_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="A change to her billing (a pause, a cancellation) waits to reach Stripe "
        "since then; cleared once Stripe has it.",
    )
    asked_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Waiting for her answer since: a clinician's question, or her renewal answers.",
    )
    reminded_at = models.DateTimeField(null=True, blank=True)

    objects = OrderQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        # The orders list's order and its date bar (docs/performance.md, EXPLAIN).
        indexes = [models.Index(fields=["created_at", "id"], name="order_created_idx")]
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

    @staticmethod
    def pk_from_reference(text):
        """The order number in a reference as someone reads or types it ("OA-000123",
        "oa 123"), or ``None`` when ``text`` is not one."""
        match = re.fullmatch(r"\s*OA[-\s]?0*(\d{1,18})\s*", text, re.IGNORECASE)
        return int(match[1]) if match else None

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

    @property
    def next_charge_on(self):
        """The date of her next monthly charge, for the thank-you page and the confirmation
        email: the end of the month she paid for (Stripe's, once synced), else a month after
        she paid; None before she paid."""
        if self.current_period_end:
            return timezone.localdate(self.current_period_end)
        if self.paid_at:
            return add_months(timezone.localdate(self.paid_at), 1)
        return None

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

    @classmethod
    def decision_statuses(cls):
        """Where a clinician decides: a first review (approve) or a renewal (renew)."""
        return sorted({*cls.statuses_allowing("approve"), *cls.statuses_allowing("renew")})

    def awaits_clinician(self):
        """In the review queue: a first review or a renewal to decide, or an order she
        cancelled before review whose automatic refund has not gone through, a problem she
        reported (an urgent hold, ``Hold.URGENT``), a check-in she answered, or a prescription
        a pharmacist sent back."""
        return (
            self.status in self.decision_statuses()
            or self.cancelled_before_review
            or self.holds.urgent().exists()
            or self.has_checkin_to_review()
            or self.is_sent_back()
        )

    # --- the pharmacist's verification (``clinic.services.verification``) ----------------

    def awaits_verification(self):
        """In the verification queue: approved, still to ship, with a current prescription
        no pharmacist has verified or sent back yet."""
        return (
            self.allows("ship")
            and self.was_approved
            and _prescriptions().filter(order=self, verified_at=None, sent_back_at=None).exists()
        )

    def prescriptions_verified(self):
        """Every current prescription is verified: a box of it may ship."""
        return not _prescriptions().filter(order=self, verified_at=None).exists()

    def is_sent_back(self):
        """A pharmacist sent a current prescription back: the clinician changes or stops it."""
        return (
            self.allows("change_prescription")
            and _prescriptions()
            .filter(order=self, verified_at=None)
            .exclude(sent_back_at=None)
            .exists()
        )

    def has_checkin_to_review(self):
        """She answered a check-in that no clinician has reviewed yet."""
        # The review queue reads it for a page of orders at once: an annotation of the same
        # queryset (``checkin_to_review``) answers without a query per row.
        annotated = getattr(self, "checkin_to_review", None)
        if annotated is not None:
            return annotated
        return self.checkins.awaiting_review().exists()

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
        return self.allows("ship") and self.was_approved and not self.has_open_hold()

    def has_open_hold(self):
        # Lists read it for a page of orders at once: they prefetch ``open_holds``
        # (``Hold.objects.open()``, as ``ShipmentQuerySet.for_packing`` does).
        prefetched = getattr(self, "open_holds", None)
        if prefetched is not None:
            return bool(prefetched)
        return self.holds.open().exists()

    def awaits_payment(self):
        return self.allows("pay")

    def is_past_due(self):
        return self.allows("recover_payment")

    def is_closed(self):
        """Declined, refunded or cancelled: nothing more is charged or sent."""
        return self.status in self.CLOSED

    def clinic_holds_billing(self):
        """The clinic holds collection: a question waits for her, or her renewal."""
        return self.status in self.CLINIC_HOLDS_BILLING

    def can_change_billing(self):
        """She may pause her refills or cancel at the end of the month (the services and
        the buttons on her order page both ask this)."""
        collecting = self.status in self.COLLECTING or self.clinic_holds_billing()
        return collecting and not self.cancel_at_period_end

    def can_undo_cancel(self):
        """She cancelled at the end of the month and that month has not ended: she may
        change her mind ("Undo cancellation"), and her subscription runs on as before."""
        if not self.cancel_at_period_end or self.is_closed():
            return False
        return self.current_period_end is None or self.current_period_end > timezone.now()

    def can_change_address(self):
        return not self.is_closed()

    def _billing_dates(self):
        """(billing anchor, coming renewal) her renewals are counted from, as Stripe has
        them (an order from before the anchor was kept counts from its period end)."""
        period_end = self.current_period_end or timezone.now()
        return self.billing_anchor or period_end, period_end

    def pause_schedule(self, months):
        """What pausing her next ``months`` renewals means in dates (``core.billing_months``):
        her page shows it, ``pause_refills`` stores its end, Stripe is sent that end."""
        anchor, period_end = self._billing_dates()
        return pause_schedule(
            anchor=anchor, period_end=period_end, now=timezone.now(), months=months
        )

    @property
    def charge_after_pause(self):
        """The first renewal charged after her pause ends (ask only while she is paused)."""
        anchor, period_end = self._billing_dates()
        [date] = renewals(
            anchor=anchor, period_end=period_end, after=self.patient_pause_until, count=1
        )
        return date

    def can_answer_renewal(self):
        return self.allows("answer_renewal")

    def can_renew(self):
        return self.allows("renew")

    def can_end_treatment(self):
        return self.allows("end_treatment")

    def can_change_prescription(self):
        """Between renewals, with a prescription to change."""
        return (
            self.allows("change_prescription")
            and self.prescriptions.filter(replaced_at=None).exists()
        )

    def can_confirm_step_up(self):
        """A current prescription is on a titration step that has a next one, and a check-in
        since that step started has been reviewed (``Prescription.may_step_up``)."""
        return self.can_change_prescription() and any(
            rx.may_step_up()
            for rx in self.prescriptions.filter(replaced_at=None).select_related("medicine")
        )

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
