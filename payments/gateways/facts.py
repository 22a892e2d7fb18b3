"""What the payment provider knows, in our words: neutral frozen dataclasses.

The Stripe adapter (``payments.gateways.stripe``) is the only code that reads Stripe's JSON
and status strings; it turns them into these. The test-mode gateway builds them directly.
The services (``payments.services``) receive only these and never see a provider's dict.

Statuses are our own enums. ``SubscriptionStatus`` is also what ``Order.subscription_status``
stores, so its values are the words that column has always held.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from django.utils import timezone


def from_timestamp(value):
    """A Unix time as an aware datetime (now when there is none)."""
    return datetime.fromtimestamp(value, tz=UTC) if value else timezone.now()


class SubscriptionStatus(StrEnum):
    ACTIVE = "active"
    TRIALING = "trialing"
    PAST_DUE = "past_due"
    UNPAID = "unpaid"
    PAUSED = "paused"
    INCOMPLETE = "incomplete"
    INCOMPLETE_EXPIRED = "incomplete_expired"
    CANCELED = "canceled"
    UNKNOWN = ""


class BillingReason(StrEnum):
    """Why an invoice was made: the subscription's first month, a renewal, or anything else."""

    FIRST = "first"
    RENEWAL = "renewal"
    OTHER = "other"


class RefundStatus(StrEnum):
    """The same words as ``Refund.Status`` (a refund waiting on the bank is pending)."""

    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"


class DisputeOutcome(StrEnum):
    OPEN = "open"
    WON = "won"
    LOST = "lost"


@dataclass(frozen=True)
class CheckoutStarted:
    """A hosted checkout page was opened for the order: where to send her."""

    session_id: str
    url: str


@dataclass(frozen=True)
class CompletedCheckout:
    """A Checkout Session as the provider has it now.

    ``order_ids``: the orders it names, most trusted first (its metadata, then its client
    reference); ``paid``: the money was taken; ``shipping``: the address she gave, in the
    order's field names (``ship_name`` ... ``ship_country``).
    """

    session_id: str
    order_ids: tuple[int, ...] = ()
    customer_id: str = ""
    subscription_id: str = ""
    invoice_id: str = ""
    amount_total_cents: int | None = None
    currency: str = "usd"
    paid: bool = False
    shipping: dict = field(default_factory=dict)


@dataclass(frozen=True)
class InvoiceState:
    """An invoice as the provider has it now (its payments not looked up yet).

    ``other_reason``: the provider's word for a billing reason we do not act on (for the
    log only).
    """

    invoice_id: str
    subscription_id: str = ""
    order_ids: tuple[int, ...] = ()
    paid: bool = False
    billing_reason: BillingReason = BillingReason.OTHER
    other_reason: str = ""
    amount_cents: int = 0
    currency: str = "usd"
    paid_at: datetime | None = None
    failure_message: str = ""
    attempt_count: int | None = None


@dataclass(frozen=True)
class PaidInvoice:
    """One paid invoice with the payment intent and charge that paid it."""

    invoice_id: str
    amount_cents: int
    currency: str
    paid_at: datetime
    subscription_id: str
    payment_intent: str
    charge: str
    billing_reason: BillingReason = BillingReason.FIRST

    @classmethod
    def of(cls, invoice, *, payment_intent, charge):
        """``invoice`` (an ``InvoiceState``) with the ids of its payment."""
        return cls(
            invoice_id=invoice.invoice_id,
            amount_cents=invoice.amount_cents,
            currency=invoice.currency,
            paid_at=invoice.paid_at or timezone.now(),
            subscription_id=invoice.subscription_id,
            payment_intent=payment_intent,
            charge=charge,
            billing_reason=invoice.billing_reason,
        )


@dataclass(frozen=True)
class SubscriptionState:
    """A subscription as the provider has it now.

    ``paused``: invoices are voided until ``resumes_at`` (Unix seconds) if set;
    ``cancel_at_period_end``: no charge after this month; ``current_period_end``: when the
    month she paid for ends; ``order_ids``: the orders its metadata names.
    """

    status: SubscriptionStatus
    paused: bool = False
    resumes_at: int | None = None
    cancel_at_period_end: bool = False
    subscription_id: str = ""
    order_ids: tuple[int, ...] = ()
    current_period_end: datetime | None = None

    @property
    def behind(self):
        """A payment is owed (past due, or given up on as unpaid)."""
        return self.status in (SubscriptionStatus.PAST_DUE, SubscriptionStatus.UNPAID)

    @property
    def ended(self):
        """No more charges will ever come (cancelled, or never started)."""
        return self.status in (SubscriptionStatus.CANCELED, SubscriptionStatus.INCOMPLETE_EXPIRED)


@dataclass(frozen=True)
class ChargeState:
    charge_id: str
    payment_intent: str = ""


@dataclass(frozen=True)
class RefundState:
    """A refund as the provider has it now; ``our_refund_id``: our ``Refund`` row's id,
    which we put in its metadata (None for a refund made elsewhere)."""

    refund_id: str
    status: RefundStatus
    amount_cents: int
    currency: str = ""
    reason: str = ""
    our_refund_id: int | None = None
    payment_intent: str = ""
    charge: str = ""


@dataclass(frozen=True)
class DisputeState:
    """A dispute of a charge; ``label``: the provider's word for where it stands (for the
    timeline and logs)."""

    dispute_id: str
    outcome: DisputeOutcome
    label: str
    reason: str = ""
    charge: str = ""
    payment_intent: str = ""


@dataclass(frozen=True)
class FraudWarning:
    warning_id: str
    charge: str = ""
    fraud_type: str = ""


@dataclass(frozen=True)
class EventNotice:
    """A verified provider event: *that* something happened to ``object_id``. What
    happened is fetched (never read off the event); ``payload`` is kept as received."""

    event_id: str
    type: str
    livemode: bool
    object_id: str
    payload: dict = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class ItemChange:
    """A command: her subscription's item for ``from_plan_id`` is charged as ``to_plan_id``
    from the next invoice (a pack the clinician approved as the single treatment she keeps);
    ``name`` is what her invoices call it."""

    from_plan_id: int
    to_plan_id: int
    name: str
    unit_amount_cents: int
    currency: str = "usd"
    interval: str = "month"
