"""From a cart and questionnaire answers to an order waiting for payment.

The price of every line comes from the plans in the database at this moment, never from
the request. A patient who comes back to checkout (cancelled at Stripe, or Stripe was
unreachable) reuses her pending order instead of creating another.
"""

import logging

from django.db import transaction

from orders.models import Order, OrderConsent, OrderLine, QuestionnaireResponse
from orders.services import OrderError, lock_order, record_event
from payments.gateways import PaymentProviderError, PaymentProviderUnreachable, params_digest

logger = logging.getLogger(__name__)


def place_order(
    cart,
    *,
    email,
    full_name,
    date_of_birth,
    answers,
    flags,
    residence_state="",
    consents=(),
    pending=None,
    patient=None,
    rules_version="",
):
    """Create (or refresh) the pending order for ``cart``; returns the Order.

    ``rules_version`` is the version of the clinical rules her answers were checked against
    (``clinic.clinical_data.rules_version``), kept with the answers for the clinician.

    ``consents`` are what she agreed to, ``[(kind, document, statement)]`` (see
    ``orders.consent``), stored with the order (replaced on a retry).
    ``pending`` is the order this browser started earlier, if any: while it still waits for
    payment it is updated in place (lines re-priced, answers replaced), so retries never
    make a second order.
    """
    lines = cart.lines
    if not lines:
        raise OrderError("Your cart is empty.", code="empty_cart")
    currencies = {line.plan.currency for line in lines}
    if len(currencies) != 1:
        raise OrderError("These treatments cannot be paid together.", code="mixed_currency")
    subtotal = sum(line.total_cents for line in lines)
    fields = {
        "email": email,
        "patient": patient,
        "full_name": full_name,
        "date_of_birth": date_of_birth,
        "residence_state": residence_state,
        "currency": currencies.pop(),
        "subtotal_cents": subtotal,
        "shipping_cents": 0,
        "total_cents": subtotal,
    }
    with transaction.atomic():
        order = None
        if pending is not None:
            order = lock_order(pending)
            if not order.awaits_payment():
                order = None
        if order is None:
            order = Order.objects.create(**fields)
            record_event(
                order,
                "created",
                to_status=order.status,
                message="Order placed and medical questionnaire answered.",
                actor_label="patient",
            )
        else:
            for name, value in fields.items():
                setattr(order, name, value)
            order.save()
            order.lines.all().delete()
            order.consents.all().delete()
        OrderLine.objects.bulk_create(
            OrderLine(
                order=order,
                plan=line.plan,
                treatment_name=line.plan.treatment.name,
                treatment_slug=line.plan.treatment.slug,
                plan_name=line.plan.name,
                unit_amount_cents=line.plan.amount_cents,
                currency=line.plan.currency,
                interval=line.plan.interval,
                quantity=line.quantity,
            )
            for line in lines
        )
        OrderConsent.objects.bulk_create(
            OrderConsent(order=order, kind=kind, document=document, statement=statement)
            for kind, document, statement in consents
        )
        QuestionnaireResponse.objects.update_or_create(
            order=order,
            defaults={"answers": answers, "flags": flags, "rules_version": rules_version},
        )
    return order


def start_payment(order, gateway, *, success_url, cancel_url):
    """Open the order's one live Checkout Session; returns the URL to send her to.

    The previous session (if any) is expired first, so an old tab or a cart she changed
    cannot be paid; if it was paid meanwhile, its completion is refunded as a stray
    payment. Idempotency: a retry of the same request after no answer (network error,
    timeout) reuses the same key, so Stripe returns the session it may already have made;
    after an error answer (which Stripe saves and replays for that key) or a changed
    request, a new attempt number makes a new key.
    """
    params = gateway.checkout_params(order, success_url=success_url, cancel_url=cancel_url)
    digest = params_digest(params)
    with transaction.atomic():
        order = lock_order(order)
        new_attempt = order.checkout_digest != digest
        if new_attempt:
            order.checkout_attempt += 1
            order.checkout_digest = digest
            order.save(update_fields=["checkout_attempt", "checkout_digest", "updated_at"])
    previous = order.stripe_checkout_session_id
    if new_attempt and previous:
        # The same request again (a double submit, a second tab) gets the same session back
        # from Stripe; a new one replaces the old, which must not stay payable.
        try:
            gateway.expire_checkout_session(previous)
        except PaymentProviderError as error:
            # Its completion, if it ever comes, is refunded as a stray payment.
            logger.warning("Order %s: could not expire session %s: %s", order.pk, previous, error)
    key = f"checkout-{order.public_id}-{order.checkout_attempt}"
    try:
        session = gateway.create_checkout_session(params, idempotency_key=key)
    except PaymentProviderUnreachable:
        raise  # same key next time: Stripe may have made the session
    except PaymentProviderError:
        # Stripe saved this error for the key: the next try must use a new one.
        Order.objects.filter(pk=order.pk).update(checkout_digest="")
        raise
    Order.objects.filter(pk=order.pk).update(stripe_checkout_session_id=session.session_id)
    order.stripe_checkout_session_id = session.session_id
    return session.url
