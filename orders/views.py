"""Cart, checkout and order pages. Views parse input and render; services change orders."""

import logging
import re
import time

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from clinic.questionnaire import QuestionnaireForm
from clinic.stop_records import record_stops
from core.cache import public_page
from core.ratelimit import RateLimited, check, rate_limit, too_many_requests
from orders import checkout_steps as steps
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
ADDED_KEY = "checkout_added_row"  # the row "Add another" just showed: it takes focus
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
    current_cart = Cart(request.session)
    current_cart.add(plan)
    if len(current_cart.lines) == 1:
        # "Start your visit" starts it: the first question, the item and its price on top.
        return redirect("orders:checkout")
    messages.success(request, f"{plan.treatment.name} is in your cart.")
    return redirect("orders:cart")


@require_POST
@rate_limit("cart")
def cart_remove(request):
    plan_id = _plan_id(request)
    if plan_id is None or not Cart(request.session).remove(plan_id):
        return _cart_error(request, "That treatment was not in your cart.")
    messages.success(request, "Removed from your cart.")
    if request.POST.get("next") != "checkout":
        return redirect("orders:cart")
    # Back to the step whose stop box she used (a step number, or the first step).
    step = request.POST.get("step")
    later = {str(n) for n in range(2, len(QuestionnaireForm.STEPS) + 1)}
    return redirect(_step_url(int(step)) if step in later else "orders:checkout")


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
        "rows": _asked_rows(request),  # rows she added with "Add another"
    }


def _asked_rows(request):
    """{list prefix: rows she asked for with "Add another"}, from her draft."""
    saved = request.session.get(ANSWERS_KEY)
    rows = saved.get("rows") if isinstance(saved, dict) else None
    if not isinstance(rows, dict):
        return {}
    return {k: v for k, v in rows.items() if k in steps.LISTS and isinstance(v, int)}


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


def _questionnaire(request, current_cart, data=None, **kwargs):
    return QuestionnaireForm(
        data=data,
        treatments=current_cart.treatments,
        stopped=_stopped_answers(request),
        patient=_signed_in_patient(request),
        **kwargs,
    )


def _render_step(request, context, form, number, status=200, carry=False):
    """Step ``number`` of the questionnaire (the last one with the agreements before paying).

    ``carry``: the other steps' answers ride along as hidden inputs and the page posts the
    whole questionnaire: after a placed order the session no longer holds them (they are the
    order's), yet "try again" must send them (the payment provider was down)."""
    asked = _asked_rows(request)
    values = form.data if form.is_bound else form.initial
    rows = {prefix: steps.shown_rows(values, prefix, asked.get(prefix)) for prefix in steps.LISTS}
    title, sections = form.steps[number - 1]
    last = number == steps.step_count(form)
    added = request.session.pop(ADDED_KEY, None)
    if added in form.fields:
        form.fields[added].widget.attrs["autofocus"] = True  # the row "Add another" showed
    count = steps.question_count(form)
    context = {
        **context,
        "form": form,
        "step": number,
        "step_title": title,
        "step_titles": [t for t, _sections in form.steps],
        "step_fields": steps.step_field_names(form, number),
        "sections": [(t, note, steps.grouped(fields, rows)) for t, note, fields in sections],
        "rows": rows,
        "can_add": {p: rows[p] < steps.LISTS[p][0] for p in steps.LISTS},
        "last_step": last,
        "next_title": "" if last else form.steps[number][0],
        "question_count": count,
        "minutes": steps.minutes_for(count),
    }
    if last:
        if "consent" not in context:  # (bound to her post when she submitted)
            context["consent"] = ConsentForm(total_cents=context["cart"].total_cents)
        context["step_fields"] += list(context["consent"].fields)
    if carry:
        shown = set(context["step_fields"])
        context["carried"] = [
            (name, value)
            for name in form.fields
            if name not in shown
            for value in form.data.getlist(name)
        ]
    return render(request, "orders/checkout.html", context, status=status)


def _step_url(number):
    return reverse("orders:checkout") + f"?step={number}"


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def checkout(request):
    """The questionnaire, one step a page (``orders.checkout_steps``), then payment.

    The rate limit counts questionnaires started (a step posted with no draft yet) and
    submitted (the last step's Next), not each step's post: an ordinary visit never meets it."""
    current_cart = Cart(request.session)
    if not current_cart.lines:
        messages.info(request, "Your cart is empty: choose a treatment first.")
        return redirect("orders:cart")
    gateway = get_gateway()
    context = {"cart": current_cart, "gateway": gateway}
    saved = _saved_answers(request)
    if request.method != "POST":
        form = _questionnaire(request, current_cart, initial=saved or {})
        number = steps.parse_step(request.GET.get("step"), form) or 1
        if saved is None and number > 1:
            return redirect(_step_url(1))
        return _render_step(request, context, form, number)

    # Filled in below, once the form (whose steps depend on her cart) says which fields this
    # step asks; the form reads its data only when it is validated.
    data = QueryDict(mutable=True)
    form = _questionnaire(request, current_cart, data=data)
    posted_step = steps.parse_step(request.POST.get("step"), form)
    # No step: the whole questionnaire in one post (as the last step, every answer in it).
    number = posted_step or steps.step_count(form)
    names = steps.step_field_names(form, number) if posted_step else list(form.fields)
    steps.merge_answers(data, form.fields, saved, request.POST, names)
    action = request.POST.get("action", "next")
    last = number == steps.step_count(form)
    if saved is None or (last and action == "next"):
        try:  # a questionnaire started (no draft yet, whichever step), or submitted
            check(request, "checkout", email=data.get("email"))
        except RateLimited as error:
            return too_many_requests(request, error)
    if action in ("back", *(f"add_{prefix}" for prefix in steps.LISTS)):
        _keep_answers(request, form, data)
        if action == "back":
            return redirect(_step_url(max(1, number - 1)))
        return _add_row(request, data, action.removeprefix("add_"), number)
    valid = form.is_valid()
    _keep_answers(request, form, data)
    if form.stops:
        # Kept with her (account, or a keyed hash of email and date of birth), not only in
        # this browser: a later questionnaire anywhere shows it to the clinician.
        record_stops(form, _signed_in_patient(request))
    shown = steps.step_to_show(form, number)
    if shown is not None:
        return _render_step(request, context, form, shown, status=400)
    if not last:
        return redirect(_step_url(number + 1))
    consent = context["consent"] = ConsentForm(
        data=request.POST, total_cents=current_cart.total_cents
    )
    if not (valid and consent.is_valid()):
        return _render_step(request, context, form, number, status=400)
    return _submit(request, context, form, consent)


def _add_row(request, data, prefix, number):
    """ "Add another": one more row of the list, her answers kept; the new row takes focus."""
    asked = _asked_rows(request)
    added = min(steps.shown_rows(data, prefix, asked.get(prefix)) + 1, steps.LISTS[prefix][0])
    request.session[ANSWERS_KEY]["rows"] = {**asked, prefix: added}
    request.session[ADDED_KEY] = f"{prefix}_{added}_name"
    return redirect(_step_url(number) + f"#id_{prefix}_{added}_name")


def _submit(request, context, form, consent):
    """The questionnaire is complete and she agreed: the order, then the payment page."""
    current_cart, gateway = context["cart"], context["gateway"]
    patient = _signed_in_patient(request)
    number = steps.step_count(form)
    if gateway is None:
        logger.error("Checkout attempted with no payment gateway configured")
        messages.error(request, "Online payment is not available right now. Please try later.")
        return _render_step(request, context, form, number, status=503, carry=True)
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
        return _render_step(request, context, form, number, status=503, carry=True)
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
