"""Her own area, signed in with an emailed code: orders, treatment plan, subscription,
messages with her care team. Views parse input and render; ``services`` change things.

Every page here is hers alone: an order or thread of another patient is a 404, exactly
like one that does not exist.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from clinic.services import prescriptions
from orders.forms import AddressForm
from orders.models import Hold, Order, OrderEvent, Prescription, Thread
from orders.services import OrderError
from orders.views import PUBLIC_ID
from patients.services import address
from patients.services import messages as care_messages
from payments.gateways import PaymentProviderError, absolute_url
from payments.services import subscriptions


class PauseForm(forms.Form):
    months = forms.TypedChoiceField(
        label="Pause for",
        choices=[(1, "One month (skip the next refill)"), (2, "Two months")],
        coerce=int,
    )


YES_NO = [("no", "No"), ("yes", "Yes")]


class RenewalForm(forms.Form):
    """The renewal questions (``services.prescriptions.RENEWAL_QUESTIONS``)."""

    new_medicines = forms.CharField(
        label=prescriptions.RENEWAL_QUESTIONS["new_medicines"],
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    pregnant = forms.ChoiceField(
        label=prescriptions.RENEWAL_QUESTIONS["pregnant"], choices=YES_NO, widget=forms.RadioSelect
    )
    breastfeeding = forms.ChoiceField(
        label=prescriptions.RENEWAL_QUESTIONS["breastfeeding"],
        choices=YES_NO,
        widget=forms.RadioSelect,
    )
    trying_to_conceive = forms.ChoiceField(
        label=prescriptions.RENEWAL_QUESTIONS["trying_to_conceive"],
        choices=YES_NO,
        widget=forms.RadioSelect,
    )
    side_effects = forms.CharField(
        label=prescriptions.RENEWAL_QUESTIONS["side_effects"],
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class MessageForm(forms.Form):
    body = forms.CharField(
        label="Your message",
        max_length=care_messages.MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": "Please write your message."},
    )


class NewThreadForm(MessageForm):
    topic = forms.ChoiceField(
        label="What is it about?",
        choices=Thread.Topic.choices,
        widget=forms.RadioSelect,
        help_text="Medical questions are read only by clinicians.",
    )

    field_order = ["topic", "body"]


def patient_required(view):
    """Signed in as a patient (staff use the admin): otherwise to the sign-in page."""

    @login_required
    def wrapped(request, *args, **kwargs):
        if request.user.is_staff or not hasattr(request.user, "patient_account"):
            raise Http404("Patients only.")
        return view(request, *args, **kwargs)

    return wrapped


def her_order(request, public_id, queryset=None):
    if not PUBLIC_ID.fullmatch(public_id or ""):
        raise Http404("No such order.")
    return get_object_or_404(
        (queryset or Order.objects).filter(patient=request.user), public_id=public_id
    )


@never_cache
@require_safe
@patient_required
def account(request):
    """Every order, with what she needs at a glance; her treatment plan; her messages."""
    orders = list(
        request.user.patient_orders.prefetch_related("lines", "shipments")
        .annotate(
            unread=Count(
                "threads",
                filter=Q(threads__in=Thread.objects.unread_by_patient()),
                distinct=True,
            )
        )
        .order_by("-created_at", "-id")
    )
    return render(request, "orders/account.html", {"orders": orders})


@never_cache
@require_safe
def order_detail(request, public_id):
    """Her order in full when she is signed in; to anyone else, its status only."""
    if not PUBLIC_ID.fullmatch(public_id or ""):
        raise Http404("No such order.")
    order = get_object_or_404(Order, public_id=public_id)
    user = request.user
    if not (user.is_authenticated and order.patient_id == user.pk):
        return render(request, "orders/order_status.html", {"order": order})
    events = OrderEvent.objects.filter(order=order).exclude(message="").select_related("actor")
    order = Order.objects.prefetch_related(
        "lines",
        "shipments",
        Prefetch("threads", queryset=Thread.objects.order_by("-created_at")),
        Prefetch(
            "prescriptions",
            queryset=Prescription.objects.filter(replaced_at=None).select_related(
                "line__plan__treatment"
            ),
            to_attr="current_prescriptions",
        ),
    ).get(pk=order.pk)
    context = {
        "order": order,
        "events": events,
        "pause_form": PauseForm(),
        "address_form": AddressForm(initial=_address_initial(order)),
        "can_control": order.can_change_billing(),
        "renewal_form": RenewalForm() if order.can_answer_renewal() else None,
    }
    return render(request, "orders/order_detail.html", context)


def _address_initial(order):
    return {
        "name": order.ship_name,
        "line1": order.ship_line1,
        "line2": order.ship_line2,
        "city": order.ship_city,
        "state": order.ship_state,
        "postal_code": order.ship_postal_code,
    }


def _subscription_action(request, public_id, act):
    order = her_order(request, public_id)
    try:
        message = act(order)
    except (OrderError, PaymentProviderError) as error:
        messages.error(request, error.message)
    else:
        messages.success(request, message)
    return redirect(order)


@require_POST
@patient_required
def pause(request, public_id):
    form = PauseForm(request.POST)

    def act(order):
        if not form.is_valid():
            raise OrderError("Please choose one or two months.")
        order = subscriptions.pause_refills(
            order, months=form.cleaned_data["months"], by=request.user
        )
        return f"Paused until {order.patient_pause_until:%B %-d, %Y}."

    return _subscription_action(request, public_id, act)


@require_POST
@patient_required
def resume(request, public_id):
    def act(order):
        subscriptions.resume_refills(order, by=request.user)
        return "Your refills are running again."

    return _subscription_action(request, public_id, act)


@require_POST
@patient_required
def cancel(request, public_id):
    def act(order):
        subscriptions.cancel_at_period_end(order, by=request.user)
        return "Cancelled: you will not be charged again after this month."

    return _subscription_action(request, public_id, act)


@require_POST
@patient_required
def renewal(request, public_id):
    form = RenewalForm(request.POST)

    def act(order):
        if not form.is_valid():
            raise OrderError("Please answer every renewal question.")
        prescriptions.submit_renewal(order, form.cleaned_data, by=request.user)
        return "Thank you: your clinician reviews your answers and renews your prescription."

    return _subscription_action(request, public_id, act)


@require_POST
@patient_required
def change_address(request, public_id):
    form = AddressForm(request.POST)

    def act(order):
        if not form.is_valid():
            raise OrderError(
                "Please check the address: "
                + "; ".join(
                    f"{form[name].label}: {' '.join(errors)}"
                    for name, errors in form.errors.items()
                )
            )
        order = address.move_refills(order, address=form.shipping_fields(), by=request.user)
        if order.holds.open().filter(kind=Hold.Kind.STATE_MISMATCH).exists():
            return (
                "Your refills will go to the new address. It is in another state than the "
                "one you told us you live in, so a clinician confirms where you are treated "
                "before your next box ships; we will write to you if we need anything."
            )
        return "Your refills will go to the new address."

    return _subscription_action(request, public_id, act)


@require_POST
@patient_required
def portal(request, public_id):
    order = her_order(request, public_id)
    try:
        url = subscriptions.portal_url(order, return_url=absolute_url(order.get_absolute_url()))
    except (OrderError, PaymentProviderError) as error:
        messages.error(request, error.message)
        return redirect(order)
    return redirect(url)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@patient_required
def threads(request, public_id):
    """Her conversations about an order, and a new one."""
    order = her_order(request, public_id)
    form = NewThreadForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        thread = care_messages.start_thread(
            order,
            topic=form.cleaned_data["topic"],
            body=form.cleaned_data["body"],
            by=request.user,
        )
        messages.success(request, "Sent. Your care team will reply here.")
        return redirect("orders:thread", public_id=order.public_id, thread_id=thread.pk)
    status = 400 if form.is_bound else 200
    context = {
        "order": order,
        "threads": order.threads.all().annotate(count=Count("messages")),
        "form": form,
    }
    return render(request, "orders/threads.html", context, status=status)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@patient_required
def thread(request, public_id, thread_id):
    order = her_order(request, public_id)
    conversation = get_object_or_404(order.threads, pk=thread_id)
    form = MessageForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        care_messages.post_patient_message(
            conversation, body=form.cleaned_data["body"], by=request.user
        )
        messages.success(request, "Sent. Your care team will reply here.")
        return redirect(reverse("orders:thread", args=[order.public_id, conversation.pk]))
    care_messages.mark_read_by_patient(conversation)
    context = {
        "order": order,
        "thread": conversation,
        "messages_in_thread": conversation.messages.select_related("author"),
        "form": form,
    }
    return render(request, "orders/thread.html", context, status=400 if form.is_bound else 200)
