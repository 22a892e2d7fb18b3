"""Cart, checkout and order pages. Views parse input and render; services change orders."""

import logging
import re
import time

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from clinic.questionnaire import QuestionnaireForm
from clinic.stop_records import record_stops
from core.cache import public_page
from core.ratelimit import RateLimited, check, rate_limit, too_many_requests
from orders.cart import Cart
from orders.consent import ConsentForm
from orders.forms import AddressForm
from orders.models import Order, is_patient
from orders.services import OrderError
from orders.services.checkout import place_order, start_payment
from payments.gateways import (
    PROVIDER_DOWN,
    PaymentProviderError,
    TestModeGateway,
    absolute_url,
    get_gateway,
    test_mode_checkout,
)
from payments.services.payments import record_payment_failure
from payments.services.stripe_events import apply, checkout_completed
from treatments.models import Plan

logger = logging.getLogger(__name__)

ANSWERS_KEY = "checkout_answers"
PENDING_KEY = "pending_order"


def _plan_id(request):
    value = request.POST.get("plan", "")
    # ASCII only: str.isdigit() also accepts "²" and "١", which int() refuses or misreads.
    return int(value) if value.isascii() and value.isdigit() and len(value) < 12 else None


PUBLIC_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def _order_or_404(queryset, public_id):
    """The order with ``public_id``; anything not shaped like one (a NUL byte, which
    PostgreSQL refuses in a query, an overlong string) is a 404 without asking the database."""
    if not isinstance(public_id, str) or not PUBLIC_ID.fullmatch(public_id):
        raise Http404("No such order.")
    return get_object_or_404(queryset, public_id=public_id)


@never_cache
@require_safe
@public_page
def cart(request):
    return render(request, "orders/cart.html", {"cart": Cart(request.session)})


def _cart_error(request, message, status=400):
    return render(
        request,
        "orders/cart.html",
        {"cart": Cart(request.session), "error": message},
        status=status,
    )


@require_POST
@rate_limit("cart")
def cart_add(request):
    plan_id = _plan_id(request)
    plan = (
        Plan.objects.active().select_related("treatment").filter(pk=plan_id).first()
        if plan_id
        else None
    )
    if plan is None:
        return _cart_error(
            request, "Sorry, that treatment is not available. Please choose another."
        )
    Cart(request.session).add(plan)
    messages.success(request, f"{plan.treatment.name} is in your cart.")
    return redirect("orders:cart")


@require_POST
@rate_limit("cart")
def cart_remove(request):
    plan_id = _plan_id(request)
    if plan_id is None or not Cart(request.session).remove(plan_id):
        return _cart_error(request, "That treatment was not in your cart.")
    messages.success(request, "Removed from your cart.")
    return redirect(request.POST.get("next") == "checkout" and "orders:checkout" or "orders:cart")


def _signed_in_patient(request):
    """The signed-in patient (her orders join her account at once), or None."""
    return request.user if is_patient(request.user) else None


def _pending_order(request):
    public_id = request.session.get(PENDING_KEY)
    if not isinstance(public_id, str):
        return None
    return Order.objects.filter(
        public_id=public_id, status__in=Order.statuses_allowing("pay")
    ).first()


def _keep_answers(request, form, data):
    """Keep what the patient typed, to re-show the form if she leaves and comes back.

    Health data in a browser session: only her form's own fields, each cut to its field's
    length (a 100 kB paste is refused by the form, not stored), stamped with the time, and
    dropped once the order is placed (``_drop_answers``) or after
    ``CHECKOUT_ANSWERS_MAX_AGE`` seconds, so the next person on a shared computer never
    finds them.
    """
    kept = {}
    for name, field in form.fields.items():
        if isinstance(field, forms.MultipleChoiceField):
            kept[name] = [v[:254] for v in data.getlist(name)[: len(field.choices)]]
            continue
        value = data.get(name)
        if isinstance(value, str):
            kept[name] = value[: getattr(field, "max_length", None) or 254]
    # The first answer that stopped checkout is kept, so a changed one is flagged.
    stopped = {**{k: v[:254] for k, v in form.stop_answers.items()}, **_stopped_answers(request)}
    request.session[ANSWERS_KEY] = {
        "saved_at": int(time.time()),
        "answers": kept,
        "stopped": stopped,
    }


def _stopped_answers(request):
    """The answers that stopped checkout earlier, kept (and expired) with her answers."""
    if _saved_answers(request) is None:
        return {}  # none, or older than CHECKOUT_ANSWERS_MAX_AGE: dropped with them
    stopped = request.session[ANSWERS_KEY].get("stopped")
    if not isinstance(stopped, dict):
        return {}
    return {k: v for k, v in stopped.items() if isinstance(k, str) and isinstance(v, str)}


def _saved_answers(request):
    saved = request.session.get(ANSWERS_KEY)
    if not isinstance(saved, dict) or not isinstance(saved.get("answers"), dict):
        return None
    age = time.time() - (saved.get("saved_at") if isinstance(saved.get("saved_at"), int) else 0)
    if age > settings.CHECKOUT_ANSWERS_MAX_AGE:
        _drop_answers(request)
        return None
    return saved["answers"]


def _drop_answers(request):
    request.session.pop(ANSWERS_KEY, None)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@rate_limit("checkout", email_field="email")
def checkout(request):
    current_cart = Cart(request.session)
    if not current_cart.lines:
        messages.info(request, "Your cart is empty: choose a treatment first.")
        return redirect("orders:cart")
    gateway = get_gateway()
    treatments = current_cart.treatments
    context = {"cart": current_cart, "gateway": gateway}
    patient = _signed_in_patient(request)
    if request.method != "POST":
        form = QuestionnaireForm(
            data=_saved_answers(request),
            treatments=treatments,
            stopped=_stopped_answers(request),
            patient=patient,
        )
        if form.is_bound:
            form.is_valid()  # show where saved answers no longer fit the cart
        context["consent"] = ConsentForm(total_cents=current_cart.total_cents)
        return render(request, "orders/checkout.html", {**context, "form": form})

    form = QuestionnaireForm(
        data=request.POST,
        treatments=treatments,
        stopped=_stopped_answers(request),
        patient=patient,
    )
    consent = context["consent"] = ConsentForm(
        data=request.POST, total_cents=current_cart.total_cents
    )
    valid = form.is_valid()
    agreed = consent.is_valid()
    _keep_answers(request, form, request.POST)
    if form.stops:
        # Kept with her (account, or a keyed hash of email and date of birth), not only in
        # this browser: a later questionnaire anywhere shows it to the clinician.
        record_stops(form, patient)
    if not (valid and agreed):
        return render(request, "orders/checkout.html", {**context, "form": form}, status=400)
    if gateway is None:
        logger.error("Checkout attempted with no payment gateway configured")
        messages.error(request, "Online payment is not available right now. Please try later.")
        return render(request, "orders/checkout.html", {**context, "form": form}, status=503)
    try:
        # Each valid submission opens a payment session (Stripe's, or the test-mode page).
        check(request, "payment", email=form.cleaned_data["email"])
    except RateLimited as error:
        return too_many_requests(request, error)
    try:
        order = place_order(
            current_cart,
            email=patient.email if patient else form.cleaned_data["email"],
            patient=patient,
            full_name=form.cleaned_data["full_name"],
            date_of_birth=form.cleaned_data["date_of_birth"],
            residence_state=form.cleaned_data["state"],
            consents=consent.agreements(),
            answers=form.answers(),
            flags=form.flags,
            rules_version=form.rules_version,
            pending=_pending_order(request),
        )
    except OrderError as error:
        messages.error(request, error.message)
        return redirect("orders:cart")
    request.session[PENDING_KEY] = order.public_id
    _drop_answers(request)  # they are the order's now (and health data: not the browser's)
    success = (
        absolute_url(reverse("orders:checkout_success"))
        + "?"
        + urlencode({"order": order.public_id})
    )
    try:
        url = start_payment(
            order,
            gateway,
            success_url=success,
            cancel_url=absolute_url(reverse("orders:checkout")),
        )
    except PaymentProviderError:
        # The questionnaire again, filled in from this very request; the session (cart and
        # pending order, reused by the retry) is saved here because Django's session
        # middleware does not save it for a 5xx answer. Opening a checkout charges nothing,
        # whatever Stripe did with it.
        messages.error(request, PROVIDER_DOWN)
        request.session.save()
        return render(request, "orders/checkout.html", {**context, "form": form}, status=503)
    return redirect(url)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def test_mode_payment(request, public_id):
    """TEST MODE stand-in for Stripe's hosted checkout page (never with Stripe keys)."""

    if not settings.STRIPE_TEST_MODE:
        raise Http404("Test mode is off.")
    order = _order_or_404(Order.objects.prefetch_related("lines"), public_id)
    if not order.awaits_payment():
        return redirect(order)
    if request.method != "POST":
        form = AddressForm(
            initial={
                "name": order.full_name,
                "line1": "123 Test Street",
                "city": "Brooklyn",
                "state": "NY",
                "postal_code": "11201",
            }
        )
        return render(request, "orders/test_mode.html", {"order": order, "form": form})
    action = request.POST.get("action")
    if action == "decline":
        record_payment_failure(
            order, reason="Card declined (test mode)", actor_label="Test-mode checkout"
        )
        messages.error(request, "Your card was declined (test). Nothing was charged: try again.")
        return redirect("orders:test_mode", public_id=order.public_id)
    form = AddressForm(request.POST)
    if action != "pay" or not form.is_valid():
        if action != "pay":
            form.add_error(None, "Choose Pay (test) or Decline card (test).")
        return render(request, "orders/test_mode.html", {"order": order, "form": form}, status=400)
    checkout = test_mode_checkout(order, shipping=form.shipping_fields())
    Order.objects.filter(pk=order.pk).update(is_test_mode=True)
    apply(checkout_completed(checkout, TestModeGateway(), actor_label="Test-mode checkout"))
    url = reverse("orders:checkout_success") + "?" + urlencode({"order": order.public_id})
    return redirect(url)


@never_cache
@require_safe
def checkout_success(request):
    public_id = request.GET.get("order", "")
    order = _order_or_404(Order, public_id)
    # Her name and email only for the browser that placed the order (or her account):
    # anyone else with the link sees the next steps.
    hers = request.session.get(PENDING_KEY) == order.public_id or (
        request.user.is_authenticated and order.patient_id == request.user.pk
    )
    if request.session.get(PENDING_KEY) == order.public_id:
        Cart(request.session).clear()
        request.session.pop(PENDING_KEY, None)
        _drop_answers(request)
    return render(request, "orders/success.html", {"order": order, "hers": hers})
