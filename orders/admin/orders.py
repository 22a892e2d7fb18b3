"""The order admin: read-only inlines, the order page, and the one view of its actions
(``orders.admin.actions``)."""

from datetime import timedelta
from functools import partial

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe

from core.admin import ReadOnlyModelAdmin
from core.money import format_money_exact
from orders.admin.actions import ACTIONS, actions_for
from orders.admin.common import (
    can_read_answers,
    log_answers_viewed,
    render_answers,
    render_flags,
    render_renewal,
    stripe_link,
)
from orders.admin.inlines import (
    HoldInline,
    OrderEventInline,
    OrderLineInline,
    PaymentInline,
    PrescriptionInline,
    RefundInline,
    ShipmentInline,
)
from orders.admin.labs import health_file_view
from orders.admin.signoff import render_flag_reviews
from orders.models import (
    Order,
)
from orders.services import OrderError

# --- orders ---------------------------------------------------------------------------------


class UnansweredFilter(admin.SimpleListFilter):
    """Support's list: questions to patients unanswered for a week (she was reminded)."""

    title = "question to the patient"
    parameter_name = "unanswered"

    def lookups(self, request, model_admin):
        return [("yes", f"Unanswered over {settings.QUESTION_REMINDER_DAYS} days")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            since = timezone.now() - timedelta(days=settings.QUESTION_REMINDER_DAYS)
            return queryset.unanswered_since(since)
        return queryset


@admin.register(Order)
class OrderAdmin(ReadOnlyModelAdmin):
    list_display = [
        "reference",
        "full_name",
        "email",
        "status_badge",
        "total",
        "paid_at",
        "created_at",
    ]
    list_filter = ["status", UnansweredFilter, "is_test_mode"]
    # Number, name and email (trigram-indexed on PostgreSQL: docs/performance.md); the ids
    # exactly, so that every part of the search is answered by an index.
    search_fields = [
        "id__exact",  # "=id" compares UPPER(id::text): no index
        "email",
        "full_name",
        "public_id__exact",
        "stripe_subscription_id__exact",
    ]
    date_hierarchy = "created_at"
    inlines = [
        HoldInline,
        OrderLineInline,
        PrescriptionInline,
        PaymentInline,
        RefundInline,
        ShipmentInline,
        OrderEventInline,
    ]
    change_form_template = "admin/orders/order/change_form.html"

    def get_search_results(self, request, queryset, search_term):
        # Her reference as she reads it out on the phone ("OA-000123") is that order alone
        # (not every email or name with the digits in it): one lookup on the key.
        pk = Order.pk_from_reference(search_term)
        if pk is not None:
            return queryset.filter(pk=pk), False
        return super().get_search_results(request, queryset, search_term)

    def get_fieldsets(self, request, obj=None):
        fieldsets = [
            (
                "Patient",
                {
                    "fields": [
                        "reference",
                        "full_name",
                        "email",
                        "date_of_birth",
                        "residence_state",
                        "patient_page",
                        "agreements",
                    ]
                },
            ),
            (
                "Status",
                {
                    "fields": [
                        "status",
                        "reviewed_by",
                        "reviewed_at",
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
            # What a clinician reads first, in this order (issue 11): red flags, BMI and
            # vitals, the medicines she takes, what she ordered with its medicines, her
            # earlier orders and their decisions, then every answer.
            fieldsets.insert(
                1,
                (
                    "Medical questionnaire (health data)",
                    {
                        "fields": [
                            # her clinician's note to her, or the reason she was declined
                            "review_note",
                            "red_flags",
                            "flags_considered",
                            "vitals",
                            "medicines_taken",
                            "treatments_ordered",
                            "earlier_orders",
                            "answers",
                            "renewal_answers",
                        ]
                    },
                ),
            )
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        return [
            field for _, options in self.get_fieldsets(request, obj) for field in options["fields"]
        ]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("reviewed_by", "questionnaire")

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
        return format_money_exact(order.total_cents)

    @admin.display(description="subtotal")
    def subtotal(self, order):
        return format_money_exact(order.subtotal_cents)

    @admin.display(description="shipping")
    def shipping(self, order):
        return (
            f"{format_money_exact(order.shipping_cents)} (free shipping)"
            if order.is_free_shipping
            else format_money_exact(order.shipping_cents)
        )

    @admin.display(description="left to refund")
    def refundable(self, order):
        return format_money_exact(order.refundable_cents())

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

    @admin.display(description="flags considered at sign-off")
    def flags_considered(self, order):
        return render_flag_reviews(order)

    @admin.display(description="answers")
    def answers(self, order):
        return render_answers(getattr(order, "questionnaire", None))

    @admin.display(description="renewal answers")
    def renewal_answers(self, order):
        return render_renewal(order.renewals.first())

    @admin.display(description="agreed before payment")
    def agreements(self, order):
        rows = format_html_join(
            "",
            '<li><a href="{}">{}</a>, {}</li>',
            (
                (
                    consent.document.get_absolute_url(),
                    consent.document,
                    timezone.localtime(consent.agreed_at).strftime("%b %d, %Y %H:%M"),
                )
                for consent in order.consents.select_related("document")
            ),
        )
        return format_html("<ul>{}</ul>", rows) if rows else "-"

    @admin.display(description="BMI and vitals")
    def vitals(self, order):
        return render_answers(
            getattr(order, "questionnaire", None),
            keys=("state", "date_of_birth", "bmi", "height_weight", "blood_pressure"),
        )

    @admin.display(description="medicines she takes")
    def medicines_taken(self, order):
        return render_answers(
            getattr(order, "questionnaire", None),
            keys=("current_medicines", "medicine_allergies", "medicines", "allergies"),
        )

    @admin.display(description="treatments ordered, with their medicines")
    def treatments_ordered(self, order):
        lines = order.lines.select_related("plan__treatment").prefetch_related(
            "plan__treatment__medicines"
        )
        return format_html(
            '<ul class="clinic-treatments">{}</ul>',
            format_html_join(
                "",
                "<li><strong>{}</strong>: {}</li>",
                (
                    (
                        line.treatment_name,
                        "; ".join(
                            f"{m.name}, {m.get_route_display().lower()}: "
                            f"{', '.join(m.drug_class_labels) or 'no drug class'}"
                            + (f", {m.default_strength}" if m.default_strength else "")
                            for m in line.plan.treatment.medicines.all()
                        )
                        or "no medicines on file",
                    )
                    for line in lines
                ),
            ),
        )

    @admin.display(description="her earlier orders (same email)")
    def earlier_orders(self, order):
        earlier = (
            Order.objects.filter(email__iexact=order.email, created_at__lt=order.created_at)
            .exclude(pk=order.pk)
            .select_related("reviewed_by")
            .prefetch_related("lines")
            .order_by("-created_at")
        )
        rows = format_html_join(
            "",
            '<li><a href="{}">{}</a>, {}: {} ({})</li>',
            (
                (
                    reverse("admin:orders_order_change", args=[other.pk]),
                    other.reference,
                    timezone.localtime(other.created_at).strftime("%b %d, %Y"),
                    ", ".join(line.treatment_name for line in other.lines.all()),
                    other.get_status_display()
                    + (f", reviewed by {other.reviewed_by}" if other.reviewed_by else "")
                    + (f": {other.review_note}" if other.review_note else ""),
                )
                for other in earlier
            ),
        )
        if not rows:
            return "None: her first order."
        return format_html('<ul class="clinic-earlier">{}</ul>', rows)

    # views --------------------------------------------------------------------------------

    def change_view(self, request, object_id, form_url="", extra_context=None):
        order = self.get_object(request, object_id)
        extra_context = {**(extra_context or {}), **self._buttons(request, order)}
        response = super().change_view(request, object_id, form_url, extra_context)
        # 200: the page with the answers was shown (a missing order is a redirect).
        if (
            request.method == "GET"
            and response.status_code == 200
            and can_read_answers(request.user)
        ):
            log_answers_viewed(request, [order], "order page")
        return response

    def _buttons(self, request, order):
        if order is None:
            return {}
        return {
            "order_actions": [
                (action, reverse(f"admin:orders_order_{action.name}", args=[order.pk]))
                for action in actions_for(request.user, order)
            ]
        }

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            *(
                path(
                    f"<int:pk>/{action.name}/",
                    wrap(partial(self.action_view, action=action)),
                    name=f"orders_order_{action.name}",
                )
                for action in ACTIONS
            ),
            path("files/<int:file_pk>/", wrap(health_file_view), name="orders_health_file"),
            *super().get_urls(),
        ]

    def _form_page(self, request, order, form, *, action, status=200):
        context = {
            **self.admin_site.each_context(request),
            **(action.context(request, order) if action.context else {}),
            "opts": self.model._meta,
            "title": action.title.format(reference=order.reference),
            "order": order,
            "form": form,
            "button": action.submit,
            "danger": action.danger,
            "intro": action.intro,
            "order_url": reverse("admin:orders_order_change", args=[order.pk]),
        }
        return TemplateResponse(request, action.template, context, status=status)

    def _done(self, request, order, message, level=messages.SUCCESS):
        self.message_user(request, message, level)
        target = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
            target = reverse("admin:orders_order_change", args=[order.pk])
        return HttpResponseRedirect(target)

    def action_view(self, request, pk, *, action):
        """Any row of ``ACTIONS``: its form on GET, the verb on a valid POST. Whether the order
        allows it is the verb's to say (under the row lock), with a message, not a 500."""
        if not action.may(request.user):
            raise PermissionDenied
        order = get_object_or_404(Order.objects.select_related("questionnaire"), pk=pk)
        form = action.form(request.POST or None, order)
        status = 200
        if request.method == "POST":
            if form.is_valid():
                try:
                    message, level = action.run(order, request.user, form)
                except OrderError as error:
                    return self._done(request, order, error.message, messages.ERROR)
                return self._done(request, order, message, level)
            status = 400
        return self._form_page(request, order, form, action=action, status=status)
