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
        "state",
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

    @admin.display(description="status", ordering="status")
    def state(self, refund):
        return refund.state_label


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


@admin.register(Hold)
class HoldAdmin(ReadOnlyModelAdmin):
    """Orders Support must look at: nothing ships while a hold is open."""

    list_display = ["opened_at", "order_link", "kind", "reason", "is_open", "outcome"]
    list_filter = ["kind", ("released_at", admin.EmptyFieldListFilter)]
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
            "holds": queryset.select_related("order"),
            "form": form,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(
            request,
            "admin/orders/hold/release_form.html",
            context,
            status=400 if form.is_bound else 200,
        )
