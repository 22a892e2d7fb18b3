"""The small forms behind the admin's approve, decline, refund and ship pages."""

from dataclasses import replace
from decimal import Decimal

from django import forms

from clinic.services.packs import is_pack, pack_decline, pack_declines, sold_alone
from clinic.services.prescriptions import (
    ATTESTATION,
    check_draft,
    current,
    draft_from,
    drafts_for,
    renewal_drafts,
)
from core.money import DollarField, cents_from_dollars, format_money_exact
from orders.services import OrderError
from orders.services.fulfilment import CARRIERS
from treatments.dosing import FREQUENCIES, Dosing, show
from treatments.models import MAX_REFILLS


class LineChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, line):
        return f"{line} - {format_money_exact(line.line_total_cents)}/month"


def _choice(value):
    return show(value)


class PrescriptionFields:
    """One set of fields per prescription draft, prefilled from the draft: a stocked
    strength, a dose per administration and a frequency (or a step of the medicine's
    titration schedule), refills, and optional additional directions; then the clinician's
    attestation. Only what the medicine's prescribing data allows is offered, and the daily
    dose is checked against its maximum (``check_draft``, as the service checks it again)."""

    def add_prescription_fields(self, drafts):
        self.drafts = drafts
        for draft in self.drafts:
            self._add_fields(draft)
        self.fields["attest"] = forms.BooleanField(
            label=ATTESTATION,
            error_messages={
                "required": "Tick the attestation to sign: you have reviewed her answers."
            },
        )

    def _add_fields(self, draft):
        name = f"{draft.medicine.name} ({draft.line.treatment_name})"
        prefix = f"rx-{draft.key}"
        dosing = draft.dosing
        if dosing is None:
            return  # refused in clean(): no prescribing data
        limit = f"At most {show(dosing.max_daily)} {dosing.daily_unit} for this use."
        if dosing.warning:
            limit = f"{limit} {dosing.warning}"
        if dosing.titration:
            self.fields[f"{prefix}-step"] = forms.TypedChoiceField(
                label=f"{name}: step of the schedule",
                choices=[(n, dosing.step_label(n)) for n in range(1, len(dosing.titration) + 1)],
                coerce=int,
                initial=draft.step,
                help_text=f"{limit} She moves to the next step only when a clinician "
                "confirms it (Step up at next refill).",
            )
        else:
            self.fields[f"{prefix}-strength"] = forms.TypedChoiceField(
                label=f"{name}: strength",
                choices=[(_choice(v), dosing.strength_label(v)) for v in dosing.strengths],
                coerce=Decimal,
                initial=_choice(draft.strength),
            )
            per = f"{dosing.amount_unit} per use" if dosing.topical else "dose"
            self.fields[f"{prefix}-count"] = forms.TypedChoiceField(
                label=f"{name}: {per}",
                choices=[(_choice(v), dosing.count_label(v)) for v in dosing.counts],
                coerce=Decimal,
                initial=_choice(draft.count),
                help_text=limit,
            )
            self.fields[f"{prefix}-frequency"] = forms.ChoiceField(
                label=f"{name}: how often",
                choices=[(f, FREQUENCIES[f][0]) for f in dosing.frequencies],
                initial=draft.frequency,
            )
        self.fields[f"{prefix}-extra"] = forms.CharField(
            label=f"{name}: additional directions (optional)",
            required=False,
            max_length=500,
            initial=draft.extra_directions,
            widget=forms.Textarea(attrs={"rows": 2}),
            help_text="Shown after the directions written from the dose.",
        )
        self.fields[f"{prefix}-refills"] = forms.IntegerField(
            label=f"{name}: refills",
            min_value=0,
            max_value=MAX_REFILLS,
            initial=draft.refills,
            help_text=f"At most {MAX_REFILLS}: a prescription lasts a year. The quantity is "
            "a 30-day supply of the dose.",
        )

    def _confirmed(self, draft):
        data, prefix = self.cleaned_data, f"rx-{draft.key}"
        if draft.dosing is None:
            return draft
        changes = {
            "refills": data.get(f"{prefix}-refills"),
            "extra_directions": data.get(f"{prefix}-extra", ""),
        }
        if draft.dosing.titration:
            changes["step"] = data.get(f"{prefix}-step")
        else:
            changes |= {
                part: data.get(f"{prefix}-{part}") for part in ("strength", "count", "frequency")
            }
        return replace(draft, **changes)

    def clean_prescriptions(self, refills_at_most=None, *, skip_lines=(), skip_keys=()):
        """Check each confirmed draft as the service does; errors go on its fields. The
        drafts of ``skip_lines`` (declined) and ``skip_keys`` (medicines declined of a pack)
        are left out."""
        self.confirmed = []
        for draft in self.drafts:
            if draft.line.pk in skip_lines or draft.key in skip_keys:
                continue
            confirmed = self._confirmed(draft)
            if confirmed.refills is None:
                continue  # its refills field already says what is wrong
            self.confirmed.append(confirmed)
            try:
                check_draft(confirmed, refills_at_most=(refills_at_most or {}).get(draft.key))
            except OrderError as error:
                part = "step" if draft.dosing and draft.dosing.titration else "count"
                field = f"rx-{draft.key}-{part}"
                self.add_error(field if field in self.fields else None, error.message)

    def prescriptions(self):
        """The drafts as the clinician confirmed them (call once the form is valid)."""
        return self.confirmed


def step_up_label(rx):
    if not rx.has_next_step():
        return f"{rx.medicine_name}: on the last step of its schedule"
    dosing = Dosing.of(rx.medicine)
    return (
        f"{rx.medicine_name}: from {dosing.step_label(rx.titration_step)} "
        f"to {dosing.step_label(rx.titration_step + 1)}"
    )


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
    declined_medicines = forms.MultipleChoiceField(
        label="Decline a medicine of a pack (optional)",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="She keeps the rest as the treatment we sell on its own, at its price: the "
        "difference for each month she paid is refunded and her subscription follows. Where "
        "none is sold (or it costs more than the pack), the whole pack is declined.",
    )
    confirm_whole_pack = forms.BooleanField(
        label="Where no treatment holds what she keeps, decline the whole pack (its share "
        "refunded)",
        required=False,
    )
    decline_reason = forms.CharField(
        label="Reason for the treatments or medicines you decline (sent to the patient)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    field_order = [
        "declined_lines",
        "declined_medicines",
        "confirm_whole_pack",
        "decline_reason",
        "note",
    ]

    def __init__(self, *args, order, **kwargs):
        super().__init__(*args, **kwargs)
        self.order = order
        lines = order.lines.select_related("plan__treatment").prefetch_related(
            "plan__treatment__medicines"
        )
        packs = [line for line in lines if is_pack(line)]
        if len(lines) < 2:  # one treatment: approve it, or decline the order
            del self.fields["declined_lines"]
        else:
            self.fields["declined_lines"].queryset = order.lines.all()
        if packs:
            catalog = sold_alone(order)
            self.fields["declined_medicines"].choices = [
                (
                    line.treatment_name,
                    [
                        (
                            f"{line.pk}-{medicine.pk}",
                            f"{medicine.name}: "
                            + pack_decline(line, {medicine.pk}, catalog=catalog).outcome(),
                        )
                        for medicine in line.plan.treatment.medicines.all()
                    ],
                )
                for line in packs
            ]
        else:
            del self.fields["declined_medicines"], self.fields["confirm_whole_pack"]
        if len(lines) < 2 and not packs:
            del self.fields["decline_reason"]
        self.add_prescription_fields(drafts_for(order))

    def chosen_medicines(self):
        """Pack line id -> ids of its medicines ticked (the choices' "<line>-<medicine>")."""
        chosen = {}
        for value in self.cleaned_data.get("declined_medicines") or ():
            line, medicine = map(int, value.split("-"))
            chosen.setdefault(line, set()).add(medicine)
        return chosen

    def clean(self):
        cleaned = super().clean()
        declined = {line.pk for line in cleaned.get("declined_lines") or ()}
        chosen = self.chosen_medicines()
        if (declined or chosen) and not cleaned.get("decline_reason", "").strip():
            self.add_error(
                "decline_reason", "Give the patient a reason for the treatments you decline."
            )
        packs = [p for p in pack_declines(self.order, chosen) if p.line.pk not in declined]
        whole = [pack for pack in packs if not pack.converts]
        if whole and not cleaned.get("confirm_whole_pack"):
            for pack in whole:
                self.add_error(
                    "declined_medicines",
                    f"{pack.outcome()} Tick \u201cdecline the whole pack\u201d to confirm, or "
                    "untick its medicine.",
                )
        whole_ids = {pack.line.pk for pack in whole}
        if whole_ids and declined | whole_ids == {line.pk for line in self.order.lines.all()}:
            self.add_error(
                None,
                "Every treatment would be declined (the pack whole): decline the order "
                "instead, which refunds everything and cancels her subscription.",
            )
        dropped = {f"{p.line.pk}-{m.pk}" for p in packs if p.converts for m in p.declined}
        self.clean_prescriptions(skip_lines=declined | whole_ids, skip_keys=dropped)
        return cleaned


class RenewForm(PrescriptionFields, forms.Form):
    """Renew each current prescription (prefilled from it, with a fresh year of refills)."""

    def __init__(self, *args, order, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_prescription_fields(renewal_drafts(order))

    def clean(self):
        cleaned = super().clean()
        self.clean_prescriptions()
        return cleaned


class ChangePrescriptionForm(PrescriptionFields, forms.Form):
    """Change current prescriptions between renewals: prefilled from each, keeping at most
    the refills it has left (more is a renewal)."""

    def __init__(self, *args, order, **kwargs):
        super().__init__(*args, **kwargs)
        self.refills_left = {}
        drafts = []
        for rx in current(order).select_related("line", "medicine"):
            draft = draft_from(rx, refills=rx.refills_left)
            self.refills_left[draft.key] = rx.refills_left
            drafts.append(draft)
        self.add_prescription_fields(drafts)
        for key, left in self.refills_left.items():
            field = self.fields.get(f"rx-{key}-refills")
            if field is not None:  # a medicine without prescribing data has none
                field.widget.attrs["max"] = left
                field.help_text = (
                    f"At most {left}: what is left of this prescription (more is a renewal)."
                )

    def clean(self):
        cleaned = super().clean()
        self.clean_prescriptions(self.refills_left)
        return cleaned


class StepUpForm(forms.Form):
    """Confirm that a titration moves to its next step at the next refill."""

    prescriptions = forms.ModelMultipleChoiceField(
        label="Step up at the next refill",
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        help_text="Until you confirm, she stays on her current step. The next box carries "
        "the next step's strength.",
    )

    def __init__(self, *args, order, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["prescriptions"]
        field.queryset = current(order).exclude(titration_step=None).select_related("medicine")
        field.label_from_instance = step_up_label


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
