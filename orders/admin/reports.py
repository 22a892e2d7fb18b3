"""The clinician's answer to a problem she reported (``clinic.services.reports``): stop the
treatments concerned. Releasing the hold instead (Holds) lets boxes and billing run again."""

from django import forms
from django.contrib import messages

from clinic.services.reports import stop_treatment
from orders.admin.forms import LineChoiceField
from orders.models import OrderLine


class StopForm(forms.Form):
    lines = LineChoiceField(
        label="Treatments to stop",
        queryset=OrderLine.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    reason = forms.CharField(
        label="Reason (sent to the patient)",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="She is emailed to stop taking them; boxes of them not shipped are refunded.",
    )

    def __init__(self, *args, order, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lines"].queryset = order.lines.filter(decision=OrderLine.Decision.APPROVED)


def has_report(order):
    """A problem she reported holds the order (``Hold.URGENT``)."""
    return order.holds.urgent().exists()


def stop(order, user, form):
    lines = list(form.cleaned_data["lines"])
    stop_treatment(order, lines=lines, reason=form.cleaned_data["reason"], by=user)
    return (
        f"{order.reference}: {', '.join(line.treatment_name for line in lines)} stopped; "
        "unshipped boxes refunded, her report closed and the patient emailed.",
        messages.SUCCESS,
    )
