"""The order page's read-only inlines, shown to whoever may view the order. Clinical text
(prescription directions and doses, clinical holds, her reports and the clinician's entries
on the timeline) only to those who may read health data (``can_read_answers``); the others
see what they pack and what they answer about money and delivery."""

from django.contrib import admin

from core.money import format_money_exact
from orders.admin.common import (
    CLINICIANS_ONLY,
    can_read_answers,
    shown_hold_kind,
    shown_hold_text,
    stripe_link,
    tracking_link,
)
from orders.models import Hold, OrderEvent, OrderLine, Payment, Prescription, Refund, Shipment

# --- inlines: read-only, shown to whoever may view the order --------------------------------


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("orders.view_order")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PrescriptionInline(ReadOnlyInline):
    model = Prescription
    verbose_name_plural = "prescriptions (a renewal replaces them)"
    fields = [
        "medicine_name",
        "strength",
        "daily_dose",
        "daily_unit",
        "titration_step",
        "step_up_confirmed_at",
        "directions",
        "extra_directions",
        "quantity",
        "quantity_unit",
        "refills",
        "refills_used",
        "prescriber_name",
        "attested_at",
        "legacy",
        "written_at",
        "replaced_at",
    ]
    # What Fulfillment packs and Support answers about: no directions, doses or schedule.
    packing_fields = [
        "medicine_name",
        "strength",
        "quantity",
        "quantity_unit",
        "refills",
        "refills_used",
        "prescriber_name",
        "written_at",
        "replaced_at",
    ]

    def get_fields(self, request, obj=None):
        return self.fields if can_read_answers(request.user) else self.packing_fields


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    verbose_name_plural = "lines (price snapshot at checkout)"
    fields = [
        "treatment_name",
        "plan_name",
        "unit_price",
        "quantity",
        "interval",
        "decision",
        "changed_from",
    ]

    @admin.display(description="unit price")
    def unit_price(self, line):
        return format_money_exact(line.unit_amount_cents)

    @admin.display(description="changed from (a medicine of the pack declined)")
    def changed_from(self, line):
        if not line.was_converted:
            return "-"
        return (
            f"{line.converted_from_name} at "
            f"{format_money_exact(line.converted_from_amount_cents)}, without "
            f"{', '.join(line.declined_medicines)}"
        )


class PaymentInline(ReadOnlyInline):
    model = Payment
    fields = ["kind", "amount", "paid_at", "invoice", "payment_intent"]

    @admin.display(description="amount")
    def amount(self, payment):
        return format_money_exact(payment.amount_cents)

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
        return format_money_exact(refund.amount_cents)

    @admin.display(description="Stripe refund")
    def stripe_refund(self, refund):
        return stripe_link("refunds", refund.stripe_refund_id)


class ShipmentInline(ReadOnlyInline):
    model = Shipment
    fields = ["kind", "status", "carrier", "tracking", "shipped_at", "shipped_by", "created_at"]

    @admin.display(description="tracking number")
    def tracking(self, shipment):
        return tracking_link(shipment)


class HoldInline(ReadOnlyInline):
    model = Hold
    verbose_name_plural = "holds (nothing ships while one is open)"
    fields = ["opened_at", "kind", "reason", "released_at", "outcome"]

    def get_fields(self, request, obj=None):
        if can_read_answers(request.user):
            return self.fields
        return ["opened_at", "kind_shown", "reason_shown", "released_at", "outcome_shown"]

    @admin.display(description="kind")
    def kind_shown(self, hold):
        return shown_hold_kind(hold)

    @admin.display(description="reason")
    def reason_shown(self, hold):
        return shown_hold_text(hold, hold.reason)

    @admin.display(description="outcome")
    def outcome_shown(self, hold):
        return shown_hold_text(hold, hold.outcome)


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

    def get_fields(self, request, obj=None):
        if can_read_answers(request.user):
            return self.fields
        return ["created_at", "kind", "change", "who", "message_shown", "why_shown"]

    @admin.display(description="why")
    def why(self, event):
        return event.note

    @admin.display(description="message")
    def message_shown(self, event):
        return CLINICIANS_ONLY if event.is_clinical and event.message else event.message

    @admin.display(description="why")
    def why_shown(self, event):
        return CLINICIANS_ONLY if event.is_clinical and event.note else event.note
