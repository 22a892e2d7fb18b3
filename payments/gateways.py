"""Payment gateways: one small interface, two implementations.

``StripeGateway`` talks to Stripe through the official library: hosted Checkout in
subscription mode (cards only), refunds, cancellations, and the *facts*: the services never
trust an event's payload for money, they ask Stripe for the object as it is now (the
session, the invoice's payments, the charge, the refunds, the subscription), the way
dj-stripe and pretix's Stripe plugin do. ``TestModeGateway`` is for local development
without Stripe keys: checkout goes to a page of this site marked TEST MODE, refunds and
cancellations succeed locally, and its "facts" are the objects our own code built.

Two kinds of failure, because they call for opposite retries:

- ``PaymentProviderError``: Stripe answered with an error. Nothing happened, and Stripe
  saved that answer under the idempotency key (a 5xx included), so a retry needs a *new*
  key;
- ``PaymentProviderUnreachable`` (a subclass): no answer at all (network error, timeout).
  The outcome is unknown, so a retry must reuse the *same* key: Stripe then returns what
  it did, if it did anything.

``get_gateway()`` picks one from the settings. Views and services never import ``stripe``
for API calls themselves.
"""

import hashlib
import json
import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse

logger = logging.getLogger(__name__)

MONTH = 30 * 24 * 60 * 60

PROVIDER_DOWN = (
    "We could not reach our payment provider, so nothing was charged. "
    "Your cart and answers are saved: please try again in a moment."
)


class PaymentProviderError(Exception):
    """Stripe answered with an error; the message is fit for a patient or staff member."""

    def __init__(self, message=PROVIDER_DOWN, *, code=""):
        super().__init__(message)
        self.message = message
        self.code = code


class PaymentProviderUnreachable(PaymentProviderError):
    """Stripe did not answer (network error or timeout): what it did is unknown."""


def absolute_url(path):
    return f"{settings.SITE_URL}{path}"


def params_digest(params):
    """A short fingerprint of what we ask for: a changed request needs a new attempt key."""
    return hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class SubscriptionState:
    """A subscription's collection as the provider has it now (neutral: no Stripe JSON).

    ``paused``: invoices are voided (Stripe's ``pause_collection.behavior`` "void"), until
    ``resumes_at`` (unix seconds) if set; ``cancel_at_period_end``: no charge after this month.
    """

    status: str
    paused: bool = False
    resumes_at: int | None = None
    cancel_at_period_end: bool = False


class Gateway:
    """What checkout, the webhook handlers and the admin need from a payment provider.

    Both gateways implement: ``create_checkout_session``, ``expire_checkout_session``,
    ``refresh`` (an object as the provider has it now), ``invoice_of_session``,
    ``payment_ids`` (the payment intent and charge of an invoice), ``create_refund`` and
    ``cancel_subscription``; only Stripe sends events, so ``refunds_of_charge`` and
    ``recent`` are Stripe's alone.
    """

    name = ""

    def checkout_params(self, order, *, success_url, cancel_url):
        """What the Checkout Session asks for: every amount from the order's lines."""
        metadata = {"order_id": str(order.pk), "order_reference": order.reference}
        return {
            "mode": "subscription",
            # Cards only: a delayed method (ACH...) would leave the order unpaid while the
            # subscription charges.
            "payment_method_types": ["card"],
            "line_items": [
                {
                    "price_data": {
                        "currency": line.currency,
                        "unit_amount": line.unit_amount_cents,
                        "recurring": {"interval": line.interval},
                        # The plan (one line per plan in an order) is named in its product,
                        # so that a clinician's decline of the line finds its subscription
                        # item later. Not the line's id: a new checkout attempt remakes the
                        # lines, and the same order must send the same parameters.
                        "product_data": {
                            "name": f"{line.treatment_name} ({line.plan_name})",
                            "metadata": {"plan": str(line.plan_id)},
                        },
                    },
                    "quantity": line.quantity,
                }
                for line in order.lines.all()
            ],
            "client_reference_id": str(order.pk),
            "metadata": metadata,
            "subscription_data": {"metadata": metadata},
            **customer_of(order),
            "shipping_address_collection": {"allowed_countries": ["US"]},
            "custom_text": {
                "shipping_address": {"message": "Free shipping: every monthly refill ships free."},
                "submit": {
                    "message": "Free shipping. A licensed clinician reviews your order before "
                    "anything ships; if it is not approved you are refunded in full."
                },
            },
            "success_url": success_url,
            "cancel_url": cancel_url,
        }


def customer_of(order):
    """Her one Stripe customer, once her account has one; else Checkout makes one for the
    email (and her account adopts it when she signs in)."""
    account = getattr(order.patient, "patient_account", None) if order.patient_id else None
    if account is not None and account.stripe_customer_id:
        return {"customer": account.stripe_customer_id}
    return {"customer_email": order.email}


class StripeGateway(Gateway):
    name = "stripe"

    # The kinds of object ``refresh`` can fetch, by their ``object`` field.
    RESOURCES = {
        "checkout.session": ("checkout", "sessions"),
        "invoice": ("invoices",),
        "charge": ("charges",),
        "refund": ("refunds",),
        "subscription": ("subscriptions",),
        "dispute": ("disputes",),
        "radar.early_fraud_warning": ("radar", "early_fraud_warnings"),
    }

    def __init__(self):
        import stripe

        self._stripe = stripe
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
        except self._stripe.APIConnectionError as error:
            logger.error("Stripe did not answer (%s): %r", what, error)
            raise PaymentProviderUnreachable(
                "Our payment provider did not answer in time, so we do not know yet whether "
                "this went through. It is recorded and will be checked; do not try again."
            ) from error
        except self._stripe.StripeError as error:
            logger.error("Stripe refused (%s): %r", what, error)
            raise PaymentProviderError(
                f"Our payment provider refused this: {error.user_message or 'please try again.'}",
                code=getattr(error, "code", "") or "",
            ) from error

    def _service(self, kind):
        service = self.client.v1
        for name in self.RESOURCES[kind]:
            service = getattr(service, name)
        return service

    def create_checkout_session(self, params, *, idempotency_key):
        return self._call(
            "checkout session",
            self.client.v1.checkout.sessions.create,
            params=params,
            options={"idempotency_key": idempotency_key},
        )

    def expire_checkout_session(self, session_id):
        """Expire an open session (an error if it is not open any more: paid, or expired)."""
        self._call("expire session", self.client.v1.checkout.sessions.expire, session_id)

    def refresh(self, obj):
        """Stripe's current version of ``obj`` (an event's object, or {"object", "id"})."""
        return self._call(
            f"retrieve {obj['object']} {obj['id']}",
            self._service(obj["object"]).retrieve,
            obj["id"],
        )

    def invoice_of_session(self, session):
        """The first invoice of a completed subscription Checkout Session."""
        return self.refresh({"object": "invoice", "id": session["invoice"]})

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
        return self._call(
            f"refunds of {charge_id}",
            self.client.v1.refunds.list,
            params={"charge": charge_id, "limit": 100},
        )["data"]

    def create_refund(self, *, payment_intent, amount_cents, idempotency_key, metadata):
        return self._call(
            f"refund {idempotency_key}",
            self.client.v1.refunds.create,
            params={"payment_intent": payment_intent, "amount": amount_cents, "metadata": metadata},
            options={"idempotency_key": idempotency_key},
        )

    def cancel_subscription(self, subscription_id, *, idempotency_key):
        return self._call(
            f"cancel {subscription_id}",
            self.client.v1.subscriptions.cancel,
            subscription_id,
            options={"idempotency_key": idempotency_key},
        )

    def subscription_state(self, subscription_id):
        """What Stripe has now for the subscription's collection (read before changing it)."""
        subscription = self.refresh({"object": "subscription", "id": subscription_id})
        pause = subscription.get("pause_collection") or {}
        return SubscriptionState(
            status=subscription.get("status") or "",
            paused=bool(pause),
            resumes_at=int(pause["resumes_at"]) if pause.get("resumes_at") else None,
            cancel_at_period_end=bool(subscription.get("cancel_at_period_end")),
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
        self.update_subscription(subscription_id, params, idempotency_key=idempotency_key)

    def update_subscription(self, subscription_id, params, *, idempotency_key):
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
        subscription = self._call(
            f"retrieve subscription {subscription_id}",
            self.client.v1.subscriptions.retrieve,
            subscription_id,
            params={"expand": ["items.data.price.product"]},
        )
        wanted = {str(plan_id) for plan_id in plan_ids}
        items = [
            {"id": item["id"], "deleted": True}
            for item in subscription["items"]["data"]
            if item["price"]["product"]["metadata"].get("plan") in wanted
        ]
        if not items:
            return subscription
        return self.update_subscription(
            subscription_id,
            {"items": items, "proration_behavior": "none"},
            idempotency_key=idempotency_key,
        )

    def customer_portal_url(self, customer_id, *, return_url):
        return self._call(
            "portal session",
            self.client.v1.billing_portal.sessions.create,
            params={"customer": customer_id, "return_url": return_url},
        )["url"]

    def recent(self, kind, since):
        """Every ``kind`` object created since ``since`` (a Unix time), newest first."""
        params = {"created": {"gte": since}, "limit": 100}
        if kind == "subscription":
            params["status"] = "all"
        service = self._service(kind)
        try:
            yield from (item.to_dict() for item in service.list(params=params).auto_paging_iter())
        except self._stripe.StripeError as error:
            raise PaymentProviderError(f"Could not list Stripe {kind}s: {error}") from error


class TestModeGateway(Gateway):
    """Local development only (DEBUG on, no Stripe key): nothing leaves this machine.

    Its objects are the ones our own code built (``test_mode_session``), so its "facts" are
    those objects; payment ids, refunds and cancellations are made up locally.
    """

    name = "test"

    def create_checkout_session(self, params, *, idempotency_key):
        # The key is "checkout-<order public id>-<attempt>": one local session per attempt.
        public_id = idempotency_key.removeprefix("checkout-").rsplit("-", 1)[0]
        token = hashlib.sha256(idempotency_key.encode()).hexdigest()[:20]
        return {
            "id": f"cs_test_local_{token}",
            "url": reverse("orders:test_mode", kwargs={"public_id": public_id}),
        }

    def expire_checkout_session(self, session_id):
        return None

    def refresh(self, obj):
        if obj.get("object") == "subscription" and "items" not in obj:
            # A local subscription: active, its month running from now.
            now = int(time.time())
            return {
                **obj,
                "status": "active",
                "items": {
                    "data": [{"current_period_start": now, "current_period_end": now + MONTH}]
                },
            }
        return obj

    def invoice_of_session(self, session):
        """The paid first invoice the test-mode session stands for."""
        return {
            "id": session["invoice"],
            "object": "invoice",
            "amount_paid": session["amount_total"],
            "currency": session["currency"],
            "status": "paid",
            "status_transitions": {"paid_at": None},
            "parent": {"subscription_details": {"subscription": session["subscription"]}},
        }

    def payment_ids(self, invoice_id):
        token = hashlib.sha256(invoice_id.encode()).hexdigest()[:20]
        return f"pi_test_local_{token}", f"ch_test_local_{token}"

    def create_refund(self, *, payment_intent, amount_cents, idempotency_key, metadata):
        token = hashlib.sha256(idempotency_key.encode()).hexdigest()[:20]
        return {
            "id": f"re_test_{token}",
            "object": "refund",
            "amount": amount_cents,
            "payment_intent": payment_intent,
            "metadata": metadata,
            "status": "succeeded",
        }

    def cancel_subscription(self, subscription_id, *, idempotency_key):
        return {"id": subscription_id, "object": "subscription", "status": "canceled"}

    def subscription_state(self, subscription_id):
        # Nothing is kept locally: every sync sends what the order needs (a no-op here).
        return SubscriptionState(status="active")

    def set_collection(self, subscription_id, changes, *, idempotency_key):
        return None

    def remove_subscription_items(self, subscription_id, plan_ids, *, idempotency_key):
        return {"id": subscription_id, "object": "subscription"}

    def customer_portal_url(self, customer_id, *, return_url):
        raise PaymentProviderError(
            "Cards and invoices live at Stripe, and this is the local test mode: there are none."
        )


def get_gateway():
    """The gateway the settings call for, or None when payments are not configured."""
    if settings.STRIPE_TEST_MODE:
        return TestModeGateway()
    if settings.STRIPE_SECRET_KEY:
        return StripeGateway()
    return None


def gateway_for(order):
    """Orders paid in local test mode are handled by the test gateway, others by Stripe."""
    return TestModeGateway() if order.is_test_mode else get_gateway()


def test_mode_session(order, *, address):
    """A completed Checkout Session as Stripe would send it, for the test-mode "Pay" button.

    It goes through the same handler as a real ``checkout.session.completed`` event.
    """
    token = order.public_id[:12]
    return {
        "id": order.stripe_checkout_session_id or f"cs_test_local_{token}",
        "object": "checkout.session",
        "mode": "subscription",
        "status": "complete",
        "payment_status": "paid",
        "client_reference_id": str(order.pk),
        "metadata": {"order_id": str(order.pk), "order_reference": order.reference},
        "customer": f"cus_test_local_{token}",
        "subscription": f"sub_test_local_{token}",
        "invoice": f"in_test_local_{token}",
        "amount_total": order.total_cents,
        "currency": order.currency,
        "created": None,
        "collected_information": {
            "shipping_details": {
                "name": address.get("name", ""),
                "address": {
                    "line1": address.get("line1", ""),
                    "line2": address.get("line2", ""),
                    "city": address.get("city", ""),
                    "state": address.get("state", ""),
                    "postal_code": address.get("postal_code", ""),
                    "country": "US",
                },
            }
        },
    }
