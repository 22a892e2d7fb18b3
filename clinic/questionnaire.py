"""The medical questionnaire, written to be read (and changed) by a clinician.

A patient answers it once per order, for the treatments in her cart:

1. **eligibility**: where she lives (a state where one of our clinicians is licensed), her
   age (18+), sex assigned at birth, pregnancy, breastfeeding and trying to conceive (three
   separate answers), contraception, and what she wants treated;
2. **common** questions: height and weight (BMI), blood pressure if she knows it, the
   medicines she takes (name and dose), allergies to medicines (name and reaction), kidney
   and liver disease with their severity;
3. the **QUESTION_SETS** (``clinic/questions.py``) of the drug classes (and routes) of the medicines in her cart. The
   questions are chosen from ``Medicine.drug_classes`` and ``Medicine.route``
   (``treatments/models.py``), which clinicians own in the admin, never from words in names
   that a catalog manager can edit.

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
from clinic.flags import Grade, make_flag
from clinic.interactions import duplicate_therapy_flags, medicine_flags
from clinic.questions import (
    ALLERGY_ROWS,
    DUPLICATE_STOP,
    KIDNEY_STOP,
    KIDNEY_STOPS,
    MEDICINE_ROWS,
    MINIMUM_AGE,
    PREGNANCY_STOP,
    PREGNANCY_STOPS,
    STATE_STOP,
    UNDER_AGE_STOP,
    question_sets_for,
)
from clinic.vocabulary import MedicineNameInput
from core.us_states import STATE_NAMES, US_STATES

# --- The form ---------------------------------------------------------------------------------

YES_NO = [("no", "No"), ("yes", "Yes")]
SEX_CHOICES = [("female", "Female"), ("male", "Male"), ("intersex", "Intersex")]
KIDNEY_CHOICES = [
    ("no", "No"),
    ("mild", "Yes, mild or moderate"),
    ("severe", "Yes, severe (eGFR below 30)"),
    ("dialysis", "Yes, I am on dialysis"),
    ("unsure", "I'm not sure"),
]
LIVER_CHOICES = [
    ("no", "No"),
    ("mild", "Yes, e.g. fatty liver or hepatitis"),
    ("severe", "Yes, cirrhosis or liver failure"),
    ("unsure", "I'm not sure"),
]
CONTRACEPTION_CHOICES = [
    ("none", "None"),
    ("drospirenone", "A pill with drospirenone (e.g. Yasmin, Yaz, Slynd)"),
    ("combined", "Another pill, a patch or a ring"),
    ("progestin", "A progestin-only pill, implant, shot or hormonal IUD"),
    ("copper_iud", "A copper IUD"),
    ("barrier", "Condoms or another barrier method"),
    ("not_needed", "Not needed (e.g. not having sex that could lead to pregnancy, menopause)"),
]
GOAL_CHOICES = [
    ("insulin_resistance", "Insulin resistance or blood sugar"),
    ("pcos", "PCOS symptoms such as irregular periods"),
    ("weight", "Weight"),
    ("unwanted_hair", "Unwanted facial or body hair"),
    ("hair_loss", "Thinning hair or hair loss"),
    ("acne", "Acne"),
]


def _yes_no_field(label, hint=""):
    return forms.ChoiceField(label=label, help_text=hint, choices=YES_NO, widget=forms.RadioSelect)


def _radio(label, choices, hint=""):
    return forms.ChoiceField(label=label, help_text=hint, choices=choices, widget=forms.RadioSelect)


def _number(label, low, high, hint="", required=True):
    return forms.IntegerField(
        label=label,
        help_text=hint,
        min_value=low,
        max_value=high,
        required=required,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )


def _text(label, max_length=100, required=False):
    return forms.CharField(label=label, max_length=max_length, required=required)


def _age(born, today):
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def bmi(height_inches, weight_lb):
    """Body-mass index from inches and pounds, to one decimal."""
    return round(703 * weight_lb / height_inches**2, 1)


def _join(names):
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


# Words of a medicine's name too common to mean an allergy to it.
_GENERIC_WORDS = {"oral", "tablet", "cream", "lotion", "solution", "scalp", "dose", "low", "gel"}


class QuestionnaireForm(forms.Form):
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
        widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}, format="%Y-%m-%d"),
    )
    state = forms.ChoiceField(
        label="Which state do you live in?",
        help_text="Your clinician must be licensed there, and your medicines ship there.",
        choices=[("", "Choose your state"), *US_STATES],
    )
    sex_at_birth = _radio("Sex assigned at birth", SEX_CHOICES)
    pregnant = _yes_no_field("Are you pregnant?")
    breastfeeding = _yes_no_field("Are you breastfeeding?")
    trying_to_conceive = _yes_no_field("Are you trying to conceive?")
    contraception = _radio("Which contraception do you use?", CONTRACEPTION_CHOICES)
    goals = forms.MultipleChoiceField(
        label="What would you like treated?",
        help_text="Choose all that apply.",
        choices=GOAL_CHOICES,
        widget=forms.CheckboxSelectMultiple,
    )
    height_feet = _number("Height: feet", 3, 7)
    height_inches = _number("Height: inches", 0, 11)
    weight_lb = _number("Weight in pounds", 60, 700)
    bp_systolic = _number(
        "Blood pressure, top number (systolic)",
        60,
        250,
        hint="If you know it from the last 6 months; leave both blank if not.",
        required=False,
    )
    bp_diastolic = _number("Blood pressure, bottom number (diastolic)", 30, 150, required=False)
    kidney = _radio("Do you have kidney disease?", KIDNEY_CHOICES)
    liver = _radio("Do you have liver disease?", LIVER_CHOICES)
    no_medicines = forms.BooleanField(
        label="I take no medicines, vitamins or supplements", required=False
    )
    no_allergies = forms.BooleanField(label="I have no allergies to medicines", required=False)

    COMMON_SECTIONS = (
        ("About you", ("email", "full_name", "date_of_birth", "state", "sex_at_birth")),
        (
            "Pregnancy and contraception",
            ("pregnant", "breastfeeding", "trying_to_conceive", "contraception"),
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

    def __init__(self, *args, treatments=(), today=None, stopped=None, **kwargs):
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
        self.question_sets = question_sets_for(self.treatments)
        for question_set, _covered in self.question_sets:
            for question in question_set.questions:
                self.fields[question.key] = _yes_no_field(question.label, question.hint)
        for field in self.fields.values():
            field.error_messages["required"] = (
                "Please answer this question."
                if isinstance(field.widget, forms.RadioSelect | forms.CheckboxSelectMultiple)
                else "Please fill this in."
            )
        self.stops = []  # [{"treatment", "treatment_ids", "why", "instead"}]
        self.flags = []  # [{"key", "message"}]
        self.stop_answers = {}  # key -> the raw answer that stopped checkout

    @property
    def sections(self):
        """(title, note, bound fields) for the template, in the order they are asked."""
        sections = [
            (title, "", [self[name] for name in names]) for title, names in self.COMMON_SECTIONS
        ]
        for question_set, covered in self.question_sets:
            note = "For " + ", ".join(t.name for t in covered)
            sections.append(
                (question_set.title, note, [self[q.key] for q in question_set.questions])
            )
        return sections

    @property
    def drug_classes(self):
        return {c for t in self.treatments for m in t.medicines.all() for c in m.drug_classes}

    # --- cleaning -------------------------------------------------------------------------

    def clean_date_of_birth(self):
        born = self.cleaned_data["date_of_birth"]
        if born > self.today:
            raise forms.ValidationError("Please check your date of birth: it is in the future.")
        if born.year < 1900:
            raise forms.ValidationError("Please check the year of your date of birth.")
        if _age(born, self.today) < MINIMUM_AGE:
            self._stop_answer("date_of_birth")
            self.stops.append(
                {"treatment": "", "treatment_ids": [], "why": UNDER_AGE_STOP, "instead": ""}
            )
            raise forms.ValidationError(UNDER_AGE_STOP)
        return born

    def clean_state(self):
        state = self.cleaned_data["state"]
        if state not in self.served:
            why = STATE_STOP.format(state=STATE_NAMES[state])
            self._stop_answer("state")
            self.stops.append({"treatment": "", "treatment_ids": [], "why": why, "instead": ""})
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
        for question_set, covered in self.question_sets:
            for question in question_set.questions:
                if data.get(question.key) != "yes":
                    continue
                if question.stop:
                    for treatment in covered:
                        self._stop(question.key, treatment, question.stop)
                if question.flag:
                    self._flag(question.key, question.flag)
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
            elif systolic < 90 or diastolic < 60:
                self._flag("blood_pressure", f"Low blood pressure: {systolic}/{diastolic}.")
            elif systolic >= 140 or diastolic >= 90:
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

    def _check_duplicates(self):
        """The same medicine in two items of the cart is a stop; two medicines of one drug
        class (oral and topical spironolactone, metformin tablets and lotion) are flagged as
        duplicate therapy."""
        holders = {}
        for treatment in self.treatments:
            for medicine in treatment.medicines.all():
                holders.setdefault(medicine.pk, (medicine, []))[1].append(treatment)
        for medicine, treatments in holders.values():
            if len(treatments) > 1:
                names = [t.name for t in treatments]
                self.stops.append(
                    {
                        "treatment": "",
                        "treatment_ids": [t.pk for t in treatments],
                        "why": DUPLICATE_STOP.why.format(
                            medicine=medicine.name, treatments=_join(names)
                        ),
                        "instead": DUPLICATE_STOP.instead,
                    }
                )
                self.add_error(None, f"{medicine.name} is in {_join(names)}: keep one.")
        self.flags.extend(duplicate_therapy_flags(holders.values()))

    def _check_pregnancy(self, data):
        answered = [
            k for k in ("pregnant", "breastfeeding", "trying_to_conceive") if data.get(k) == "yes"
        ]
        unsafe = {t.pk: t for covers in PREGNANCY_STOPS for t in covers.treatments(self.treatments)}
        if answered:
            for treatment in unsafe.values():
                self._stop(answered, treatment, PREGNANCY_STOP)
            if len(unsafe) < len(self.treatments):
                for key in answered:
                    self._flag(key, f"{self.fields[key].label} Yes.")
        elif unsafe and data.get("contraception") == "none":
            names = _join([t.name for t in unsafe.values()])
            self._flag(
                "contraception",
                f"No contraception while ordering {names}, which can harm a developing baby.",
            )

    def _check_kidney_liver(self, data):
        kidney, liver = data.get("kidney"), data.get("liver")
        if kidney in ("severe", "dialysis"):
            for covers in KIDNEY_STOPS:
                for treatment in covers.treatments(self.treatments):
                    self._stop("kidney", treatment, KIDNEY_STOP)
        if kidney not in (None, "no"):
            self._flag("kidney", f"Kidney disease: {dict(KIDNEY_CHOICES)[kidney]}.")
        if liver not in (None, "no"):
            self._flag("liver", f"Liver disease: {dict(LIVER_CHOICES)[liver]}.")

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
            now = self.data.get(key, "")
            if now != before:
                self.flags.insert(
                    0,
                    make_flag(
                        "changed_after_stop",
                        f"Answer changed after a stop: “{self.fields[key].label}” was "
                        f"{self._shown(key, before)}, now {self._shown(key, now)}.",
                        Grade.CONTRAINDICATION,
                    ),
                )

    def _shown(self, key, raw):
        choices = dict(getattr(self.fields[key], "choices", ()))
        return str(choices.get(raw, raw)) or "(no answer)"

    def _stop_answer(self, key):
        self.stop_answers[key] = self.data.get(key, "")

    def _stop(self, keys, treatment, stop):
        keys = [keys] if isinstance(keys, str) else keys
        for key in keys:
            self._stop_answer(key)
        why = stop.why.format(treatment=treatment.name)
        self.stops.append(
            {
                "treatment": treatment.name,
                "treatment_ids": [treatment.pk],
                "why": why,
                "instead": stop.instead,
            }
        )
        self.add_error(keys[0], f"{why} {stop.instead}")

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
