"""The small forms behind the admin's approve, decline, refund and ship pages."""

from dataclasses import replace
from decimal import Decimal

from django import forms

from clinic.services.prescriptions import drafts_for, renewal_drafts
from core.money import DollarField, cents_from_dollars, format_money_exact
from orders.services.fulfilment import CARRIERS
from treatments.models import MAX_REFILLS


class LineChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, line):
        return f"{line} - {format_money_exact(line.line_total_cents)}/month"


class PrescriptionFields:
    """One set of fields per prescription draft (strength, directions, quantity, refills),
    prefilled: the clinician confirms or edits them."""

    def add_prescription_fields(self, drafts):
        self.drafts = drafts
        for draft in self.drafts:
            name = f"{draft.medicine.name} ({draft.line.treatment_name})"
            unit = draft.medicine.quantity_unit
            self.fields[f"rx-{draft.key}-strength"] = forms.CharField(
                label=f"{name}: strength", max_length=100, initial=draft.strength
            )
            self.fields[f"rx-{draft.key}-directions"] = forms.CharField(
                label=f"{name}: directions (sig)",
                initial=draft.directions,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
            self.fields[f"rx-{draft.key}-quantity"] = forms.IntegerField(
                label=f"{name}: quantity per month ({unit})", min_value=1, initial=draft.quantity
            )
            self.fields[f"rx-{draft.key}-refills"] = forms.IntegerField(
                label=f"{name}: refills",
                min_value=0,
                max_value=MAX_REFILLS,
                initial=draft.refills,
                help_text=f"At most {MAX_REFILLS}: a prescription lasts a year.",
            )

    def prescriptions(self):
        """The drafts as the clinician confirmed them (call once the form is valid)."""
        return [
            replace(
                draft,
                **{
                    part: self.cleaned_data[f"rx-{draft.key}-{part}"]
                    for part in ("strength", "directions", "quantity", "refills")
                },
            )
            for draft in self.drafts
        ]


class ApproveForm(PrescriptionFields, forms.Form):
    """Approve the order, and (when it has several treatments) decline some of them."""

    note = forms.CharField(
        label="Note to the patient (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Included in the approval email and shown on her order page.",
    )
    declined_lines = LineChoiceField(
        label="Decline some treatments (optional)",
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Each ticked treatment is declined: its share of what she paid is refunded "
        "and it leaves her subscription. The others are approved and ship.",
    )
    decline_reason = forms.CharField(
        label="Reason for the treatments you decline (sent to the patient)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    field_order = ["declined_lines", "decline_reason", "note"]

    def __init__(self, *args, order, **kwargs):
        super().__init__(*args, **kwargs)
        lines = order.lines.all()
        if len(lines) < 2:  # one treatment: approve it, or decline the order
            del self.fields["declined_lines"], self.fields["decline_reason"]
        else:
            self.fields["declined_lines"].queryset = lines
        self.add_prescription_fields(drafts_for(order))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("declined_lines") and not cleaned.get("decline_reason", "").strip():
            self.add_error(
                "decline_reason", "Give the patient a reason for the treatments you decline."
            )
        return cleaned


class RenewForm(PrescriptionFields, forms.Form):
    """Renew each current prescription (prefilled from it, with a fresh year of refills)."""

    def __init__(self, *args, order, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_prescription_fields(renewal_drafts(order))


class AskForm(forms.Form):
    question = forms.CharField(
        label="Your question to the patient",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Sent as a medical message; she is emailed a notice without it. Her "
        "subscription pauses until she answers; after 14 days without an answer the order "
        "is declined and refunded.",
    )


class ReplyForm(forms.Form):
    body = forms.CharField(label="Reply", max_length=5000, widget=forms.Textarea(attrs={"rows": 5}))


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label="Reason (sent to the patient)",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Declining refunds everything she paid and cancels the subscription.",
    )


class RefundForm(forms.Form):
    amount = DollarField(
        label="Amount in US dollars",
        min_value=Decimal("0.01"),
        max_digits=9,
        decimal_places=2,
        error_messages={
            "invalid": "Enter the amount in dollars, e.g. 22 or 22.50 (digits and a decimal "
            "point only, no $ sign or commas).",
        },
    )
    reason = forms.CharField(label="Reason", widget=forms.Textarea(attrs={"rows": 3}))
    token = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, left_cents=0, **kwargs):
        super().__init__(*args, **kwargs)
        self.left_cents = left_cents
        self.fields[
            "amount"
        ].help_text = f"At most {format_money_exact(left_cents)} is left to refund."

    def clean_amount(self):
        cents = cents_from_dollars(self.cleaned_data["amount"])
        if cents > self.left_cents:
            raise forms.ValidationError(
                f"Only {format_money_exact(self.left_cents)} is left to refund."
            )
        return cents


class ShipForm(forms.Form):
    carrier = forms.ChoiceField(choices=[(c, c) for c in CARRIERS])
    tracking_number = forms.CharField(max_length=100)


class BulkShipForm(forms.Form):
    """One carrier for the selected shipments, and a tracking number for each.

    A blank tracking number leaves that shipment for later (the service says so); one that
    is too long stops the whole form before anything is marked shipped.
    """

    carrier = forms.ChoiceField(choices=[(c, c) for c in CARRIERS])

    def __init__(self, *args, shipments, **kwargs):
        super().__init__(*args, **kwargs)
        self.shipments = shipments
        for shipment in shipments:
            self.fields[f"tracking_{shipment.pk}"] = forms.CharField(
                label=f"Tracking number for {shipment.order.reference}",
                max_length=100,
                required=False,
            )

    def rows(self):
        """(shipment, its tracking-number field) for the template."""
        return [(s, self[f"tracking_{s.pk}"]) for s in self.shipments]

    def tracking_numbers(self):
        return {s.pk: self.cleaned_data[f"tracking_{s.pk}"] for s in self.shipments}
