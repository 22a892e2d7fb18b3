"""A small, stateful stand-in for api.stripe.com that the real ``stripe`` library talks to.

Tests point ``STRIPE_API_BASE`` at a pytest-httpserver and this class answers the calls
the project makes, with Stripe's rules rather than our picture of them:

- every object it returns is built from the test data in tests/data/stripe/ (Stripe's
  published examples, trimmed) and is checked against Stripe's shapes
  (``tests.support.stripe_shapes``): an answer with a key Stripe never sends fails the test;
- idempotency as Stripe does it: the first answer to a key is saved, a 5xx included, and
  replayed to the same key with the same parameters; the same key with other parameters
  is an ``idempotency_error``;
- includable fields stay out: an invoice never carries its payments (list them with
  ``invoice_payments``), a charge never carries its refunds (``refunds?charge=``).

Besides the API, the world moves on by itself: ``pay`` (the patient pays a Checkout
Session), ``renew`` (a month later), ``refund_in_dashboard``, ``open_dispute``,
``fraud_warning``. ``fail_next`` makes the next matching call answer a 5xx, time out (after
Stripe did the work: the answer is lost, not the effect) or fail before Stripe saw it.
"""

import copy
import itertools
import json
import re
import time
from urllib.parse import parse_qsl

from werkzeug import Response

from tests.support.stripe_helpers import stripe_object
from tests.support.stripe_shapes import unknown_keys

_ids = itertools.count(1)

# A Checkout line item's ``price_data`` as the form encoding arrives, for sessions a test
# opens at "Stripe" by itself (another tab, a stray checkout).
A_MONTHLY_PRICE = {
    "currency": "usd",
    "unit_amount": "2200",
    "recurring": {"interval": "month"},
    "product_data": {"name": "Oral Metformin ER (Monthly)"},
}


def new_id(prefix):
    return f"{prefix}_fake{next(_ids):06d}"


def nested(pairs):
    """Stripe's form encoding (``a[b][0][c]=v``) back into dicts and lists."""
    root = {}
    for key, value in pairs:
        parts = re.findall(r"[^\[\]]+", key)
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return _lists(root)


def _lists(node):
    if isinstance(node, dict):
        if node and all(k.isdigit() for k in node):
            return [_lists(node[k]) for k in sorted(node, key=int)]
        return {k: _lists(v) for k, v in node.items()}
    return node


def error_body(message, *, kind="invalid_request_error", code=None):
    return {"error": {"type": kind, "message": message, "code": code}}


class FakeStripe:
    def __init__(self, httpserver, *, timeout_seconds):
        self.server = httpserver
        self.timeout_seconds = timeout_seconds
        self.objects = {}  # id -> object, every kind
        self.subscription_amounts = {}  # subscription id -> monthly amount in cents
        self.saved_answers = {}  # idempotency key -> (method, path, params, status, body)
        self.requests = []  # (method, path, params, idempotency key)
        self.failures = []  # [method, path regex, mode, times]
        self.shape_problems = []
        self.line_items = {}  # checkout session id -> line items sent
        self.new_refund_status = "succeeded"  # some cards refund slowly: "pending"
        self.observers = []  # callables told (method, path) of each request as it arrives
        httpserver.expect_request(re.compile(r"^/v1/.*")).respond_with_handler(self.handle)

    # --- scripting ------------------------------------------------------------------------

    def fail_next(self, method, path, mode=500, times=1):
        """The next ``times`` calls to ``method path`` (a regex) fail.

        ``mode``: an HTTP status (Stripe answers with an error, saved for its key);
        "timeout" (Stripe does the work, the answer arrives after the client gave up);
        "lost" (the request never reached Stripe: nothing done, nothing saved).
        """
        self.failures.append([method, re.compile(path), mode, times])

    def calls(self, method=None, path=None):
        return [
            r
            for r in self.requests
            if (method is None or r[0] == method) and (path is None or re.search(path, r[1]))
        ]

    # --- the HTTP side -----------------------------------------------------------------------

    def handle(self, request):
        method, path = request.method, request.path
        if method == "GET" or method == "DELETE":
            params = nested(parse_qsl(request.query_string.decode(), keep_blank_values=True))
        else:
            params = nested(parse_qsl(request.get_data(as_text=True), keep_blank_values=True))
        key = request.headers.get("Idempotency-Key")
        self.requests.append((method, path, params, key))
        for observe in self.observers:
            observe(method, path)
        if key and key in self.saved_answers:
            first = self.saved_answers[key]
            if first[:3] != (method, path, params):
                return self._answer(
                    400,
                    error_body(
                        "Keys for idempotent requests can only be used with the same "
                        "parameters they were first used with.",
                        kind="idempotency_error",
                    ),
                )
            return self._answer(first[3], first[4])
        failure = self._failure_for(method, path)
        if failure == "lost":
            time.sleep(self.timeout_seconds + 1)
            return self._answer(500, error_body("lost", kind="api_error"))
        if isinstance(failure, int):
            status, body = (
                failure,
                error_body("Something went wrong on Stripe's end.", kind="api_error"),
            )
        else:
            status, body = self.route(method, path, params)
        if key and method in ("POST", "DELETE"):
            self.saved_answers[key] = (method, path, params, status, body)
        if failure == "timeout":
            time.sleep(self.timeout_seconds + 1)
        return self._answer(status, body)

    def _failure_for(self, method, path):
        for failure in self.failures:
            if failure[0] == method and failure[1].search(path) and failure[3] > 0:
                failure[3] -= 1
                return failure[2]
        return None

    def _answer(self, status, body):
        if status < 400:
            self.shape_problems += unknown_keys(body)
        return Response(json.dumps(body), status=status, content_type="application/json")

    ROUTES = [
        ("POST", r"/v1/checkout/sessions", "create_session"),
        ("POST", r"/v1/checkout/sessions/(?P<id>[^/]+)/expire", "expire_session"),
        ("GET", r"/v1/checkout/sessions/(?P<id>[^/]+)", "retrieve"),
        ("GET", r"/v1/invoices/(?P<id>[^/]+)", "retrieve"),
        ("GET", r"/v1/invoices", "list_invoices"),
        ("GET", r"/v1/invoice_payments", "list_invoice_payments"),
        ("GET", r"/v1/payment_intents/(?P<id>[^/]+)", "retrieve"),
        ("GET", r"/v1/charges/(?P<id>[^/]+)", "retrieve"),
        ("POST", r"/v1/refunds", "create_refund"),
        ("GET", r"/v1/refunds/(?P<id>[^/]+)", "retrieve"),
        ("GET", r"/v1/refunds", "list_refunds"),
        ("GET", r"/v1/subscriptions/(?P<id>[^/]+)", "retrieve"),
        ("GET", r"/v1/subscriptions", "list_subscriptions"),
        ("POST", r"/v1/subscriptions/(?P<id>[^/]+)", "update_subscription"),
        ("DELETE", r"/v1/subscriptions/(?P<id>[^/]+)", "cancel_subscription"),
        ("POST", r"/v1/subscription_items/(?P<id>[^/]+)", "update_subscription_item"),
        ("POST", r"/v1/products", "create_product"),
        ("GET", r"/v1/disputes/(?P<id>[^/]+)", "retrieve"),
        ("GET", r"/v1/disputes", "list_disputes"),
        ("GET", r"/v1/radar/early_fraud_warnings/(?P<id>[^/]+)", "retrieve"),
        ("POST", r"/v1/customers", "create_customer"),
        ("POST", r"/v1/billing_portal/sessions", "create_portal_session"),
    ]

    def route(self, method, path, params):
        for route_method, pattern, name in self.ROUTES:
            match = re.fullmatch(pattern, path)
            if route_method == method and match:
                return getattr(self, name)(params, **match.groupdict())
        return 404, error_body(f"Unrecognized request URL ({method}: {path}).")

    def retrieve(self, params, id):
        if id not in self.objects:
            return 404, error_body(f"No such object: '{id}'", code="resource_missing")
        found = copy.deepcopy(self.objects[id])
        for path in params.get("expand", []):
            self._expand(found, path.split("."))
        return 200, found

    def _expand(self, node, path):
        """Replace the id at ``path`` (through lists) with its object, as ``expand[]`` does."""
        if isinstance(node, list):
            for item in node:
                self._expand(item, path)
            return
        head, rest = path[0], path[1:]
        if rest:
            self._expand(node[head], rest)
        else:
            node[head] = copy.deepcopy(self.objects[node[head]])

    def _list(self, kind, params, match=lambda obj, params: True):
        found = [
            copy.deepcopy(obj)
            for obj in self.objects.values()
            if obj["object"] == kind
            and match(obj, params)
            and obj.get("created", 0) >= int((params.get("created") or {}).get("gte", 0))
        ]
        found.sort(key=lambda obj: obj.get("created", 0), reverse=True)
        return 200, {"object": "list", "data": found, "has_more": False, "url": "/v1/..."}

    # --- Checkout ---------------------------------------------------------------------------

    def create_session(self, params):
        items = params.get("line_items", [])
        total = sum(
            int(item["price_data"]["unit_amount"]) * int(item.get("quantity", 1)) for item in items
        )
        session_id = new_id("cs_test")
        session = stripe_object(
            "checkout_session",
            id=session_id,
            url=f"https://checkout.stripe.com/c/pay/{session_id}",
            client_reference_id=params.get("client_reference_id"),
            customer=params.get("customer"),
            customer_email=params.get("customer_email"),
            amount_subtotal=total,
            amount_total=total,
            metadata=params.get("metadata", {}),
            payment_method_types=params.get("payment_method_types", ["card"]),
            success_url=params.get("success_url"),
            cancel_url=params.get("cancel_url"),
            created=int(time.time()),
            expires_at=int(time.time()) + 86400,
        )
        self.objects[session_id] = session
        self.line_items[session_id] = {
            "items": items,
            "subscription_metadata": (params.get("subscription_data") or {}).get("metadata", {}),
        }
        return 200, copy.deepcopy(session)

    def expire_session(self, params, id):
        session = self.objects.get(id)
        if session is None:
            return 404, error_body(f"No such checkout.session: '{id}'", code="resource_missing")
        if session["status"] != "open":
            return 400, error_body(
                f"Only Checkout Sessions with a status of `open` can be expired. This session "
                f"has a status of `{session['status']}`."
            )
        session["status"] = "expired"
        return 200, copy.deepcopy(session)

    def pay(self, session_id, *, address=None):
        """The patient pays the open Checkout Session ``session_id``: Stripe creates the
        customer, the subscription, its first invoice, payment intent and charge."""
        session = self.objects[session_id]
        assert session["status"] == "open", f"session {session_id} is {session['status']}"
        sent = self.line_items[session_id]
        customer = session["customer"] or self._customer(session["customer_email"])
        subscription = self._subscription(customer, sent["items"], sent["subscription_metadata"])
        invoice = self._invoice(
            subscription, "subscription_create", session["amount_total"], paid=True
        )
        session.update(
            status="complete",
            payment_status="paid",
            customer=customer,
            subscription=subscription["id"],
            invoice=invoice["id"],
            collected_information={
                "business_name": None,
                "individual_name": None,
                "shipping_details": {
                    "name": "Jane Patient",
                    "address": address
                    or {
                        "city": "Brooklyn",
                        "country": "US",
                        "line1": "45 Maple Avenue",
                        "line2": "Apt 3B",
                        "postal_code": "11201",
                        "state": "NY",
                    },
                },
            },
        )
        return copy.deepcopy(session)

    def _customer(self, email):
        customer = stripe_object(
            "customer", id=new_id("cus"), email=email, created=int(time.time())
        )
        self.objects[customer["id"]] = customer
        return customer["id"]

    def _subscription(self, customer, items, metadata):
        subscription_id = new_id("sub")
        now = int(time.time())
        subscription = stripe_object(
            "subscription",
            id=subscription_id,
            customer=customer,
            metadata=metadata,
            status="active",
            created=now,
            start_date=now,
        )
        subscription["items"]["data"] = [
            {
                "id": new_id("si"),
                "object": "subscription_item",
                "price": self._price(item["price_data"]),
                "quantity": int(item.get("quantity", 1)),
                "subscription": subscription_id,
                "current_period_start": now,
                "current_period_end": now + 30 * 86400,
            }
            for item in items
        ]
        self.objects[subscription_id] = subscription
        self._amount_from_items(subscription)
        return subscription

    def _price(self, price_data):
        """The price Stripe makes from a line item's ``price_data``: with a new product from
        its ``product_data`` (Checkout), or for the existing ``product`` (an item update)."""
        if "product_data" in price_data:
            product_data = price_data["product_data"]
            product = self._product(product_data["name"], product_data.get("metadata", {}))
        else:
            product = self.objects[price_data["product"]]
        recurring = {**stripe_object("price")["recurring"], **price_data.get("recurring", {})}
        return stripe_object(
            "price",
            id=new_id("price"),
            product=product["id"],
            currency=price_data["currency"],
            unit_amount=int(price_data["unit_amount"]),
            recurring=recurring,
            created=int(time.time()),
        )

    def _product(self, name, metadata):
        product = stripe_object("product")
        product.update(id=new_id("prod"), name=name, metadata=metadata, created=int(time.time()))
        self.objects[product["id"]] = product
        return product

    def create_product(self, params):
        if not params.get("name"):
            return 400, error_body("Missing required param: name.", code="parameter_missing")
        return 200, copy.deepcopy(self._product(params["name"], params.get("metadata", {})))

    def update_subscription_item(self, params, id):
        """``POST /v1/subscription_items/{id}``: a new price for the item (``price_data``
        with an existing ``product``, as Stripe requires there); answers the item."""
        found = [
            (subscription, item)
            for subscription in self.objects.values()
            if subscription["object"] == "subscription"
            for item in subscription["items"]["data"]
            if item["id"] == id
        ]
        if not found:
            return 404, error_body(f"No such subscription item: '{id}'", code="resource_missing")
        [(subscription, item)] = found
        if subscription["status"] == "canceled":
            return 400, error_body("A canceled subscription's items cannot be updated.")
        price_data = params.get("price_data")
        if price_data is not None:
            if price_data.get("product") not in self.objects:
                return 400, error_body(
                    f"No such product: '{price_data.get('product')}'", code="resource_missing"
                )
            item["price"] = self._price(price_data)
        if "quantity" in params:
            item["quantity"] = int(params["quantity"])
        self._amount_from_items(subscription)
        return 200, copy.deepcopy(item)

    def _amount_from_items(self, subscription):
        """What each later month charges: the sum of the subscription's items."""
        self.subscription_amounts[subscription["id"]] = sum(
            item["price"]["unit_amount"] * item["quantity"]
            for item in subscription["items"]["data"]
        )

    def _invoice(self, subscription, reason, amount, *, paid):
        invoice_id = new_id("in")
        now = int(time.time())
        invoice = stripe_object(
            "invoice",
            id=invoice_id,
            billing_reason=reason,
            customer=subscription["customer"],
            amount_due=amount,
            amount_paid=amount if paid else 0,
            amount_remaining=0 if paid else amount,
            subtotal=amount,
            total=amount,
            status="paid" if paid else "open",
            attempt_count=1,
            created=now,
        )
        invoice["parent"]["subscription_details"] = {
            "metadata": subscription["metadata"],
            "subscription": subscription["id"],
        }
        invoice["status_transitions"] = {
            "finalized_at": now,
            "marked_uncollectible_at": None,
            "paid_at": now if paid else None,
            "voided_at": None,
        }
        self.objects[invoice_id] = invoice
        intent_id, charge_id = new_id("pi"), new_id("ch")
        self.objects[charge_id] = stripe_object(
            "charge",
            id=charge_id,
            amount=amount,
            amount_captured=amount if paid else 0,
            customer=subscription["customer"],
            payment_intent=intent_id,
            paid=paid,
            status="succeeded" if paid else "failed",
            created=now,
        )
        self.objects[intent_id] = stripe_object(
            "payment_intent",
            id=intent_id,
            amount=amount,
            amount_received=amount if paid else 0,
            customer=subscription["customer"],
            latest_charge=charge_id,
            status="succeeded" if paid else "requires_payment_method",
            created=now,
        )
        payment_id = new_id("inpay")
        self.objects[payment_id] = stripe_object(
            "invoice_payment",
            id=payment_id,
            invoice=invoice_id,
            amount_paid=amount if paid else None,
            amount_requested=amount,
            payment={"type": "payment_intent", "payment_intent": intent_id},
            status="paid" if paid else "open",
            status_transitions={"canceled_at": None, "paid_at": now if paid else None},
            created=now,
        )
        return invoice

    def renew(self, subscription_id, *, paid=True):
        """A month later: the subscription's next invoice, paid or failed."""
        subscription = self.objects[subscription_id]
        amount = self.subscription_amounts[subscription_id]
        return copy.deepcopy(self._invoice(subscription, "subscription_cycle", amount, paid=paid))

    def pay_invoice(self, invoice_id):
        """A failed invoice's retry succeeds (the patient updated her card)."""
        invoice = self.objects[invoice_id]
        now = int(time.time())
        invoice.update(status="paid", amount_paid=invoice["amount_due"], amount_remaining=0)
        invoice["status_transitions"]["paid_at"] = now
        for payment in self._payments_of(invoice_id):
            payment.update(status="paid", amount_paid=invoice["amount_due"])
            intent = self.objects[payment["payment"]["payment_intent"]]
            intent.update(status="succeeded", amount_received=invoice["amount_due"])
            self.objects[intent["latest_charge"]].update(
                paid=True, status="succeeded", amount_captured=invoice["amount_due"]
            )
        return copy.deepcopy(invoice)

    def _payments_of(self, invoice_id):
        return [
            obj
            for obj in self.objects.values()
            if obj["object"] == "invoice_payment" and obj["invoice"] == invoice_id
        ]

    def list_invoice_payments(self, params):
        return self._list(
            "invoice_payment", params, lambda obj, p: obj["invoice"] == p.get("invoice")
        )

    def list_invoices(self, params):
        return self._list(
            "invoice",
            params,
            lambda obj, p: "status" not in p or obj["status"] == p["status"],
        )

    # --- money back -----------------------------------------------------------------------------

    def charge_of(self, invoice_id):
        """The charge that paid ``invoice_id``."""
        [payment] = self._payments_of(invoice_id)
        return self.objects[self.objects[payment["payment"]["payment_intent"]]["latest_charge"]]

    def create_refund(self, params):
        charge_id = params.get("charge")
        if not charge_id and params.get("payment_intent") in self.objects:
            charge_id = self.objects[params["payment_intent"]]["latest_charge"]
        charge = self.objects.get(charge_id)
        if charge is None:
            return 400, error_body("No such charge or payment intent.", code="resource_missing")
        amount = int(params.get("amount", charge["amount"] - charge["amount_refunded"]))
        if amount > charge["amount"] - charge["amount_refunded"]:
            return 400, error_body(
                f"Refund amount (${amount / 100:.2f}) is greater than unrefunded amount on charge "
                f"(${(charge['amount'] - charge['amount_refunded']) / 100:.2f})",
                code="amount_too_large",
            )
        refund = self._refund(charge, amount, params.get("metadata", {}), self.new_refund_status)
        return 200, copy.deepcopy(refund)

    def _refund(self, charge, amount, metadata, status="succeeded"):
        refund = stripe_object(
            "refund",
            id=new_id("re"),
            amount=amount,
            charge=charge["id"],
            payment_intent=charge["payment_intent"],
            metadata=metadata,
            status=status,
            created=int(time.time()),
        )
        self.objects[refund["id"]] = refund
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
        return refund

    def refund_in_dashboard(self, charge_id, amount=None):
        """Someone refunds ``charge_id`` in Stripe's dashboard (no metadata of ours)."""
        charge = self.objects[charge_id]
        return copy.deepcopy(
            self._refund(charge, amount or charge["amount"] - charge["amount_refunded"], {})
        )

    def fail_refund(self, refund_id):
        """The card network sends the refund back: Stripe marks it failed."""
        refund = self.objects[refund_id]
        refund["status"] = "failed"
        charge = self.objects[refund["charge"]]
        charge["amount_refunded"] -= refund["amount"]
        charge["refunded"] = False
        return copy.deepcopy(refund)

    def list_refunds(self, params):
        return self._list(
            "refund",
            params,
            lambda obj, p: "charge" not in p or obj["charge"] == p["charge"],
        )

    # --- subscriptions ------------------------------------------------------------------------

    def cancel_subscription(self, params, id):
        subscription = self.objects.get(id)
        if subscription is None:
            return 404, error_body(f"No such subscription: '{id}'", code="resource_missing")
        if subscription["status"] == "canceled":
            return 400, error_body(
                f"A canceled subscription can only update its cancellation_details and metadata. "
                f"({id})"
            )
        now = int(time.time())
        subscription.update(status="canceled", canceled_at=now, ended_at=now)
        return 200, copy.deepcopy(subscription)

    def update_subscription(self, params, id):
        subscription = self.objects.get(id)
        if subscription is None:
            return 404, error_body(f"No such subscription: '{id}'", code="resource_missing")
        for key in ("metadata", "cancel_at_period_end", "pause_collection"):
            if key in params:
                subscription[key] = params[key] if params[key] != "" else None
        deleted = {item["id"] for item in params.get("items", []) if item.get("deleted") == "true"}
        if deleted:
            items = subscription["items"]["data"]
            if not deleted <= {item["id"] for item in items}:
                return 400, error_body("No such subscription item.", code="resource_missing")
            subscription["items"]["data"] = [item for item in items if item["id"] not in deleted]
            self._amount_from_items(subscription)
        return 200, copy.deepcopy(subscription)

    def list_subscriptions(self, params):
        return self._list(
            "subscription",
            params,
            lambda obj, p: p.get("status") in (None, "all") or obj["status"] == p["status"],
        )

    def set_subscription_status(self, subscription_id, status):
        self.objects[subscription_id]["status"] = status
        return copy.deepcopy(self.objects[subscription_id])

    # --- disputes and warnings ------------------------------------------------------------------

    def open_dispute(self, charge_id):
        charge = self.objects[charge_id]
        charge["disputed"] = True
        dispute = stripe_object(
            "dispute",
            id=new_id("dp"),
            amount=charge["amount"],
            charge=charge_id,
            payment_intent=charge["payment_intent"],
            status="needs_response",
            created=int(time.time()),
        )
        self.objects[dispute["id"]] = dispute
        return copy.deepcopy(dispute)

    def close_dispute(self, dispute_id, status):
        self.objects[dispute_id]["status"] = status
        return copy.deepcopy(self.objects[dispute_id])

    def list_disputes(self, params):
        return self._list("dispute", params)

    def fraud_warning(self, charge_id):
        warning = stripe_object(
            "early_fraud_warning", id=new_id("issfr"), charge=charge_id, created=int(time.time())
        )
        self.objects[warning["id"]] = warning
        return copy.deepcopy(warning)

    # --- customers and the portal ------------------------------------------------------------

    def create_customer(self, params):
        customer_id = self._customer(params.get("email"))
        self.objects[customer_id].update(
            name=params.get("name"), metadata=params.get("metadata", {})
        )
        return 200, copy.deepcopy(self.objects[customer_id])

    def create_portal_session(self, params):
        portal = stripe_object(
            "billing_portal_session",
            id=new_id("bps"),
            customer=params.get("customer"),
            return_url=params.get("return_url"),
            url=f"https://billing.stripe.com/p/session/{new_id('test')}",
        )
        return 200, portal
