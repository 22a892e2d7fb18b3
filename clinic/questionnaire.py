"""The medical questionnaire, written to be read (and changed) by a clinician.

A patient answers it once per order, for the treatments in her cart:

1. **eligibility**: where she lives (a state where one of our clinicians is licensed), her
   age (18+), sex assigned at birth, pregnancy, breastfeeding and trying to conceive (three
   separate answers), contraception, and what she wants treated;
2. **common** questions: height and weight (BMI), blood pressure if she knows it, the
   medicines she takes (name and dose), allergies to medicines (name and reaction), her
   latest eGFR band and when it was measured, liver disease with its severity;
3. the **QUESTION_SETS** (``clinic/questions.py``) of the drug classes (and routes) of the medicines in her cart. The
   questions are chosen from ``Medicine.drug_classes`` and ``Medicine.route``
   (``treatments/models.py``), which clinicians own in the admin, never from words in names
   that a catalog manager can edit.

The clinical checks of these answers are ``clinic.screening`` (rules as data in
``clinic.stops``); a stop is also recorded with the person (``clinic.stop_records``), so a
later questionnaire in any browser shows it to the clinician.

Two kinds of consequences:

- a **stop** rules a treatment out: checkout cannot go on until the patient removes it (or
  changes an answer: then the order carries a red flag "answer changed after a stop", first
  in the clinician's list); the patient is told which treatment, why, and what to do instead;
- a **flag** is an answer of concern: checkout goes on and the clinician sees it first.

The typed medicines are also checked against the interaction table (``clinic/interactions.py``)
for every drug class ordered, whatever she answered, and the same medicine in two items of one
cart is a stop. Keys are stored with each order's answers, so keep existing keys unchanged.
Any change to this module is a clinical change: a clinician reviews it.
"""

import re
from datetime import date

from django import forms
from django.db.models import prefetch_related_objects

from clinic.clinicians import served_states
from clinic.fields import (
    CONTRACEPTION_CHOICES,
    GOAL_CHOICES,
    KIDNEY_CHOICES,
    KIDNEY_MEASURED_CHOICES,
    LIVER_CHOICES,
    SEX_CHOICES,
    number_field,
    question_field,
    radio_field,
    yes_no_field,
)
from clinic.flags import Grade, make_flag
from clinic.interactions import medicine_flags
from clinic.questions import ALLERGY_ROWS, MEDICINE_ROWS, MINIMUM_AGE, question_sets_for
from clinic.screening import ScreeningMixin
from clinic.stop_records import earlier_stop_flags
from clinic.stops import (
    RISK_ACKNOWLEDGEMENT,
    RISK_ACKNOWLEDGEMENT_HINT,
    STATE_STOP,
    UNDER_AGE_STOP,
)
from clinic.vocabulary import MedicineNameInput
from core.forms import SpecificErrorsMixin
from core.us_states import STATE_NAMES, StateField

# --- The form ---------------------------------------------------------------------------------


def _text(label, max_length=100, required=False):
    return forms.CharField(label=label, max_length=max_length, required=required)


def _age(born, today):
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def bmi(height_inches, weight_lb):
    """Body-mass index from inches and pounds, to one decimal."""
    return round(703 * weight_lb / height_inches**2, 1)


# Words of a medicine's name too common to mean an allergy to it.
_GENERIC_WORDS = {"oral", "tablet", "cream", "lotion", "solution", "scalp", "dose", "low", "gel"}


class QuestionnaireForm(SpecificErrorsMixin, ScreeningMixin, forms.Form):
    required_messages = {
        "email": "Enter your email address, e.g. name@example.com.",
        "full_name": "Enter your legal name, as on your ID.",
        "date_of_birth": "Enter your date of birth, e.g. 05/17/1992.",
        "state": "Choose the state you live in.",
        "sex_at_birth": "Choose your sex assigned at birth.",
        "goals": "Choose at least one thing you would like treated.",
        "height_feet": "Enter your height in feet, e.g. 5.",
        "height_inches": "Enter the inches of your height, 0 to 11 (0 if none).",
        "weight_lb": "Enter your weight in pounds, e.g. 150.",
    }

    email = forms.EmailField(
        label="Email",
        help_text="We send your order updates here.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    full_name = forms.CharField(
        label="Legal name",
        max_length=200,
        help_text="As on your ID: it goes on your prescription.",
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    date_of_birth = forms.DateField(
        label="Date of birth",
        help_text="You need to be 18 or older.",
        error_messages={"invalid": "Enter a real date of birth, e.g. 05/17/1992."},
        widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}, format="%Y-%m-%d"),
    )
    state = StateField(
        label="Which state do you live in?",
        help_text="Your clinician must be licensed there, and your medicines ship there.",
    )
    sex_at_birth = radio_field("Sex assigned at birth", SEX_CHOICES)
    pregnant = yes_no_field("Are you pregnant?")
    breastfeeding = yes_no_field("Are you breastfeeding?")
    trying_to_conceive = yes_no_field("Are you trying to conceive?")
    contraception = radio_field("Which contraception do you use?", CONTRACEPTION_CHOICES)
    goals = forms.MultipleChoiceField(
        label="What would you like treated?",
        help_text="Choose all that apply.",
        choices=GOAL_CHOICES,
        widget=forms.CheckboxSelectMultiple,
    )
    height_feet = number_field("Height: feet", 3, 7)
    height_inches = number_field("Height: inches", 0, 11)
    weight_lb = number_field("Weight in pounds", 60, 700)
    bp_systolic = number_field(
        "Blood pressure, top number (systolic)",
        60,
        250,
        hint="If you know it from the last 6 months; leave both blank if not.",
        required=False,
    )
    bp_diastolic = number_field(
        "Blood pressure, bottom number (diastolic)", 30, 150, required=False
    )
    kidney = radio_field(
        "Your latest kidney function result (eGFR)",
        KIDNEY_CHOICES,
        hint="eGFR is worked out from a creatinine blood test and is on most blood test "
        "reports, in mL/min/1.73m². If you are not sure, choose \u201cI don't know\u201d.",
    )
    kidney_measured = forms.ChoiceField(
        label="When was it measured?",
        help_text="Not needed if you don't know your result.",
        choices=KIDNEY_MEASURED_CHOICES,
        required=False,
        widget=forms.RadioSelect,
    )
    liver = radio_field("Do you have liver disease?", LIVER_CHOICES)
    no_medicines = forms.BooleanField(
        label="I take no medicines, vitamins or supplements", required=False
    )
    no_allergies = forms.BooleanField(label="I have no allergies to medicines", required=False)

    COMMON_SECTIONS = (
        ("About you", ("email", "full_name", "date_of_birth", "state", "sex_at_birth")),
        (
            "Pregnancy and contraception",
            (
                "pregnant",
                "breastfeeding",
                "trying_to_conceive",
                "contraception",
                "pregnancy_risk_acknowledged",
            ),
        ),
        ("What you want treated", ("goals",)),
        (
            "Your health",
            (
                "height_feet",
                "height_inches",
                "weight_lb",
                "bp_systolic",
                "bp_diastolic",
                "kidney",
                "kidney_measured",
                "liver",
            ),
        ),
        (
            "Medicines you take",
            ("no_medicines",)
            + tuple(
                f"medicine_{i}_{part}"
                for i in range(1, MEDICINE_ROWS + 1)
                for part in ("name", "dose")
            ),
        ),
        (
            "Allergies to medicines",
            ("no_allergies",)
            + tuple(
                f"allergy_{i}_{part}"
                for i in range(1, ALLERGY_ROWS + 1)
                for part in ("name", "reaction")
            ),
        ),
    )

    # The questionnaire in five short steps, each a title and the COMMON_SECTIONS it shows; the
    # drug-class questions (QUESTION_SETS) join the last. Only a presentation: every step is
    # checked by this whole form, so the rules stay in one place (``orders/checkout_steps.py``).
    STEPS = (
        ("About you", ("About you",)),
        ("Pregnancy and contraception", ("Pregnancy and contraception",)),
        ("Your health", ("Your health",)),
        ("Medicines and allergies", ("Medicines you take", "Allergies to medicines")),
        ("Your treatment", ("What you want treated",)),
    )

    def __init__(self, *args, treatments=(), today=None, stopped=None, patient=None, **kwargs):
        super().__init__(*args, **kwargs)
        for i in range(1, MEDICINE_ROWS + 1):
            self.fields[f"medicine_{i}_name"] = _text(f"Medicine {i}: name")
            self.fields[f"medicine_{i}_name"].widget = MedicineNameInput(with_list=i == 1)
            self.fields[f"medicine_{i}_dose"] = _text(f"Medicine {i}: dose and how often")
        for i in range(1, ALLERGY_ROWS + 1):
            self.fields[f"allergy_{i}_name"] = _text(f"Allergy {i}: medicine")
            self.fields[f"allergy_{i}_reaction"] = _text(f"Allergy {i}: what happened")
        self.treatments = list(treatments)
        prefetch_related_objects(self.treatments, "medicines")
        self.today = today or date.today()
        self.served = served_states()
        self.stopped = dict(stopped or {})  # answers that stopped checkout earlier: key -> raw
        self.patient = patient  # signed in: her earlier stops are found by her account too
        self.question_sets = question_sets_for(self.treatments)
        for question_set, _covered in self.question_sets:
            for question in question_set.questions:
                self.fields[question.key] = question_field(question)
        if self.unsafe_in_pregnancy():
            self.fields["pregnancy_risk_acknowledged"] = forms.BooleanField(
                label=RISK_ACKNOWLEDGEMENT, help_text=RISK_ACKNOWLEDGEMENT_HINT, required=False
            )
        self.word_required_errors()  # the questions added above too
        self.stops = []  # [{"treatment", "treatment_ids", "why", "instead", "keys"}]
        self.flags = []  # [{"key", "message", "grade"}]
        self.stop_answers = {}  # key -> the raw answer that stopped checkout
        self._stop_errors = []  # (Stop, its entry in ``stops``, its field error)
        self.typed_date_of_birth = None  # kept even when it stops checkout (under 18)

    @property
    def sections(self):
        """(title, note, bound fields) for the template, in the order they are asked."""
        sections = [
            (title, "", [self[name] for name in names if name in self.fields])
            for title, names in self.COMMON_SECTIONS
        ]
        for question_set, covered in self.question_sets:
            note = "For " + ", ".join(t.name for t in covered)
            sections.append(
                (question_set.title, note, [self[q.key] for q in question_set.questions])
            )
        return sections

    @property
    def steps(self):
        """[(title, sections)]: ``sections`` grouped as ``STEPS`` says, the rest in the last."""
        steps = [(title, []) for title, _titles in self.STEPS]
        for section in self.sections:
            number = next(
                (i for i, (_, titles) in enumerate(self.STEPS) if section[0] in titles),
                len(self.STEPS) - 1,
            )
            steps[number][1].append(section)
        return steps

    @property
    def drug_classes(self):
        return {c for t in self.treatments for m in t.medicines.all() for c in m.drug_classes}

    # --- cleaning -------------------------------------------------------------------------

    def clean_date_of_birth(self):
        born = self.cleaned_data["date_of_birth"]
        self.typed_date_of_birth = born
        if born > self.today:
            raise forms.ValidationError("Please check your date of birth: it is in the future.")
        if born.year < 1900:
            raise forms.ValidationError("Please check the year of your date of birth.")
        if _age(born, self.today) < MINIMUM_AGE:
            self._stop_answer("date_of_birth")
            self.stops.append(
                {
                    "treatment": "",
                    "treatment_ids": [],
                    "why": UNDER_AGE_STOP,
                    "instead": "",
                    "keys": ["date_of_birth"],
                }
            )
            raise forms.ValidationError(UNDER_AGE_STOP)
        return born

    def clean_state(self):
        state = self.cleaned_data["state"]
        if state not in self.served:
            why = STATE_STOP.format(state=STATE_NAMES[state])
            self._stop_answer("state")
            self.stops.append(
                {"treatment": "", "treatment_ids": [], "why": why, "instead": "", "keys": ["state"]}
            )
            raise forms.ValidationError(why)
        return state

    def clean(self):
        data = super().clean()
        self._changed_after_stop(data)
        self._check_lists(data)
        self._check_body(data)
        self._check_duplicates()
        self._check_pregnancy(data)
        self._check_kidney_liver(data)
        self._check_allergies(data)
        self._check_interactions(data)
        self._check_class_questions(data)
        self._check_glp1(data)
        self._earlier_stops(data)
        self._word_stops_for_her_cart()
        return data

    def _check_lists(self, data):
        """Medicines and allergies: a list, or "none" ticked, never both or neither."""
        for none_key, prefix, rows, second, what in (
            ("no_medicines", "medicine", MEDICINE_ROWS, "dose", "medicines"),
            ("no_allergies", "allergy", ALLERGY_ROWS, "reaction", "allergies to medicines"),
        ):
            named = False
            for i in range(1, rows + 1):
                name = (data.get(f"{prefix}_{i}_name") or "").strip()
                if (data.get(f"{prefix}_{i}_{second}") or "").strip() and not name:
                    self.add_error(f"{prefix}_{i}_name", "Please name it.")
                named = named or bool(name)
            if named and data.get(none_key):
                self.add_error(none_key, f"You listed {what}: untick this, or clear the list.")
            elif not named and not data.get(none_key):
                self.add_error(none_key, f"List your {what}, or tick this if you have none.")

    def _check_body(self, data):
        systolic, diastolic = data.get("bp_systolic"), data.get("bp_diastolic")
        if (systolic is None) != (diastolic is None):
            if not (self.has_error("bp_systolic") or self.has_error("bp_diastolic")):
                self.add_error("bp_diastolic", "Please give both numbers, or leave both blank.")
        elif systolic is not None and diastolic is not None:
            if systolic <= diastolic:
                self.add_error("bp_diastolic", "The bottom number is lower than the top number.")
            elif not self._check_low_blood_pressure(systolic, diastolic) and (
                systolic >= 140 or diastolic >= 90
            ):
                self._flag("blood_pressure", f"High blood pressure: {systolic}/{diastolic}.")
        index = self.bmi(data)
        if index is not None and index < 18.5:
            self._flag("bmi", f"Underweight: BMI {index}.")
        if data.get("sex_at_birth") not in (None, "female"):
            self._flag(
                "sex_at_birth",
                f"Sex assigned at birth: {dict(SEX_CHOICES)[data['sex_at_birth']]}.",
            )

    def bmi(self, data=None):
        data = self.cleaned_data if data is None else data
        feet, inches, weight = (data.get(k) for k in ("height_feet", "height_inches", "weight_lb"))
        if feet is None or inches is None or weight is None:
            return None
        return bmi(feet * 12 + inches, weight)

    def _rows(self, data, prefix, rows, second):
        return [
            (name, (data.get(f"{prefix}_{i}_{second}") or "").strip())
            for i in range(1, rows + 1)
            if (name := (data.get(f"{prefix}_{i}_name") or "").strip())
        ]

    def _check_allergies(self, data):
        """Flagged only when the allergy names a medicine (or a word of one) in the cart."""
        words = {
            word
            for t in self.treatments
            for m in t.medicines.all()
            for word in re.findall(r"[a-z]{4,}", m.name.lower())
            if word not in _GENERIC_WORDS
        }
        for name, reaction in self._rows(data, "allergy", ALLERGY_ROWS, "reaction"):
            if any(word in name.lower() for word in words):
                shown = f"{name} ({reaction})" if reaction else name
                self._flag("allergies", f"Allergy to a medicine ordered: {shown}.")

    def _check_interactions(self, data):
        """What she takes, as ingredients and classes, against the rules of the classes
        ordered; what the vocabulary does not know is flagged (``clinic/interactions.py``)."""
        flags, self.rules_version = medicine_flags(
            self._rows(data, "medicine", MEDICINE_ROWS, "dose"),
            self.drug_classes,
            drospirenone_pill=data.get("contraception") == "drospirenone",
        )
        self.flags.extend(flags)

    def _changed_after_stop(self, data):
        """An answer that stopped checkout earlier, now changed: the first red flag."""
        for key, before in self.stopped.items():
            if key not in self.fields:
                continue
            now = self.raw_answer(key)
            if now != before:
                self.flags.insert(
                    0,
                    make_flag(
                        "changed_after_stop",
                        f"Answer changed after a stop: “{self.fields[key].label}” was "
                        f"{self.shown_answer(key, before)}, now {self.shown_answer(key, now)}.",
                        Grade.CONTRAINDICATION,
                    ),
                )

    def raw_answer(self, key):
        return self.data.get(key, "")

    def shown_answer(self, key, raw):
        choices = dict(getattr(self.fields[key], "choices", ()))
        return str(choices.get(raw, raw)) or "(no answer)"

    def _stop_answer(self, key):
        self.stop_answers[key] = self.raw_answer(key)

    def _stop(self, keys, treatment, stop, **facts):
        keys = [keys] if isinstance(keys, str) else list(keys)
        for key in keys:
            self._stop_answer(key)
        why = stop.why.format(treatment=treatment.name, **facts)
        entry = {
            "treatment": treatment.name,
            "treatment_ids": [treatment.pk],
            "why": why,
            "instead": stop.instead,
            "keys": keys,
        }
        self.stops.append(entry)
        error = forms.ValidationError(f"{why} {stop.instead}")
        self._stop_errors.append((stop, entry, error))
        self.add_error(keys[0], error)

    def _word_stops_for_her_cart(self):
        """Never "continue with your other treatments" to someone who has none left: when
        every treatment of her cart is stopped, a stop says its ``alone`` words instead."""
        stopped = {pk for entry in self.stops for pk in entry["treatment_ids"]}
        if any(t.pk not in stopped for t in self.treatments):
            return
        for stop, entry, error in self._stop_errors:
            if stop.alone:
                entry["instead"] = stop.alone
                error.message = f"{entry['why']} {stop.alone}"

    def _earlier_stops(self, data):
        """Stops recorded for her in other sessions or browsers (``clinic.stop_records``)."""
        for flag in earlier_stop_flags(self, data):
            self.flags.insert(0, flag)

    def identity(self):
        """(email, date of birth) as she typed them, once both are valid; else None."""
        email = (getattr(self, "cleaned_data", {}) or {}).get("email")
        if email and self.typed_date_of_birth:
            return email, self.typed_date_of_birth
        return None

    def _flag(self, key, message, grade=Grade.CAUTION):
        self.flags.append(make_flag(key, message, grade))

    # --- what is stored --------------------------------------------------------------------

    def answers(self):
        """The answers as the clinician reads them: key -> {question, answer}.

        Lists (medicines, allergies) and measurements (BMI, blood pressure) are stored as one
        readable answer each; the rows they came from are not kept twice."""
        data = self.cleaned_data
        answers = {}
        for name, field in self.fields.items():
            if name in ("email", "full_name", "no_medicines", "no_allergies") or re.match(
                r"(medicine|allergy)_\d+_", name
            ):
                continue  # kept on the order itself, or summarised below
            if name in ("height_feet", "height_inches", "weight_lb", "bp_systolic", "bp_diastolic"):
                continue
            value = data.get(name)
            if isinstance(value, date):
                shown = value.isoformat()
            elif isinstance(field, forms.BooleanField):
                shown = "Yes" if value else "No"
            elif isinstance(field, forms.DecimalField):
                shown = "Not known" if value is None else str(value)
            elif isinstance(value, list):
                shown = ", ".join(str(dict(field.choices)[v]) for v in value)
            else:  # what is left are choices: the clinician reads the choice's words
                shown = str(dict(field.choices).get(value, value))
            answers[name] = {"question": str(field.label), "answer": shown}
        height = data["height_feet"] * 12 + data["height_inches"]
        answers["height_weight"] = {
            "question": "Height and weight",
            "answer": f"{data['height_feet']} ft {data['height_inches']} in, {data['weight_lb']} lb",
        }
        answers["bmi"] = {
            "question": "BMI (computed)",
            "answer": str(bmi(height, data["weight_lb"])),
        }
        systolic, diastolic = data.get("bp_systolic"), data.get("bp_diastolic")
        answers["blood_pressure"] = {
            "question": "Blood pressure",
            "answer": f"{systolic}/{diastolic}" if systolic else "Not known",
        }
        medicines = self._rows(data, "medicine", MEDICINE_ROWS, "dose")
        answers["current_medicines"] = {
            "question": "Medicines she takes (name, dose)",
            "answer": "; ".join(f"{n}, {d}" if d else n for n, d in medicines) or "None",
        }
        allergies = self._rows(data, "allergy", ALLERGY_ROWS, "reaction")
        answers["medicine_allergies"] = {
            "question": "Allergies to medicines (name, reaction)",
            "answer": "; ".join(f"{n}, {r}" if r else n for n, r in allergies) or "None",
        }
        return answers
