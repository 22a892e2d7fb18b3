"""Her own area, signed in with an emailed code: orders, treatment plan, subscription,
messages with her care team. Views parse input and render; ``services`` change things.

Every page here is hers alone: an order or thread of another patient is a 404, exactly
like one that does not exist.
"""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from clinic.checkin import open_checkin
from clinic.renewal import EMERGENCY, RenewalForm, emergency_field
from clinic.services import reports
from core.forms import SpecificErrorsMixin
from orders.forms import AddressForm
from orders.models import Hold, Order, OrderEvent, OrderLine, Prescription, Thread, is_patient
from orders.services import OrderError
from orders.views import PUBLIC_ID
from patients import labs_views
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

    def __init__(self, *args, order=None, **kwargs):
        super().__init__(*args, **kwargs)
        if order is not None:  # her page: the dates each choice skips, from Stripe's months
            self.fields["months"].choices = [
                (months, pause_label(words, order.pause_schedule(months)))
                for months, words in ((1, "One month"), (2, "Two months"))
            ]


def pause_label(words, schedule):
    skipped = " and ".join(f"{timezone.localtime(date):%B %-d}" for date in schedule.skipped)
    return (
        f"{words}: skip the {skipped} refill{'s' if len(schedule.skipped) > 1 else ''} "
        f"(next charge {timezone.localtime(schedule.next_charge):%B %-d, %Y})"
    )


class ReportForm(forms.Form):
    """ "Report a problem": what, about which treatments, the emergency signs first."""

    emergency_signs = emergency_field()
    kind = forms.ChoiceField(
        label="What do you want to tell us?", choices=reports.REPORT_KINDS, widget=forms.RadioSelect
    )
    lines = forms.MultipleChoiceField(
        label="Which treatments is it about?",
        help_text="Leave all unticked if you are not sure: we hold them all.",
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    started = forms.CharField(label="When did it start?", max_length=200, required=False)
    severe = forms.ChoiceField(
        label="Does it stop you doing your usual daily activities?",
        choices=[("no", "No"), ("yes", "Yes")],
        widget=forms.RadioSelect,
        required=False,
    )
    details = forms.CharField(
        label="Tell us more",
        help_text="What you notice, and anything you have already done about it.",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )

    def __init__(self, *args, order, **kwargs):
        super().__init__(*args, **kwargs)
        # From the order's lines as the page prefetched them: no query of its own.
        self.approved = [
            line for line in order.lines.all() if line.decision == OrderLine.Decision.APPROVED
        ]
        self.fields["lines"].choices = [(line.pk, line.treatment_name) for line in self.approved]

    def clean_lines(self):
        chosen = self.cleaned_data["lines"]
        return [line for line in self.approved if str(line.pk) in chosen]

    def body(self):
        data = self.cleaned_data
        answers = [
            (str(self.fields[key].label), value)
            for key, value in (("started", data["started"]), ("severe", data["severe"]))
            if value
        ]
        return reports.report_body(
            data["kind"], data["lines"], answers, data["details"], data["emergency_signs"]
        )


def renewal_form(order, data=None):
    treatments = [
        line.plan.treatment
        for line in order.lines.select_related("plan__treatment")
        if not line.is_declined
    ]
    return RenewalForm(data, treatments=treatments)


class MessageForm(SpecificErrorsMixin, forms.Form):
    required_messages = {
        "body": "Write your message to your care team.",
        "topic": "Choose what your message is about.",
    }

    body = forms.CharField(
        label="Your message",
        max_length=care_messages.MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
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
        if not is_patient(request.user):
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
    return render(
        request,
        "orders/account.html",
        {"orders": orders, "first_name": _first_name(request, orders)},
    )


def _first_name(request, orders):
    """What to greet her by: her account's first name, else the first word of the legal name
    on her latest order (blank when neither is known)."""
    if request.user.first_name:
        return request.user.first_name
    names = orders[0].full_name.split() if orders else []
    return names[0] if names else ""


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
    return _order_page(request, order)


def _order_page(request, order, status=200, **forms_given):
    """Her order page; ``forms_given`` (a renewal or report form with its errors) replace
    the empty ones."""
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
        "pause_form": PauseForm(order=order),
        "address_form": AddressForm(initial=order.address_parts()),
        "can_control": order.can_change_billing(),
        "renewal_form": renewal_form(order) if order.can_answer_renewal() else None,
        "report_form": ReportForm(order=order) if _can_report(order) else None,
        **dict(zip(("checkin", "checkin_form"), open_checkin(order), strict=True)),
        **labs_views.labs_context(order, **forms_given),
        **forms_given,
    }
    return render(request, "orders/order_detail.html", context, status=status)


def _can_report(order):
    return order.was_approved and not order.is_closed()


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
        return (
            f"Paused until {timezone.localtime(order.patient_pause_until):%B %-d, %Y}: your "
            f"next charge is {timezone.localtime(order.charge_after_pause):%B %-d, %Y}."
        )

    return _subscription_action(request, public_id, act)


@require_POST
@patient_required
def resume(request, public_id):
    def act(order):
        subscriptions.resume_refills(order, by=request.user)
        return "Your refills are running again."

    return _subscription_action(request, public_id, act)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@patient_required
def cancel(request, public_id):
    """One confirmation step: what cancelling means, with a pause (and its dates) offered
    instead; the POST cancels at the end of the month she paid for."""
    if request.method != "POST":
        order = her_order(request, public_id)
        if not order.can_change_billing():
            return redirect(order)
        context = {"order": order, "pause_form": PauseForm(order=order)}
        return render(request, "orders/cancel_confirm.html", context)

    def act(order):
        order = subscriptions.cancel_at_period_end(order, by=request.user)
        if order.current_period_end:
            ends = timezone.localtime(order.current_period_end)
            return (
                f"Cancelled: you will not be charged again. Your subscription ends on "
                f"{ends:%B %-d, %Y}; until then you can undo it."
            )
        return "Cancelled: you will not be charged again after this month."

    return _subscription_action(request, public_id, act)


@require_POST
@patient_required
def undo_cancel(request, public_id):
    def act(order):
        subscriptions.undo_cancel(order, by=request.user)
        return "Your cancellation is undone: your subscription continues as before."

    return _subscription_action(request, public_id, act)


@require_POST
@patient_required
def renewal(request, public_id):
    """Her renewal answers: a treatment they rule out is stopped, and she is told at once."""
    order = her_order(request, public_id)
    form = renewal_form(order, request.POST)
    if order.can_answer_renewal() and not form.is_valid():
        return _order_page(request, order, status=400, renewal_form=form)
    try:
        stopped = reports.answer_renewal(order, form, by=request.user)
    except OrderError as error:
        messages.error(request, error.message)
        return redirect(order)
    if form.emergency:
        messages.error(request, EMERGENCY)
    for stop in form.stops:
        messages.error(request, f"{stop['why']} {stop['instead']}")
    done = "Thank you: your clinician reviews your answers"
    if stopped:
        done += " and the treatments you can still take; we emailed you what to do now."
    else:
        done += " and renews your prescription."
    messages.success(request, done)
    return redirect(order)


@require_POST
@patient_required
def lab_result(request, public_id):
    order = her_order(request, public_id)
    form = labs_views.lab_result(request, order)
    if form is not None:
        return _order_page(request, order, status=400, lab_form=form)
    return redirect(order)


@require_POST
@patient_required
def identity(request, public_id):
    order = her_order(request, public_id)
    form = labs_views.identity(request, order)
    if form is not None:
        return _order_page(request, order, status=400, identity_form=form)
    return redirect(order)


@never_cache
@require_safe
@patient_required
def requisition(request, public_id, request_id):
    return labs_views.requisition(request, her_order(request, public_id), request_id)


@require_POST
@patient_required
def report(request, public_id):
    """ "Report a problem": her boxes are held and collection paused at once."""
    order = her_order(request, public_id)
    if not _can_report(order):
        messages.error(request, "This order has no treatment running: write to your care team.")
        return redirect(order)
    form = ReportForm(request.POST, order=order)
    if not form.is_valid():
        return _order_page(request, order, status=400, report_form=form)
    data = form.cleaned_data
    reports.report_problem(
        order,
        kind=data["kind"],
        lines=data["lines"],
        body=form.body(),
        by=request.user,
        signs=data["emergency_signs"],
        severe=data["severe"] == "yes",
        onset=data["started"],
    )
    if data["emergency_signs"]:
        messages.error(request, EMERGENCY)
    if data["kind"] == reports.PREGNANT:
        messages.warning(
            request,
            "If you are pregnant or might be, stop taking any treatment your plan says is not "
            "safe in pregnancy now, and tell your obstetrician or doctor.",
        )
    messages.success(
        request,
        "Thank you for telling us. Nothing more ships and nothing is charged until your "
        f"clinician has looked at it; they answer {settings.CARE_TEAM_REPLY} in Messages. If it "
        "gets worse, stop the medicine and call your doctor.",
    )
    return redirect(order)


@require_POST
@patient_required
def change_address(request, public_id):
    """Her refills' new address. A mistake (a bad ZIP, a state we do not serve) shows the
    form again as she typed it, the error beside its field; nothing is lost to a redirect."""
    order = her_order(request, public_id)
    if not order.can_change_address():
        messages.error(request, subscriptions.NO_MORE_REFILLS)
        return redirect(order)
    form = AddressForm(request.POST)
    if form.is_valid():
        try:
            order = address.move_refills(order, address=form.shipping_fields(), by=request.user)
        except OrderError as error:
            # A state we do not serve (or an order closed a moment ago): said beside it.
            form.add_error("state", error.message)
    if form.errors:
        return _order_page(request, order, status=400, address_form=form)
    if order.holds.open().filter(kind=Hold.Kind.STATE_MISMATCH).exists():
        messages.success(
            request,
            "Your refills will go to the new address. It is in another state than the one "
            "you told us you live in, so a clinician confirms where you are treated before "
            "your next box ships; we will write to you if we need anything.",
        )
    else:
        messages.success(request, "Your refills will go to the new address.")
    return redirect(order)


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
