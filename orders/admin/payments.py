"""Money and Stripe records (read-only): payments, refunds, webhook events."""

from django.contrib import admin

from ..models import Payment, Refund, WebhookEvent
from .common import ReadOnlyModelAdmin, dollars

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
