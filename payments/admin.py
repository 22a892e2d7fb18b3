"""Money and Stripe records (read-only): payments, refunds, webhook events, and the holds
Stripe's disputes, fraud warnings and failed refunds put on orders."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from core.admin import ReadOnlyModelAdmin
from core.money import format_money_exact
from orders.admin.common import (
    can_read_answers,
    log_answers_viewed,
    shown_hold_kind,
    shown_hold_text,
)
from orders.models import Hold, Payment, Refund, WebhookEvent
from orders.services.holds import release_hold

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
        return format_money_exact(payment.amount_cents)


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
        return format_money_exact(refund.amount_cents)


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyModelAdmin):
    list_display = ["received_at", "type", "stripe_event_id", "result", "processed_at"]
    list_filter = ["type"]
    search_fields = ["stripe_event_id"]
    exclude = ["payload"]


class ReleaseForm(forms.Form):
    outcome = forms.CharField(
        label="What was done (recorded on the order)",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="e.g. Refunded in full; dispute evidence sent; patient confirmed the charge.",
    )


class HoldKindFilter(admin.SimpleListFilter):
    """By kind; the clinical kinds are one choice for those who may not read health data."""

    title = "kind"
    parameter_name = "kind"
    CLINICAL = "clinical"

    def lookups(self, request, model_admin):
        if can_read_answers(request.user):
            return Hold.Kind.choices
        kinds = [(kind, label) for kind, label in Hold.Kind.choices if kind not in Hold.URGENT]
        return [*kinds, (self.CLINICAL, "Clinical (a clinician decides)")]

    def queryset(self, request, queryset):
        if self.value() == self.CLINICAL:
            return queryset.filter(kind__in=Hold.URGENT)
        if self.value():
            return queryset.filter(kind=self.value())
        return queryset


@admin.register(Hold)
class HoldAdmin(ReadOnlyModelAdmin):
    """Orders Support must look at: nothing ships while a hold is open. A clinical hold (her
    report, a pregnancy) shows its kind, reason and outcome only to those who may read health
    data, and each showing is logged; the others see that a clinician decides."""

    list_display = ["opened_at", "order_link", "kind", "reason", "is_open", "outcome"]
    fields = ["order_link", "kind", "reason", "stripe_object_id", "opened_at", "released_at"]
    fields += ["released_by", "outcome", "awaits_patient_since", "lines"]
    # What someone who may not read health data sees instead of kind, reason and outcome.
    MASKED = {"kind": "kind_shown", "reason": "reason_shown", "outcome": "outcome_shown"}

    def get_list_display(self, request):
        names = super().get_list_display(request)
        return names if can_read_answers(request.user) else [self.MASKED.get(n, n) for n in names]

    def get_fields(self, request, obj=None):
        if can_read_answers(request.user):
            return self.fields
        # (which treatments a clinical hold is about is clinical too: "lines" goes)
        return [self.MASKED.get(name, name) for name in self.fields if name != "lines"]

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        shown = getattr(response, "context_data", None) or {}
        if "cl" in shown and can_read_answers(request.user):
            clinical = [hold.order for hold in shown["cl"].result_list if hold.is_clinical]
            log_answers_viewed(request, clinical, "holds")
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        hold = self.get_object(request, object_id)
        if (
            response.status_code == 200
            and hold
            and hold.is_clinical
            and can_read_answers(request.user)
        ):
            log_answers_viewed(request, [hold.order], "hold page")
        return response

    def _shown(self, request, hold):
        """(kind, reason) of ``hold`` as ``request.user`` may read them."""
        if can_read_answers(request.user):
            return hold.get_kind_display(), hold.reason
        return shown_hold_kind(hold), shown_hold_text(hold, hold.reason)

    @admin.display(description="kind")
    def kind_shown(self, hold):
        return shown_hold_kind(hold)

    @admin.display(description="reason")
    def reason_shown(self, hold):
        return shown_hold_text(hold, hold.reason)

    @admin.display(description="outcome")
    def outcome_shown(self, hold):
        return shown_hold_text(hold, hold.outcome)

    list_filter = [HoldKindFilter, ("released_at", admin.EmptyFieldListFilter)]
    list_select_related = ["order"]
    search_fields = ["=order__id", "stripe_object_id"]
    actions = ["release_selected"]

    @admin.display(description="order", ordering="order_id")
    def order_link(self, hold):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:orders_order_change", args=[hold.order_id]),
            hold.order.reference,
        )

    @admin.display(description="open", boolean=True)
    def is_open(self, hold):
        return hold.is_open

    def has_release_permission(self, request):
        return any(request.user.has_perm(p) for p in Hold.RELEASE_PERMISSION.values())

    @admin.action(
        description="Release selected holds (record what was done)", permissions=["release"]
    )
    def release_selected(self, request, queryset):
        form = ReleaseForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            holds = list(queryset.select_related("order"))
            mine = [hold for hold in holds if hold.may_be_released_by(request.user)]
            released = sum(
                release_hold(hold, outcome=form.cleaned_data["outcome"], by=request.user)
                for hold in mine
            )
            self.message_user(request, f"{released} hold(s) released.", messages.SUCCESS)
            for hold in holds:
                if hold not in mine:
                    self.message_user(
                        request,
                        f"{hold.get_kind_display()} on {hold.order.reference} was not released: "
                        f"only {hold.releaser.label} may release it.",
                        messages.WARNING,
                    )
            return None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Release holds",
            "holds": [
                (hold, *self._shown(request, hold)) for hold in queryset.select_related("order")
            ],
            "form": form,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(
            request,
            "admin/orders/hold/release_form.html",
            context,
            status=400 if form.is_bound else 200,
        )
