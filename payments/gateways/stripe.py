"""The Stripe adapter: the only module that imports ``stripe`` or reads Stripe's JSON.

``StripeGateway`` talks to Stripe through the official library: hosted Checkout in
subscription mode (cards only), refunds, cancellations, collection changes, and the *facts*:
the services never trust an event's payload for money, they ask Stripe for the object as it
is now (the session, the invoice and its payments, the charge and its refunds, the
subscription), the way dj-stripe and pretix's Stripe plugin do. Every answer is turned here
into a neutral dataclass of ``payments.gateways.facts``: Stripe's field names
(``collected_information.shipping_details``, ``parent.subscription_details``,
``items.data[*].current_period_end``, ...) and status strings stop at this module.
"""

import logging

import stripe
from django.conf import settings

from orders.models.address import ship_fields
from payments.gateways.base import Gateway, PaymentProviderError, PaymentProviderUnreachable
from payments.gateways.facts import (
    BillingReason,
    ChargeState,
    CheckoutStarted,
    CompletedCheckout,
    DisputeOutcome,
    DisputeState,
    EventNotice,
    FraudWarning,
    InvoiceState,
    RefundState,
    RefundStatus,
    SubscriptionState,
    SubscriptionStatus,
    from_timestamp,
)

logger = logging.getLogger(__name__)

# Stripe's own default: a signature older than five minutes is a replay.
TOLERANCE_SECONDS = stripe.Webhook.DEFAULT_TOLERANCE


class InvalidSignature(Exception):
    """The body was not signed by Stripe with our endpoint secret (or too long ago)."""


def verify_signature(payload, header, secret):
    """Check Stripe's signature over the raw ``payload``; raises ``InvalidSignature``."""
    try:
        stripe.WebhookSignature.verify_header(payload, header, secret, TOLERANCE_SECONDS)
    except (stripe.SignatureVerificationError, UnicodeDecodeError) as error:
        raise InvalidSignature(str(error)) from error


def event_notice(event):
    """The ``EventNotice`` of a Stripe event envelope (a dict already checked for shape)."""
    obj = (event.get("data") or {}).get("object") or {}
    return EventNotice(
        event_id=event["id"],
        type=event.get("type", ""),
        livemode=bool(event.get("livemode")),
        object_id=str(obj.get("id") or ""),
        payload=event,
    )


# --- Stripe's JSON -> our facts ---------------------------------------------------------------


def _order_ids(*values):
    """The order ids named by metadata and references (digits only), in that order."""
    return tuple(int(value) for value in values if value and str(value).isdigit())


def checkout_of(session):
    """A Checkout Session as a ``CompletedCheckout`` (its address in our field names)."""
    details = (session.get("collected_information") or {}).get("shipping_details") or {}
    address = details.get("address") or {}
    return CompletedCheckout(
        session_id=session["id"],
        order_ids=_order_ids(
            (session.get("metadata") or {}).get("order_id"), session.get("client_reference_id")
        ),
        customer_id=session.get("customer") or "",
        subscription_id=session.get("subscription") or "",
        invoice_id=session.get("invoice") or "",
        amount_total_cents=session.get("amount_total"),
        currency=session.get("currency") or "usd",
        paid=session.get("payment_status") == "paid",
        shipping=ship_fields({**address, "name": details.get("name")}),
    )


BILLING_REASONS = {
    "subscription_create": BillingReason.FIRST,
    "subscription_cycle": BillingReason.RENEWAL,
}


def invoice_of(invoice):
    """An invoice as an ``InvoiceState`` (its subscription from ``parent``)."""
    details = (invoice.get("parent") or {}).get("subscription_details") or {}
    reason = invoice.get("billing_reason") or ""
    paid_at = (invoice.get("status_transitions") or {}).get("paid_at")
    return InvoiceState(
        invoice_id=invoice["id"],
        subscription_id=details.get("subscription") or "",
        order_ids=_order_ids((details.get("metadata") or {}).get("order_id")),
        paid=invoice.get("status") == "paid",
        billing_reason=BILLING_REASONS.get(reason, BillingReason.OTHER),
        other_reason="" if reason in BILLING_REASONS else str(reason),
        amount_cents=invoice.get("amount_paid") or 0,
        currency=invoice.get("currency") or "usd",
        paid_at=from_timestamp(paid_at) if paid_at else None,
        failure_message=(invoice.get("last_finalization_error") or {}).get("message") or "",
        attempt_count=invoice.get("attempt_count"),
    )


# Stripe's subscription statuses, each with its own word of ours; one new to us is UNKNOWN.
SUBSCRIPTION_STATUSES = {status.value: status for status in SubscriptionStatus}


def subscription_of(subscription):
    """A subscription as a ``SubscriptionState``; this API version keeps the period on the
    items (the month she paid for ends with the first of them to end)."""
    pause = subscription.get("pause_collection") or {}
    ends = [
        item.get("current_period_end") for item in (subscription.get("items") or {}).get("data", [])
    ]
    ends = [end for end in ends if end]
    return SubscriptionState(
        status=SUBSCRIPTION_STATUSES.get(subscription.get("status"), SubscriptionStatus.UNKNOWN),
        paused=bool(pause),
        resumes_at=int(pause["resumes_at"]) if pause.get("resumes_at") else None,
        cancel_at_period_end=bool(subscription.get("cancel_at_period_end")),
        subscription_id=subscription.get("id") or "",
        order_ids=_order_ids((subscription.get("metadata") or {}).get("order_id")),
        current_period_end=from_timestamp(min(ends)) if ends else None,
    )


# Stripe's refund statuses -> ours ("requires_action": still on its way).
REFUND_STATUSES = {
    "pending": RefundStatus.PENDING,
    "requires_action": RefundStatus.PENDING,
    "succeeded": RefundStatus.SUCCEEDED,
    "failed": RefundStatus.FAILED,
    "canceled": RefundStatus.CANCELED,
}


def refund_of(refund):
    ours = str((refund.get("metadata") or {}).get("refund_id") or "")
    return RefundState(
        refund_id=refund["id"],
        status=REFUND_STATUSES.get(refund.get("status"), RefundStatus.PENDING),
        amount_cents=refund["amount"],
        currency=refund.get("currency") or "",
        reason=refund.get("reason") or "",
        our_refund_id=int(ours) if ours.isdigit() else None,
        payment_intent=refund.get("payment_intent") or "",
        charge=refund.get("charge") or "",
    )


def charge_of(charge):
    return ChargeState(charge_id=charge["id"], payment_intent=charge.get("payment_intent") or "")


DISPUTE_OUTCOMES = {
    "won": DisputeOutcome.WON,
    "warning_closed": DisputeOutcome.WON,
    "lost": DisputeOutcome.LOST,
}


def dispute_of(dispute):
    status = dispute.get("status") or ""
    return DisputeState(
        dispute_id=dispute["id"],
        outcome=DISPUTE_OUTCOMES.get(status, DisputeOutcome.OPEN),
        label=status,
        reason=dispute.get("reason") or "",
        charge=dispute.get("charge") or "",
        payment_intent=dispute.get("payment_intent") or "",
    )


def fraud_warning_of(warning):
    return FraudWarning(
        warning_id=warning["id"],
        charge=warning.get("charge") or "",
        fraud_type=str(warning.get("fraud_type")),
    )


def _plan_of(item):
    """The plan (our id, a string) a subscription item's product names (``checkout_params``)."""
    return item["price"]["product"]["metadata"].get("plan")


class StripeGateway(Gateway):
    name = "stripe"

    # The kinds of object the gateway fetches: where the library keeps them, and how each
    # becomes one of our facts.
    RESOURCES = {
        "checkout.session": (("checkout", "sessions"), checkout_of),
        "invoice": (("invoices",), invoice_of),
        "charge": (("charges",), charge_of),
        "refund": (("refunds",), refund_of),
        "subscription": (("subscriptions",), subscription_of),
        "dispute": (("disputes",), dispute_of),
        "radar.early_fraud_warning": (("radar", "early_fraud_warnings"), fraud_warning_of),
    }

    def __init__(self):
        options = {
            "max_network_retries": 0,
            "http_client": stripe.new_default_http_client(timeout=settings.STRIPE_TIMEOUT_SECONDS),
        }
        if settings.STRIPE_API_BASE:
            options["base_addresses"] = {"api": settings.STRIPE_API_BASE}
        self.client = stripe.StripeClient(settings.STRIPE_SECRET_KEY, **options)

    def _call(self, what, function, *args, **kwargs):
        """Run one API call; Stripe's objects come back as plain dicts."""
        try:
            return function(*args, **kwargs).to_dict()
        except stripe.APIConnectionError as error:
            logger.error("Stripe did not answer (%s): %r", what, error)
            raise PaymentProviderUnreachable(
                "Our payment provider did not answer in time, so we do not know yet whether "
                "this went through. It is recorded and will be checked; do not try again."
            ) from error
        except stripe.StripeError as error:
            logger.error("Stripe refused (%s): %r", what, error)
            raise PaymentProviderError(
                f"Our payment provider refused this: {error.user_message or 'please try again.'}",
                code=getattr(error, "code", "") or "",
            ) from error

    def _service(self, kind):
        service = self.client.v1
        for name in self.RESOURCES[kind][0]:
            service = getattr(service, name)
        return service

    def _fetch(self, kind, object_id):
        """Stripe's current version of one object, as our fact."""
        found = self._call(f"retrieve {kind} {object_id}", self._service(kind).retrieve, object_id)
        return self.RESOURCES[kind][1](found)

    # --- commands -----------------------------------------------------------------------------

    def create_checkout_session(self, params, *, idempotency_key):
        session = self._call(
            "checkout session",
            self.client.v1.checkout.sessions.create,
            params=params,
            options={"idempotency_key": idempotency_key},
        )
        return CheckoutStarted(session_id=session["id"], url=session["url"])

    def expire_checkout_session(self, session_id):
        """Expire an open session (an error if it is not open any more: paid, or expired)."""
        self._call("expire session", self.client.v1.checkout.sessions.expire, session_id)

    def create_refund(self, *, payment_intent, amount_cents, idempotency_key, metadata):
        return refund_of(
            self._call(
                f"refund {idempotency_key}",
                self.client.v1.refunds.create,
                params={
                    "payment_intent": payment_intent,
                    "amount": amount_cents,
                    "metadata": metadata,
                },
                options={"idempotency_key": idempotency_key},
            )
        )

    def cancel_subscription(self, subscription_id, *, idempotency_key):
        self._call(
            f"cancel {subscription_id}",
            self.client.v1.subscriptions.cancel,
            subscription_id,
            options={"idempotency_key": idempotency_key},
        )

    def set_collection(self, subscription_id, changes, *, idempotency_key):
        """Apply ``changes`` (``paused``, ``resumes_at``, ``cancel_at_period_end``: only the
        keys given) to the subscription, in Stripe's words."""
        params = {}
        if "paused" in changes:
            pause = {"behavior": "void"} if changes["paused"] else ""
            if changes["paused"] and changes.get("resumes_at"):
                pause["resumes_at"] = changes["resumes_at"]
            params["pause_collection"] = pause
        if "cancel_at_period_end" in changes:
            params["cancel_at_period_end"] = changes["cancel_at_period_end"]
        self._update_subscription(subscription_id, params, idempotency_key=idempotency_key)

    def _update_subscription(self, subscription_id, params, *, idempotency_key):
        return self._call(
            f"update {subscription_id}",
            self.client.v1.subscriptions.update,
            subscription_id,
            params=params,
            options={"idempotency_key": idempotency_key},
        )

    def remove_subscription_items(self, subscription_id, plan_ids, *, idempotency_key):
        """Take the items of the order's lines for ``plan_ids`` off the subscription, without
        proration (the month she paid for is refunded on its own). The items are found by
        the plan each product names (``checkout_params``); none left means already done."""
        wanted = {str(plan_id) for plan_id in plan_ids}
        items = [
            {"id": item["id"], "deleted": True}
            for item in self._items(subscription_id)
            if _plan_of(item) in wanted
        ]
        if items:
            self._update_subscription(
                subscription_id,
                {"items": items, "proration_behavior": "none"},
                idempotency_key=idempotency_key,
            )

    def change_subscription_item(self, subscription_id, change, *, idempotency_key):
        """Put the item of ``change.from_plan_id`` (an ``ItemChange``) on the new treatment's
        price, without proration: the difference for the month she paid for is refunded on
        its own (``clinic.services.packs``), and the next invoice charges the new price.

        Read first: an item already naming the new plan means it was done (an earlier answer
        was lost). Otherwise a product naming the new plan (as ``checkout_params`` names
        each line's) and the item's new price, each with a key derived from
        ``idempotency_key``."""
        items = self._items(subscription_id)
        if any(_plan_of(item) == str(change.to_plan_id) for item in items):
            return
        item = next((i for i in items if _plan_of(i) == str(change.from_plan_id)), None)
        if item is None:
            raise PaymentProviderError(
                "Her subscription has no item for that treatment: change it at the Stripe "
                "dashboard.",
                code="resource_missing",
            )
        product = self._call(
            f"product for plan {change.to_plan_id}",
            self.client.v1.products.create,
            params={"name": change.name, "metadata": {"plan": str(change.to_plan_id)}},
            options={"idempotency_key": f"{idempotency_key}-product"},
        )
        self._call(
            f"update item {item['id']}",
            self.client.v1.subscription_items.update,
            item["id"],
            params={
                "price_data": {
                    "currency": change.currency,
                    "product": product["id"],
                    "unit_amount": change.unit_amount_cents,
                    "recurring": {"interval": change.interval},
                },
                "proration_behavior": "none",
            },
            options={"idempotency_key": f"{idempotency_key}-item"},
        )

    def _items(self, subscription_id):
        """The subscription's items, each with its price's product (which names our plan)."""
        return self._call(
            f"retrieve subscription {subscription_id}",
            self.client.v1.subscriptions.retrieve,
            subscription_id,
            params={"expand": ["items.data.price.product"]},
        )["items"]["data"]

    def customer_portal_url(self, customer_id, *, return_url):
        return self._call(
            "portal session",
            self.client.v1.billing_portal.sessions.create,
            params={"customer": customer_id, "return_url": return_url},
        )["url"]

    # --- facts --------------------------------------------------------------------------------

    def checkout_session(self, session_id):
        return self._fetch("checkout.session", session_id)

    def invoice(self, invoice_id):
        return self._fetch("invoice", invoice_id)

    def first_invoice(self, checkout):
        """The first invoice of a completed subscription Checkout Session."""
        return self.invoice(checkout.invoice_id)

    def subscription_state(self, subscription_id):
        return self._fetch("subscription", subscription_id)

    def charge(self, charge_id):
        return self._fetch("charge", charge_id)

    def refund(self, refund_id):
        return self._fetch("refund", refund_id)

    def dispute(self, dispute_id):
        return self._fetch("dispute", dispute_id)

    def fraud_warning(self, warning_id):
        return self._fetch("radar.early_fraud_warning", warning_id)

    def payment_ids(self, invoice_id):
        """(payment intent, charge) that paid ``invoice_id``.

        An invoice never carries its payments (``payments`` is includable, and a webhook
        payload is never expanded): list them, then ask the intent for its charge.
        """
        payments = self._call(
            f"invoice payments of {invoice_id}",
            self.client.v1.invoice_payments.list,
            params={"invoice": invoice_id},
        )["data"]
        paid = [p for p in payments if p.get("status") == "paid"] or payments
        intent_id = next(
            (
                p["payment"].get("payment_intent")
                for p in paid
                if p["payment"].get("payment_intent")
            ),
            "",
        )
        if not intent_id:
            return "", ""
        intent = self._call(
            f"payment intent {intent_id}", self.client.v1.payment_intents.retrieve, intent_id
        )
        return intent_id, intent.get("latest_charge") or ""

    def refunds_of_charge(self, charge_id):
        """Every refund of a charge (a charge stopped carrying them in API 2022-11-15)."""
        refunds = self._call(
            f"refunds of {charge_id}",
            self.client.v1.refunds.list,
            params={"charge": charge_id, "limit": 100},
        )["data"]
        return [refund_of(refund) for refund in refunds]

    def recent(self, kind, since):
        """Every ``kind`` object created since ``since`` (a Unix time), newest first, as facts."""
        params = {"created": {"gte": since}, "limit": 100}
        if kind == "subscription":
            params["status"] = "all"
        convert = self.RESOURCES[kind][1]
        try:
            for item in self._service(kind).list(params=params).auto_paging_iter():
                yield convert(item.to_dict())
        except stripe.StripeError as error:
            raise PaymentProviderError(f"Could not list Stripe {kind}s: {error}") from error
