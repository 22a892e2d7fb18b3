"""The sign-off page: where a clinician approves or renews, she reads the ranked flags first
(ticking each as considered, with her reason where she signs against a contraindication),
then her clinical summary and her earlier orders with their flags, then the prescriptions.

``signoff_form`` adds the flags' fields to an action's form (``orders.admin.actions``);
``signoff_context`` is what the page shows; ``clinic.services.signoff`` checks the ticks
again in the verb and stores them (``FlagReview``), shown on the order page by
``render_flag_reviews``.
"""

from django import forms
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from clinic.flags import grade_of
from clinic.services.signoff import flag_id, needs_reason, unique_flags
from clinic.services.verification import sent_back_prescriptions
from orders.admin.common import age_in_years, log_answers_viewed, render_flags, render_renewal
from orders.admin.labs import labs_context
from orders.models import FlagReview, Order

# The clinical summary: a label and the answer keys that fill it, first found first (the
# questionnaire's keys, then those of orders placed before issue 11). A row whose keys she
# was never asked reads "Not asked".
SUMMARY_ROWS = (
    ("Sex at birth", ("sex_at_birth",)),
    ("Pregnant", ("pregnant", "pregnancy")),
    ("Breastfeeding", ("breastfeeding",)),
    ("Trying to conceive", ("trying_to_conceive",)),
    ("Contraception", ("contraception",)),
    ("Last period", ("last_period",)),
    ("BMI", ("bmi",)),
    ("Height and weight", ("height_weight",)),
    ("Blood pressure", ("blood_pressure", "blood_pressure_date", "bp_date")),
    ("Kidney", ("kidney", "egfr", "egfr_date", "kidney_date", "kidney_liver")),
    ("Liver", ("liver",)),
    ("Medicines she takes (dose)", ("current_medicines", "medicines")),
    ("Allergies (reaction)", ("medicine_allergies", "allergies")),
)
NOT_ASKED = "Not asked"


class SignOffFields:
    """A "considered" tick per flag and, for each, a reason: required where the flag is a
    contraindication. ``considered()`` is what the verb is told (flag id -> reason)."""

    def add_flag_fields(self, flags):
        self.flags = flags
        for flag in flags:
            key = flag_id(flag)
            self.fields[f"flag-{key}"] = forms.BooleanField(label="Considered", required=False)
            self.fields[f"flag-{key}-reason"] = forms.CharField(
                label=(
                    "Why you sign despite this contraindication (required, kept with your decision)"
                    if needs_reason(flag)
                    else "Note (optional)"
                ),
                required=False,
                max_length=2000,
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def clean(self):
        cleaned = super().clean()
        for flag in self.flags:
            key = flag_id(flag)
            if not cleaned.get(f"flag-{key}"):
                self.add_error(
                    f"flag-{key}",
                    "Tick \u201cConsidered\u201d once you have weighed this flag (or ask the "
                    "patient, or decline).",
                )
            elif needs_reason(flag) and not cleaned.get(f"flag-{key}-reason", "").strip():
                self.add_error(
                    f"flag-{key}-reason",
                    "Write why you sign despite this contraindication: it is kept with your "
                    "decision.",
                )
        return cleaned

    def flag_rows(self):
        """(flag, its grade, its tick, its reason) for the template, most serious first."""
        return [
            (
                flag,
                grade_of(flag),
                self[f"flag-{flag_id(flag)}"],
                self[f"flag-{flag_id(flag)}-reason"],
            )
            for flag in self.flags
        ]

    def other_fields(self):
        return [field for field in self.visible_fields() if not field.name.startswith("flag-")]

    def considered(self):
        """Flag id -> reason for each ticked flag (call once the form is valid)."""
        return {
            flag_id(flag): self.cleaned_data[f"flag-{flag_id(flag)}-reason"]
            for flag in self.flags
            if self.cleaned_data.get(f"flag-{flag_id(flag)}")
        }


def signoff_form(form_class, flags_of):
    """An action's ``form`` callable: ``form_class`` (built with ``order=``) with the flags of
    ``flags_of(order)`` to tick."""
    signed = type(f"SignOff{form_class.__name__}", (SignOffFields, form_class), {})

    def build(data, order):
        form = signed(data, order=order)
        form.add_flag_fields(unique_flags(flags_of(order)))
        return form

    return build


def _answer(answers, keys):
    found = [answers[key].get("answer") for key in keys if key in answers]
    return "; ".join(str(value) for value in found if value) or NOT_ASKED


def clinical_summary(order):
    """(label, value) rows: her age, then ``SUMMARY_ROWS`` from her answers."""
    questionnaire = getattr(order, "questionnaire", None)
    answers = getattr(questionnaire, "answers", None) or {}
    age = age_in_years(order.date_of_birth)
    return [
        ("Age", f"{age} (born {order.date_of_birth:%b %d, %Y})" if age is not None else NOT_ASKED),
        *((label, _answer(answers, keys)) for label, keys in SUMMARY_ROWS),
    ]


def earlier_orders(order):
    """Her other orders (same account or same email), newest first, with their answers."""
    same = Q(email__iexact=order.email)
    if order.patient_id:
        same |= Q(patient_id=order.patient_id)
    return list(
        Order.objects.filter(same, created_at__lt=order.created_at)
        .exclude(pk=order.pk)
        .select_related("questionnaire", "reviewed_by")
        .prefetch_related("lines")
        .order_by("-created_at")
    )


def signoff_context(request, order, *, where="sign-off page"):
    """What the sign-off page shows beside the form (and the pharmacist's verification page,
    ``where`` says which); logs that her answers were shown."""
    earlier = earlier_orders(order)
    if request.method == "GET":
        log_answers_viewed(request, [order, *earlier], where)
    renewal = order.renewals.first()
    summary = clinical_summary(order)
    facts = dict(summary)
    return {
        "summary": summary,
        # The header line: who she is, before anything else.
        "facts": [
            f"age {facts['Age']}",
            f"sex at birth: {facts['Sex at birth']}",
            f"contraception: {facts['Contraception']}",
        ],
        "earlier": [
            (
                other,
                ", ".join(line.treatment_name for line in other.lines.all()),
                render_flags(getattr(other, "questionnaire", None)),
            )
            for other in earlier
        ],
        "renewal": renewal,
        "renewal_html": render_renewal(renewal) if renewal else "",
        # What a pharmacist sent back, and why: the clinician changes or stops it.
        "sent_back": sent_back_prescriptions(order),
        "order_url": reverse("admin:orders_order_change", args=[order.pk]),
        "is_nav_sidebar_enabled": False,  # the page fits 1280 px without the app list
        **labs_context(order),
    }


def render_flag_reviews(order):
    """The order page's record of each sign-off: who considered which flag, when, and why."""
    reviews = FlagReview.objects.filter(order=order).select_related("user")
    rows = format_html_join(
        "",
        "<li>{} \u00b7 {} by {}: <strong>{}</strong> {}{}</li>",
        (
            (
                timezone.localtime(review.at).strftime("%b %d, %Y %H:%M"),
                review.action,
                review.user.get_full_name() or review.user.get_username(),
                grade_of({"grade": review.grade}).label,
                review.message,
                format_html(" \u2014 reason: {}", review.reason) if review.reason else "",
            )
            for review in reviews
        ),
    )
    if not rows:
        return "No sign-off recorded."
    return format_html('<ul class="clinic-signoffs">{}</ul>', rows)
