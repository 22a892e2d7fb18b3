"""The check-in form: how she is doing since her last box, asked on her order page.

It asks how she feels, the emergency signs that send her to 911 and the side-effect triage
questions of the renewal (``clinic.renewal``: ``EMERGENCY_SIGNS``, ``TRIAGE``) for the
treatments she takes, her weight when she takes a GLP-1, her blood pressure if she has it
measured, and pregnancy. It raises graded flags (``clinic.flags``) for the clinician's
check-in review, and says which of her treatments her answers concern.

Any change to this module is a clinical change: a clinician reviews it.
"""

from django import forms

from clinic.fields import radio_field, yes_no_field
from clinic.flags import Grade, make_flag
from clinic.renewal import emergency_field, emergency_flag, triage_for
from clinic.screening import join_names
from clinic.stops import Covers
from treatments.models import DrugClass

FEELING = [
    ("better", "Better"),
    ("same", "About the same"),
    ("worse", "Worse"),
]
SEVERE_LABEL = "Does a side effect stop you doing your usual daily activities?"
HIGH_BLOOD_PRESSURE = (140, 90)  # stage 2 hypertension (ACC/AHA 2017): worth a clinician's look


def takes_glp1(treatments):
    return bool(Covers(DrugClass.GLP1).treatments(treatments))


class CheckInForm(forms.Form):
    """Her check-in answers for ``treatments`` (the treatments she still takes)."""

    feeling = radio_field("How are you doing since you started?", FEELING)
    emergency_signs = emergency_field()
    side_effects = forms.CharField(
        label="Any side effects or health changes? Describe them, or write none",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    onset = forms.CharField(
        label="If you have a side effect: when did it start?", max_length=200, required=False
    )
    severe = yes_no_field(SEVERE_LABEL)
    weight = forms.IntegerField(
        label="Your weight today (pounds)", min_value=70, max_value=700, required=False
    )
    systolic = forms.IntegerField(
        label="Blood pressure, top number (systolic)",
        help_text="Only if you have measured it in the last month.",
        min_value=60,
        max_value=260,
        required=False,
    )
    diastolic = forms.IntegerField(
        label="Blood pressure, bottom number (diastolic)",
        min_value=30,
        max_value=160,
        required=False,
    )
    pregnant = yes_no_field("Are you pregnant, or could you be?")
    trying_to_conceive = yes_no_field("Are you trying to conceive?")

    def __init__(self, *args, treatments, **kwargs):
        super().__init__(*args, **kwargs)
        self.treatments = list(treatments)
        self.flags = []
        self.concerns = {}  # treatment name -> the triage flags about it
        self.triage = triage_for(self.treatments)
        for triage, _names in self.triage:
            self.fields[triage.key] = yes_no_field(triage.label)
        self.glp1 = takes_glp1(self.treatments)
        if self.glp1:
            self.fields["weight"].required = True
        else:
            del self.fields["weight"]
        self.order_fields(["feeling", "emergency_signs", *self._triage_keys(), "side_effects"])

    def _triage_keys(self):
        return [triage.key for triage, _names in self.triage]

    def clean(self):
        data = super().clean()
        if (data.get("systolic") is None) != (data.get("diastolic") is None):
            self.add_error("diastolic", "Give both numbers of your blood pressure, or neither.")
        if self.errors:
            return data
        if data["emergency_signs"]:
            self.flags.append(emergency_flag(data["emergency_signs"]))
        for triage, names in self.triage:
            if data[triage.key] == "yes":
                self.flags.append(
                    make_flag(triage.key, f"{triage.flag}: {join_names(names)}.", triage.grade)
                )
                for name in names:
                    self.concerns.setdefault(name, []).append(triage.flag)
        if data["severe"] == "yes":
            self.flags.append(
                make_flag(
                    "severe", "A side effect stops her usual daily activities.", Grade.CAUTION
                )
            )
        if data["feeling"] == "worse":
            self.flags.append(make_flag("feeling", "She feels worse than when she started."))
        if data.get("systolic") is not None and (
            data["systolic"] >= HIGH_BLOOD_PRESSURE[0]
            or data["diastolic"] >= HIGH_BLOOD_PRESSURE[1]
        ):
            self.flags.append(
                make_flag(
                    "blood_pressure", f"Blood pressure {data['systolic']}/{data['diastolic']}."
                )
            )
        if self.may_be_pregnant:
            self.flags.append(
                make_flag(
                    "pregnancy",
                    "Pregnant, could be, or trying to conceive.",
                    Grade.CONTRAINDICATION,
                )
            )
        return data

    @property
    def may_be_pregnant(self):
        data = self.cleaned_data
        return "yes" in (data.get("pregnant"), data.get("trying_to_conceive"))

    @property
    def emergency(self):
        return bool(self.cleaned_data["emergency_signs"])

    @property
    def reports_side_effect(self):
        """An emergency sign, a triage "yes", or a side effect that stops her daily life:
        what "report a problem" would hold her boxes for."""
        return self.emergency or bool(self.concerns) or self.cleaned_data["severe"] == "yes"

    def answers(self):
        """``{key: {"question", "answer"}}`` as the clinician reads them (every answer text)."""
        answers = {}
        for name, field in self.fields.items():
            value = self.cleaned_data.get(name)
            if value in (None, "", []):
                continue
            if isinstance(field, forms.ChoiceField) and not isinstance(value, list):
                value = dict(field.choices).get(value, value)
            elif isinstance(value, list):
                value = ", ".join(str(dict(field.choices).get(v, v)) for v in value)
            answers[name] = {"question": str(field.label), "answer": str(value)}
        return answers


def open_checkin(order, data=None):
    """(the check-in waiting for her answers, its form) on ``order``; (None, None) if none.
    The form asks about the treatments she still takes (lines as the page prefetched them)."""
    checkin = order.checkins.unanswered().first()
    if checkin is None or order.is_closed():
        return None, None
    lines = order.lines.filter(decision="approved").select_related("plan__treatment")
    treatments = [
        line.plan.treatment for line in lines.prefetch_related("plan__treatment__medicines")
    ]
    return checkin, CheckInForm(data, treatments=treatments, prefix="checkin")
