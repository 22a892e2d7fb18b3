"""The clinic's admin: orders, the clinician review queue, shipments, refunds, audit log.

Who sees what comes from the groups in ``orders/roles.py``. Everything about money, Stripe
and status is read-only here: state changes happen only through the forms and actions
below, which call the verb functions in ``orders/services/`` and show their ``OrderError``
message instead of failing.

Questionnaire answers are health data: they are shown only to users holding
``orders.view_questionnaire`` (Clinicians, superusers), and each time they are shown a
``QuestionnaireAccess`` row records who looked at which order, where.
"""

import uuid
from datetime import date
from decimal import Decimal

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, Q
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.timesince import timesince

from treatments.money import format_money_exact

from .models import (
    Order,
    OrderEvent,
    OrderLine,
    Payment,
    QuestionnaireAccess,
    QuestionnaireResponse,
    Refund,
    ReviewQueueOrder,
    Shipment,
    WebhookEvent,
)
from .services import OrderError
from .services.fulfilment import CARRIERS, mark_many_shipped, mark_shipped
from .services.refunds import refund_order, refundable_cents
from .services.review import (
    CANCELLED_BEFORE_REVIEW,
    approve_order,
    cancelled_before_review,
    decline_order,
)

READ_ANSWERS = "orders.view_questionnaire"
# Answers a clinician wants at a glance in the queue (the full set is on the order page).
GLANCE_KEYS = ("date_of_birth", "pregnancy", "kidney_liver", "medicines", "allergies")


def can_read_answers(user):
    return user.is_active and user.has_perm(READ_ANSWERS)


def log_answers_viewed(request, orders, where):
    """Record that ``request.user`` was shown the questionnaire answers of ``orders``."""
    user = request.user
    QuestionnaireAccess.objects.bulk_create(
        QuestionnaireAccess(order_id=order.pk, user=user, username=user.get_username(), where=where)
        for order in orders
    )


def dollars(cents):
    return format_money_exact(cents)


def stripe_link(kind, object_id, *, test_order=False):
    """A link to ``object_id`` in the Stripe dashboard (test-mode keys: the test dashboard)."""
    if not object_id:
        return "-"
    if test_order or object_id.startswith(("cs_test_local", "in_test_local", "re_test_")):
        return format_html('<span class="mono">{}</span> (local test mode)', object_id)
    mode = "test/" if settings.STRIPE_SECRET_KEY.startswith(("sk_test", "rk_test")) else ""
    return format_html(
        '<a href="https://dashboard.stripe.com/{}{}/{}" target="_blank" rel="noopener">{}</a>',
        mode,
        kind,
        object_id,
        object_id,
    )


def answer_text(value):
    if isinstance(value, dict):
        value = value.get("answer", "")
    if isinstance(value, list):
        value = ", ".join(str(item) for item in value)
    return "" if value is None else str(value)


def age_in_years(born, today=None):
    if not born:
        return None
    if isinstance(born, str):
        try:
            born = date.fromisoformat(born)
        except ValueError:
            return None
    today = today or timezone.localdate()
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def render_flags(questionnaire):
    flags = getattr(questionnaire, "flags", None) or []
    if not flags:
        return format_html('<span class="clinic-ok">No red flags</span>')
    return format_html(
        '<ul class="clinic-flags">{}</ul>',
        format_html_join(
            "",
            "<li><strong>Red flag:</strong> {}</li>",
            ((f.get("message") or f.get("key"),) for f in flags),
        ),
    )


def render_answers(questionnaire, keys=None):
    """The answers as a definition list; flagged questions are highlighted."""
    if questionnaire is None:
        return "No questionnaire on file."
    flagged = {flag.get("key") for flag in questionnaire.flags or []}
    items = [
        (key, value)
        for key, value in (questionnaire.answers or {}).items()
        if keys is None or key in keys
    ]
    return format_html(
        '<dl class="clinic-answers">{}</dl>',
        format_html_join(
            "",
            '<div class="{}"><dt>{}</dt><dd>{}</dd></div>',
            (
                (
                    "flagged" if key in flagged else "",
                    value.get("question", key) if isinstance(value, dict) else key,
                    answer_text(value) or "-",
                )
                for key, value in items
            ),
        ),
    )


def tracking_link(shipment):
    if shipment.tracking_url:
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">{}</a>',
            shipment.tracking_url,
            shipment.tracking_number,
        )
    return shipment.tracking_number or "-"


# --- inlines: read-only, shown to whoever may view the order --------------------------------


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("orders.view_order")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    verbose_name_plural = "lines (price snapshot at checkout)"
    fields = ["treatment_name", "plan_name", "unit_price", "quantity", "interval"]

    @admin.display(description="unit price")
    def unit_price(self, line):
        return dollars(line.unit_amount_cents)


class PaymentInline(ReadOnlyInline):
    model = Payment
    fields = ["kind", "amount", "paid_at", "invoice", "payment_intent"]

    @admin.display(description="amount")
    def amount(self, payment):
        return dollars(payment.amount_cents)

    @admin.display(description="Stripe invoice")
    def invoice(self, payment):
        return stripe_link(
            "invoices", payment.stripe_invoice_id, test_order=payment.order.is_test_mode
        )

    @admin.display(description="Stripe payment")
    def payment_intent(self, payment):
        return stripe_link("payments", payment.stripe_payment_intent_id)


class RefundInline(ReadOnlyInline):
    model = Refund
    fields = ["created_at", "amount", "status", "reason", "created_by", "stripe_refund"]

    @admin.display(description="amount")
    def amount(self, refund):
        return dollars(refund.amount_cents)

    @admin.display(description="Stripe refund")
    def stripe_refund(self, refund):
        return stripe_link("refunds", refund.stripe_refund_id)


class ShipmentInline(ReadOnlyInline):
    model = Shipment
    fields = ["kind", "status", "carrier", "tracking", "shipped_at", "shipped_by", "created_at"]

    @admin.display(description="tracking number")
    def tracking(self, shipment):
        return tracking_link(shipment)


class OrderEventInline(ReadOnlyInline):
    model = OrderEvent
    verbose_name_plural = "timeline"
    fields = ["created_at", "kind", "change", "who", "message", "why"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")

    @admin.display(description="status")
    def change(self, event):
        if event.from_status or event.to_status:
            return f"{event.from_status or '-'} \u2192 {event.to_status or '-'}"
        return ""

    @admin.display(description="why")
    def why(self, event):
        data = event.data or {}
        return data.get("reason") or data.get("note") or ""


# --- orders ---------------------------------------------------------------------------------


class NoteForm(forms.Form):
    note = forms.CharField(
        label="Note to the patient (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Included in the approval email and shown on her order page.",
    )


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label="Reason (sent to the patient)",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Declining refunds the latest payment in full and cancels the subscription.",
    )


class RefundForm(forms.Form):
    amount = forms.DecimalField(
        label="Amount in US dollars",
        min_value=Decimal("0.01"),
        max_digits=9,
        decimal_places=2,
    )
    reason = forms.CharField(label="Reason", widget=forms.Textarea(attrs={"rows": 3}))
    token = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, left_cents=0, **kwargs):
        super().__init__(*args, **kwargs)
        self.left_cents = left_cents
        self.fields["amount"].help_text = f"At most {dollars(left_cents)} is left to refund."

    def clean_amount(self):
        cents = int(self.cleaned_data["amount"] * 100)
        if cents > self.left_cents:
            raise forms.ValidationError(f"Only {dollars(self.left_cents)} is left to refund.")
        return cents


class ShipForm(forms.Form):
    carrier = forms.ChoiceField(choices=[(c, c) for c in CARRIERS])
    tracking_number = forms.CharField(max_length=100)


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = [
        "reference",
        "full_name",
        "email",
        "status_badge",
        "total",
        "paid_at",
        "created_at",
    ]
    list_filter = ["status", "is_test_mode"]
    search_fields = ["=id", "email", "full_name", "public_id", "stripe_subscription_id"]
    date_hierarchy = "created_at"
    inlines = [OrderLineInline, PaymentInline, RefundInline, ShipmentInline, OrderEventInline]
    change_form_template = "admin/orders/order/change_form.html"

    def get_fieldsets(self, request, obj=None):
        fieldsets = [
            (
                "Patient",
                {"fields": ["reference", "full_name", "email", "date_of_birth", "patient_page"]},
            ),
            (
                "Status",
                {
                    "fields": [
                        "status",
                        "reviewed_by",
                        "reviewed_at",
                        "review_note",
                        "paid_at",
                        "cancelled_at",
                        "is_test_mode",
                    ]
                },
            ),
            (
                "Money (per month)",
                {"fields": ["subtotal", "shipping", "total", "refundable"]},
            ),
            (
                "Stripe",
                {
                    "fields": [
                        "stripe_customer",
                        "stripe_subscription",
                        "subscription_status",
                        "stripe_checkout_session_id",
                    ]
                },
            ),
            ("Shipping address", {"fields": ["address"]}),
        ]
        if can_read_answers(request.user):
            fieldsets.insert(
                1, ("Medical questionnaire (health data)", {"fields": ["red_flags", "answers"]})
            )
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        return [
            field for _, options in self.get_fieldsets(request, obj) for field in options["fields"]
        ]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("reviewed_by", "questionnaire")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_review_permission(self, request, obj=None):
        return request.user.has_perm("orders.review_order") and can_read_answers(request.user)

    def has_refund_permission(self, request, obj=None):
        return request.user.has_perm("orders.refund_order")

    # display ------------------------------------------------------------------------------

    @admin.display(description="status", ordering="status")
    def status_badge(self, order):
        return format_html(
            '<span class="clinic-badge clinic-badge--{}">{}</span>',
            order.status_tone,
            order.get_status_display(),
        )

    @admin.display(description="total / month", ordering="total_cents")
    def total(self, order):
        return dollars(order.total_cents)

    @admin.display(description="subtotal")
    def subtotal(self, order):
        return dollars(order.subtotal_cents)

    @admin.display(description="shipping")
    def shipping(self, order):
        return (
            f"{dollars(order.shipping_cents)} (free shipping)"
            if order.is_free_shipping
            else dollars(order.shipping_cents)
        )

    @admin.display(description="left to refund")
    def refundable(self, order):
        return dollars(refundable_cents(order))

    @admin.display(description="patient's order page")
    def patient_page(self, order):
        return format_html(
            '<a href="{}">{}</a>', order.get_absolute_url(), "Open the patient's page"
        )

    @admin.display(description="Stripe customer")
    def stripe_customer(self, order):
        return stripe_link("customers", order.stripe_customer_id, test_order=order.is_test_mode)

    @admin.display(description="Stripe subscription")
    def stripe_subscription(self, order):
        return stripe_link(
            "subscriptions", order.stripe_subscription_id, test_order=order.is_test_mode
        )

    @admin.display(description="address")
    def address(self, order):
        if not order.has_address:
            return "-"
        return format_html_join(mark_safe("<br>"), "{}", ((line,) for line in order.address_lines))

    @admin.display(description="red flags")
    def red_flags(self, order):
        return render_flags(getattr(order, "questionnaire", None))

    @admin.display(description="answers")
    def answers(self, order):
        return render_answers(getattr(order, "questionnaire", None))

    # views --------------------------------------------------------------------------------

    def change_view(self, request, object_id, form_url="", extra_context=None):
        order = self.get_object(request, object_id)
        extra_context = {**(extra_context or {}), **self._buttons(request, order)}
        response = super().change_view(request, object_id, form_url, extra_context)
        if order is not None and request.method == "GET" and can_read_answers(request.user):
            if response.status_code == 200:
                log_answers_viewed(request, [order], "order page")
        return response

    def _buttons(self, request, order):
        if order is None:
            return {}
        return {
            "can_approve": self.has_review_permission(request)
            and order.status == Order.Status.AWAITING_REVIEW,
            "can_decline": self.has_review_permission(request)
            and order.reviewed_at is None
            and (
                order.status
                in (Order.Status.AWAITING_REVIEW, Order.Status.REFUNDED, Order.Status.PAST_DUE)
                or cancelled_before_review(order)
            ),
            "can_refund": self.has_refund_permission(request)
            and order.status != Order.Status.PENDING_PAYMENT
            and refundable_cents(order) > 0,
        }

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/approve/", wrap(self.approve_view), name="orders_order_approve"),
            path("<int:pk>/decline/", wrap(self.decline_view), name="orders_order_decline"),
            path("<int:pk>/refund/", wrap(self.refund_view), name="orders_order_refund"),
            *super().get_urls(),
        ]

    def _order_or_403(self, request, pk, permission):
        if not permission(request):
            raise PermissionDenied
        return get_object_or_404(Order.objects.select_related("questionnaire"), pk=pk)

    def _form_page(
        self, request, order, form, *, title, button, danger=False, status=200, intro=""
    ):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": title,
            "order": order,
            "form": form,
            "button": button,
            "danger": danger,
            "intro": intro,
            "order_url": reverse("admin:orders_order_change", args=[order.pk]),
        }
        return TemplateResponse(
            request, "admin/orders/order/action_form.html", context, status=status
        )

    def _done(self, request, order, message, level=messages.SUCCESS):
        self.message_user(request, message, level)
        target = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
            target = reverse("admin:orders_order_change", args=[order.pk])
        return HttpResponseRedirect(target)

    def approve_view(self, request, pk):
        order = self._order_or_403(request, pk, self.has_review_permission)
        form = NoteForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                approve_order(order, by=request.user, note=form.cleaned_data["note"])
            except OrderError as error:
                return self._done(request, order, error.message, messages.ERROR)
            return self._done(
                request,
                order,
                f"{order.reference} approved: the first shipment is queued for Fulfillment "
                "and the patient was emailed.",
            )
        return self._form_page(
            request,
            order,
            form,
            title=f"Approve {order.reference}",
            button="Approve order",
            intro="Approving sends the order to Fulfillment and emails the patient.",
        )

    def decline_view(self, request, pk):
        order = self._order_or_403(request, pk, self.has_review_permission)
        form = DeclineForm(request.POST or None)
        if request.method == "POST":
            if form.is_valid():
                try:
                    decline_order(order, by=request.user, reason=form.cleaned_data["reason"])
                except OrderError as error:
                    return self._done(request, order, error.message, messages.ERROR)
                return self._done(
                    request,
                    order,
                    f"{order.reference} declined: the payment was refunded in full, the "
                    "subscription cancelled, and the patient was emailed.",
                )
            return self._form_page(
                request,
                order,
                form,
                title=f"Decline {order.reference}",
                button="Decline and refund",
                danger=True,
                status=400,
            )
        return self._form_page(
            request,
            order,
            form,
            title=f"Decline {order.reference}",
            button="Decline and refund",
            danger=True,
            intro="Declining refunds the latest payment in full, cancels the subscription and "
            "emails the patient your reason. Nothing ships.",
        )

    def refund_view(self, request, pk):
        order = self._order_or_403(request, pk, self.has_refund_permission)
        left = refundable_cents(order)
        form = RefundForm(
            request.POST or None, left_cents=left, initial={"token": uuid.uuid4().hex}
        )
        status = 200
        if request.method == "POST":
            if form.is_valid():
                try:
                    refund = refund_order(
                        order,
                        by=request.user,
                        amount_cents=form.cleaned_data["amount"],
                        reason=form.cleaned_data["reason"],
                        idempotency_key=f"admin-refund-{order.public_id}-{form.cleaned_data['token']}",
                    )
                except OrderError as error:
                    return self._done(request, order, error.message, messages.ERROR)
                return self._done(
                    request,
                    order,
                    f"Refunded {dollars(refund.amount_cents)} of {order.reference}; the patient was emailed.",
                )
            status = 400
        return self._form_page(
            request,
            order,
            form,
            title=f"Refund {order.reference}",
            button="Refund",
            danger=True,
            status=status,
            intro="The refund goes to the patient's card through Stripe; she is emailed.",
        )


# --- review queue ---------------------------------------------------------------------------


@admin.register(ReviewQueueOrder)
class ReviewQueueAdmin(admin.ModelAdmin):
    """Paid orders waiting for a clinician, oldest first, with what matters at a glance.

    Also lists paid orders the patient cancelled before review whose automatic refund
    has not gone through yet (see ``services/review.py``), flagged, with only **Decline**
    (which refunds her in full).
    """

    list_display = [
        "order_link",
        "waiting",
        "patient",
        "treatments",
        "flags",
        "at_a_glance",
        "decide",
    ]
    list_display_links = None
    list_per_page = 50
    actions = None
    search_fields = ["=id", "full_name", "email"]

    def get_queryset(self, request):
        cancelled_unrefunded = Q(
            status=Order.Status.CANCELLED, paid_at__isnull=False, reviewed_at__isnull=True
        )
        return (
            Order.objects.filter(Q(status=Order.Status.AWAITING_REVIEW) | cancelled_unrefunded)
            .select_related("questionnaire")
            .prefetch_related(Prefetch("lines", queryset=OrderLine.objects.order_by("id")))
        )

    def get_ordering(self, request):
        return ["paid_at", "id"]

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("orders.review_order") and can_read_answers(request.user)

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        return HttpResponseRedirect(reverse("admin:orders_order_change", args=[object_id]))

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            "title": "Review queue: paid orders awaiting a clinician, oldest first",
            **(extra_context or {}),
        }
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:
            log_answers_viewed(request, changelist.result_list, "review queue")
        return response

    @admin.display(description="order", ordering="id")
    def order_link(self, order):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:orders_order_change", args=[order.pk]),
            order.reference,
        )

    @admin.display(description="waiting", ordering="paid_at")
    def waiting(self, order):
        since = order.paid_at or order.created_at
        hours = (timezone.now() - since).total_seconds() / 3600
        css = "clinic-late" if hours >= 24 else ""
        return format_html('<span class="{}">{}</span>', css, timesince(since).split(",")[0])

    @admin.display(description="patient")
    def patient(self, order):
        age = age_in_years(order.date_of_birth)
        return format_html(
            "{}<br><small>{}</small>", order.full_name, f"age {age}" if age is not None else ""
        )

    @admin.display(description="treatments")
    def treatments(self, order):
        return format_html_join(
            mark_safe("<br>"),
            "{} ({})",
            ((line.treatment_name, line.plan_name) for line in order.lines.all()),
        )

    @admin.display(description="red flags")
    def flags(self, order):
        flags = render_flags(getattr(order, "questionnaire", None))
        if cancelled_before_review(order):
            return format_html(
                '<p class="clinic-cancelled"><strong>{}</strong>: her refund has not gone '
                "through yet. Decline to refund her in full.</p>{}",
                CANCELLED_BEFORE_REVIEW,
                flags,
            )
        return flags

    @admin.display(description="at a glance")
    def at_a_glance(self, order):
        questionnaire = getattr(order, "questionnaire", None)
        flagged = {flag.get("key") for flag in getattr(questionnaire, "flags", None) or []}
        return render_answers(questionnaire, keys={*GLANCE_KEYS, *flagged})

    @admin.display(description="decide")
    def decide(self, order):
        queue = reverse("admin:orders_reviewqueueorder_changelist")
        if cancelled_before_review(order):
            return format_html(
                '<a class="button clinic-danger" href="{}?next={}">Decline and refund</a>',
                reverse("admin:orders_order_decline", args=[order.pk]),
                queue,
            )
        return format_html(
            '<a class="button" href="{}?next={}">Approve</a> <a class="button clinic-danger" href="{}?next={}">Decline</a>',
            reverse("admin:orders_order_approve", args=[order.pk]),
            queue,
            reverse("admin:orders_order_decline", args=[order.pk]),
            queue,
        )


# --- questionnaire answers and their audit log --------------------------------------------


@admin.register(QuestionnaireResponse)
class QuestionnaireResponseAdmin(admin.ModelAdmin):
    list_display = ["order", "flag_count", "created_at"]
    list_select_related = ["order"]
    fields = ["order", "red_flags", "answers_list", "created_at"]
    readonly_fields = fields

    def has_view_permission(self, request, obj=None):
        return can_read_answers(request.user)

    def has_module_permission(self, request):
        return can_read_answers(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="red flags")
    def flag_count(self, response):
        return len(response.flags or [])

    @admin.display(description="red flags")
    def red_flags(self, response):
        return render_flags(response)

    @admin.display(description="answers")
    def answers_list(self, response):
        return render_answers(response)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        obj = self.get_object(request, object_id)
        if obj is not None and request.method == "GET" and response.status_code == 200:
            log_answers_viewed(request, [obj.order], "questionnaire page")
        return response


class SuperuserOnlyReadOnlyAdmin(admin.ModelAdmin):
    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(QuestionnaireAccess)
class QuestionnaireAccessAdmin(SuperuserOnlyReadOnlyAdmin):
    list_display = ["viewed_at", "username", "order", "where"]
    list_filter = ["where"]
    search_fields = ["username", "=order__id"]
    list_select_related = ["order"]
    date_hierarchy = "viewed_at"


# --- shipments ------------------------------------------------------------------------------


class ReadOnlyModelAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Shipment)
class ShipmentAdmin(ReadOnlyModelAdmin):
    list_display = [
        "order_link",
        "kind",
        "status",
        "ship_to",
        "ship",
        "carrier",
        "tracking",
        "created_at",
    ]
    list_filter = ["status", "kind", "carrier"]
    search_fields = ["=order__id", "tracking_number", "ship_name", "ship_postal_code"]
    list_select_related = ["order"]
    actions = ["mark_selected_shipped"]
    fields = [
        "order",
        "kind",
        "status",
        "ship_to",
        "carrier",
        "tracking",
        "shipped_at",
        "shipped_by",
        "payment",
        "created_at",
    ]
    readonly_fields = fields

    def get_ordering(self, request):
        return ["status", "created_at", "id"]  # "pending" sorts before "shipped"

    def changelist_view(self, request, extra_context=None):
        title = (
            "Shipments" if request.GET.get("status__exact") != "pending" else "Shipments to send"
        )
        return super().changelist_view(request, {"title": title, **(extra_context or {})})

    def has_ship_permission(self, request, obj=None):
        return request.user.has_perm("orders.ship_order")

    @admin.display(description="order", ordering="order_id")
    def order_link(self, shipment):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:orders_order_change", args=[shipment.order_id]),
            shipment.order.reference,
        )

    @admin.display(description="ship to")
    def ship_to(self, shipment):
        return (
            format_html_join(mark_safe("<br>"), "{}", ((line,) for line in shipment.address_lines))
            or "-"
        )

    @admin.display(description="tracking number")
    def tracking(self, shipment):
        return tracking_link(shipment)

    @admin.display(description="")
    def ship(self, shipment):
        if shipment.status != Shipment.Status.PENDING:
            return ""
        return format_html(
            '<a class="button" href="{}">Mark shipped</a>',
            reverse("admin:orders_shipment_ship", args=[shipment.pk]),
        )

    def get_list_display(self, request):
        names = list(super().get_list_display(request))
        if not self.has_ship_permission(request):
            names.remove("ship")
        return names

    def get_urls(self):
        return [
            path(
                "<int:pk>/ship/",
                self.admin_site.admin_view(self.ship_view),
                name="orders_shipment_ship",
            ),
            *super().get_urls(),
        ]

    def _ship_page(self, request, shipments, form, status=200):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Mark shipped",
            "shipments": shipments,
            "form": form,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "changelist_url": reverse("admin:orders_shipment_changelist"),
        }
        return TemplateResponse(
            request, "admin/orders/shipment/ship_form.html", context, status=status
        )

    def ship_view(self, request, pk):
        if not self.has_ship_permission(request):
            raise PermissionDenied
        shipment = get_object_or_404(Shipment.objects.select_related("order"), pk=pk)
        form = ShipForm(request.POST or None)
        if request.method == "POST":
            if form.is_valid():
                try:
                    mark_shipped(shipment, by=request.user, **form.cleaned_data)
                except OrderError as error:
                    self.message_user(request, error.message, messages.ERROR)
                else:
                    self.message_user(
                        request,
                        f"{shipment} marked shipped; the patient was emailed the tracking link.",
                    )
                return HttpResponseRedirect(reverse("admin:orders_shipment_changelist"))
            return self._ship_page(request, [shipment], form, status=400)
        return self._ship_page(request, [shipment], form)

    @admin.action(description="Mark selected shipments shipped", permissions=["ship"])
    def mark_selected_shipped(self, request, queryset):
        shipments = list(queryset.select_related("order").order_by("created_at", "id"))
        if "apply" not in request.POST:
            return self._ship_page(request, shipments, ShipForm())
        carrier = request.POST.get("carrier", "")
        if carrier not in CARRIERS:
            self.message_user(request, "Please choose a carrier.", messages.ERROR)
            return None
        numbers = {s.pk: request.POST.get(f"tracking_{s.pk}", "") for s in shipments}
        done, refused = mark_many_shipped(
            shipments, by=request.user, carrier=carrier, tracking_numbers=numbers
        )
        if done:
            self.message_user(
                request, f"{len(done)} shipment(s) marked shipped; patients were emailed."
            )
        for shipment, message in refused:
            self.message_user(request, f"{shipment}: {message}", messages.ERROR)
        return None


# --- money and Stripe records (read-only) ---------------------------------------------------


@admin.register(Payment)
class PaymentAdmin(ReadOnlyModelAdmin):
    list_display = ["order", "kind", "amount", "paid_at", "stripe_invoice_id"]
    list_filter = ["kind"]
    search_fields = ["=order__id", "stripe_invoice_id", "stripe_payment_intent_id"]
    list_select_related = ["order"]
    date_hierarchy = "paid_at"

    @admin.display(description="amount", ordering="amount_cents")
    def amount(self, payment):
        return dollars(payment.amount_cents)


@admin.register(Refund)
class RefundAdmin(ReadOnlyModelAdmin):
    list_display = [
        "order",
        "amount",
        "status",
        "reason",
        "created_by",
        "created_at",
        "stripe_refund_id",
    ]
    list_filter = ["status"]
    search_fields = ["=order__id", "stripe_refund_id"]
    list_select_related = ["order", "created_by"]
    date_hierarchy = "created_at"

    @admin.display(description="amount", ordering="amount_cents")
    def amount(self, refund):
        return dollars(refund.amount_cents)


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyModelAdmin):
    list_display = ["received_at", "type", "stripe_event_id", "result", "processed_at"]
    list_filter = ["type"]
    search_fields = ["stripe_event_id"]
    exclude = ["payload"]
