"""The pharmacist's side of the order page: verify a prescription or send it back, from a
page that shows what the clinician saw when she signed (``signoff_context``: flags, her
clinical summary, earlier orders) and the structured prescriptions; and the clinician's side
of a send-back (what the pharmacist wrote, and stopping the treatment).

The rows of ``orders.admin.actions`` for these (``verify``, ``send_back``,
``stop_sent_back``) call ``clinic.services.verification``.
"""

from django import forms
from django.contrib import messages

from clinic.services.prescriptions import flags_to_renew
from clinic.services.signoff import unique_flags
from clinic.services.verification import (
    confirmed_next_step,
    send_back,
    sent_back_prescriptions,
    stop_sent_back,
    to_verify,
    verify_prescriptions,
)
from orders.admin.common import can_read_answers
from orders.admin.reports import StopForm
from orders.admin.signoff import signoff_context

VERIFY_PAGE = "admin/orders/order/verify_form.html"


def can_verify(user):
    """Pharmacists (and superusers): verify prescriptions, reading the summary behind them."""
    return user.has_perm("orders.verify_prescription") and can_read_answers(user)


class VerifyForm(forms.Form):
    checked = forms.BooleanField(
        label="I checked each prescription against her clinical summary: the dose, the "
        "interactions with what she takes, her allergies and the flags.",
        error_messages={"required": "Tick that you checked each prescription to verify it."},
    )


class SendBackForm(forms.Form):
    reason = forms.CharField(
        label="Why you send it back (the clinician reads it; she changes or stops it)",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


def verification_context(request, order):
    """The sign-off page's context, logged as the verification page, with the prescriptions
    waiting and every flag the clinician considered (read only here)."""
    return {
        **signoff_context(request, order, where="verification page"),
        "prescriptions": [
            (rx, confirmed_next_step(rx)) for rx in to_verify(order).select_related("medicine")
        ],
        "flags": unique_flags(flags_to_renew(order)),
    }


def verify(order, user, form):
    count = verify_prescriptions(order, by=user)
    return (
        f"{order.reference}: {count} prescription(s) verified; its boxes may ship.",
        messages.SUCCESS,
    )


def send_back_action(order, user, form):
    send_back(order, by=user, reason=form.cleaned_data["reason"])
    return (
        f"{order.reference}: sent back to the clinician; nothing of it ships until she "
        "changes or stops it.",
        messages.SUCCESS,
    )


def stop_form(data, order):
    form = StopForm(data, order=order)
    lines = {rx.line_id for rx in sent_back_prescriptions(order)}
    form.fields["lines"].queryset = form.fields["lines"].queryset.filter(pk__in=lines)
    return form


def stop_action(order, user, form):
    lines = list(form.cleaned_data["lines"])
    stop_sent_back(order, lines=lines, reason=form.cleaned_data["reason"], by=user)
    return (
        f"{order.reference}: {', '.join(line.treatment_name for line in lines)} stopped; "
        "unshipped boxes refunded and the patient emailed.",
        messages.SUCCESS,
    )
