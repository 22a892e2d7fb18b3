"""The renewal questionnaire: a real re-review, asked with the first order's questions.

``RenewalForm`` is the first-order ``QuestionnaireForm`` (``clinic.questionnaire``) for the
treatments she still takes, without what does not change (who she is, where she lives, what
she wants treated). So it asks the same per-class ``QUESTION_SETS`` (``clinic.questions``),
her medicines (the same rows, checked against the same interaction table), pregnancy,
breastfeeding and trying to conceive, contraception, weight, blood pressure, kidney and liver,
and raises the same stops and graded flags through the same checks: a rule added to the first
order is asked at renewal too.

Two differences:

- a stop does not refuse the form: the treatment it rules out is not renewable, and she is
  told at once to stop taking it and whom to contact (``clinic.services.stopping``);
- it adds **side effects** with triage questions (``TRIAGE``) for the drug classes she takes,
  and the emergency signs (``EMERGENCY_SIGNS``) that send her to 911.

Any change to this module is a clinical change: a clinician reviews it.
"""

from dataclasses import dataclass

from django import forms

from clinic.fields import yes_no_field
from clinic.flags import Grade, make_flag
from clinic.questionnaire import QuestionnaireForm
from clinic.questions import ORAL, TOPICAL, Covers
from clinic.screening import join_names
from treatments.models import DrugClass

# --- emergency signs and side-effect triage (shared with "Report a problem") ---------------

EMERGENCY_SIGNS = [
    ("chest_pain", "Chest pain or pressure"),
    ("breathing", "Trouble breathing"),
    ("swelling_face", "Swelling of the face, lips, tongue or throat"),
    ("fainting", "Fainting or nearly fainting"),
    ("abdominal_pain", "Severe stomach (abdominal) pain"),
]
EMERGENCY = (
    "Call 911 now, or go to the nearest emergency room. Do not wait for our care team: "
    "these signs need help at once. Stop taking your Oana medicines until a doctor has seen you."
)


@dataclass(frozen=True)
class Triage:
    """A side-effect question, asked when she takes a medicine it ``covers``; a "yes" raises
    ``flag`` (graded ``grade``) naming the medicines it concerns."""

    key: str
    label: str
    flag: str
    covers: tuple
    grade: Grade = Grade.CONTRAINDICATION


TRIAGE = (
    Triage(
        "triage_orthostatic",
        "Do you feel dizzy or light-headed when you stand up, or does your heart pound or race?",
        "Dizzy on standing or heart pounding (low blood pressure or a fast heart rate)",
        (Covers(DrugClass.VASODILATOR, (ORAL,)), Covers(DrugClass.ANTIANDROGEN, (ORAL,))),
    ),
    Triage(
        "triage_fluid",
        "Have your ankles, legs or face swollen, or have you gained more than 5 pounds in a week?",
        "Swelling or sudden weight gain (salt and water retention, pericardial effusion)",
        (Covers(DrugClass.VASODILATOR, (ORAL,)),),
    ),
    Triage(
        "triage_potassium",
        "Have you had muscle weakness, tingling, or an irregular heartbeat?",
        "Muscle weakness, tingling or irregular heartbeat (high potassium)",
        (Covers(DrugClass.ANTIANDROGEN, (ORAL,)),),
    ),
    Triage(
        "triage_stomach",
        "Have you had stomach pain that does not go away, or vomiting or diarrhea so bad you "
        "cannot keep fluids down?",
        "Persistent stomach pain or vomiting (pancreatitis, dehydration, lactic acidosis)",
        (Covers(DrugClass.GLP1), Covers(DrugClass.BIGUANIDE, (ORAL,))),
    ),
    Triage(
        "triage_mood",
        "Have you had new or worse low mood, or thoughts of harming yourself?",
        "New or worse low mood or thoughts of self-harm",
        (Covers(DrugClass.GLP1),),
    ),
    Triage(
        "triage_skin",
        "Has the skin where you apply it become red, blistered, very itchy or broken?",
        "Skin reaction where a topical is applied",
        (Covers(None, (TOPICAL,)),),
        Grade.CAUTION,
    ),
)


def triage_for(treatments):
    """(triage, names of the treatments it concerns) for ``treatments``, in ``TRIAGE`` order."""
    asked = []
    for triage in TRIAGE:
        covered = {t.name: t for covers in triage.covers for t in covers.treatments(treatments)}
        if covered:
            asked.append((triage, list(covered)))
    return asked


def emergency_field():
    return forms.MultipleChoiceField(
        label="Do you have any of these now?",
        help_text="Tick any that apply; leave all unticked if none.",
        choices=EMERGENCY_SIGNS,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )


def emergency_flag(signs):
    shown = ", ".join(label.lower() for sign, label in EMERGENCY_SIGNS if sign in signs)
    return make_flag(
        "emergency", f"Emergency signs reported: {shown}. Told to call 911.", Grade.CONTRAINDICATION
    )


# --- the renewal form ----------------------------------------------------------------------

RENEWAL_STOP_INSTEAD = (
    "Stop taking {treatment} now: it will not be renewed and nothing more of it ships. "
    "Talk to your own doctor (or your obstetrician) about what to take instead, or write to "
    "our clinicians from this page."
)


ASKED_ONCE = ("About you", "What you want treated")


class RenewalForm(QuestionnaireForm):
    """The first-order questionnaire for the treatments of a renewal (see the module)."""

    # Asked once, at the first order: who she is, where she lives, what she wants treated.
    email = full_name = date_of_birth = state = sex_at_birth = goals = None

    required_messages = {
        **QuestionnaireForm.required_messages,
        "side_effects": "Write any side effects or health changes, or write “none”.",
    }

    side_effects = forms.CharField(
        label="Side effects or health changes since you started, or none",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    emergency_signs = emergency_field()

    # The first order's sections, less what is asked only once (who she is, her goals): one
    # list, so a question added to the first order is asked at renewal too.
    COMMON_SECTIONS = tuple(
        ("Your health now" if title == "Your health" else title, names)
        for title, names in QuestionnaireForm.COMMON_SECTIONS
        if title not in ASKED_ONCE
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.triage = triage_for(self.treatments)
        for triage, _names in self.triage:
            self.fields[triage.key] = yes_no_field(triage.label)
        self.word_required_errors()  # the triage questions too

    @property
    def sections(self):
        side_effects = [self["emergency_signs"], self["side_effects"]]
        side_effects += [self[triage.key] for triage, _names in self.triage]
        return [("Side effects since you started", "", side_effects), *super().sections]

    def clean(self):
        data = super().clean()
        if data.get("emergency_signs"):
            self.flags.insert(0, emergency_flag(data["emergency_signs"]))
        for triage, names in self.triage:
            if data.get(triage.key) == "yes":
                self._flag(triage.key, f"{triage.flag}: {join_names(names)}.", triage.grade)
        return data

    @property
    def emergency(self):
        return bool(self.is_bound and self.is_valid() and self.cleaned_data["emergency_signs"])

    def _stop(self, keys, treatment, stop):
        """At renewal a stop rules out that treatment (not renewable), not the whole form."""
        keys = [keys] if isinstance(keys, str) else keys
        for key in keys:
            self._stop_answer(key)
        self.stops.append(
            {
                "treatment": treatment.name,
                "treatment_ids": [treatment.pk],
                "why": stop.why.format(treatment=treatment.name),
                "instead": RENEWAL_STOP_INSTEAD.format(treatment=treatment.name),
            }
        )

    def answers(self):
        """The first order's answers, and what she wrote about side effects."""
        text = self.fields.pop("side_effects")
        try:
            answers = super().answers()
        finally:
            self.fields["side_effects"] = text
        answers["side_effects"] = {
            "question": str(text.label),
            "answer": self.cleaned_data["side_effects"],
        }
        return answers
