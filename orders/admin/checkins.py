"""The check-in review, on the sign-off page: the clinician reads her check-in with her
clinical summary, ticks each flag it raised as considered, and may confirm the next step of
a titration (which waits for a reviewed check-in: ``Prescription.may_step_up``)."""

from django import forms
from django.contrib import messages

from clinic.services.checkins import review_checkin
from clinic.services.prescriptions import current
from orders.admin.common import render_answers, render_flags
from orders.admin.forms import step_up_label
from orders.admin.signoff import signoff_context


class CheckInReviewForm(forms.Form):
    note = forms.CharField(
        label="Your note (kept with the review, not sent to her)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    step_up = forms.ModelMultipleChoiceField(
        label="Step up at the next refill",
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Leave unticked to keep her on her current dose.",
    )

    def __init__(self, *args, order, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["step_up"]
        stepping = [rx.pk for rx in current(order).select_related("medicine") if rx.has_next_step()]
        field.queryset = current(order).filter(pk__in=stepping).select_related("medicine")
        field.label_from_instance = step_up_label
        if not stepping:
            del self.fields["step_up"]


def review(order, user, form):
    step_up = [rx.pk for rx in form.cleaned_data.get("step_up") or []]
    review_checkin(
        order,
        by=user,
        considered=form.considered(),
        note=form.cleaned_data["note"],
        step_up=step_up,
    )
    done = "the next step starts with her next refill" if step_up else "her dose is unchanged"
    return f"{order.reference}: check-in reviewed; {done}.", messages.SUCCESS


def checkin_context(request, order):
    """The sign-off page's context, with the check-in waiting for review."""
    context = signoff_context(request, order)
    checkin = order.checkins.awaiting_review().first()
    context["checkin"] = checkin
    context["checkin_html"] = render_flags(checkin) + render_answers(checkin)
    return context
