"""The medical questionnaire, written to be read (and changed) by a clinician.

A patient answers it once per order, for the treatments in her cart: the COMMON questions
below, then each QUESTION_SET whose treatments are in the cart.

Two kinds of consequences:

- a **stop** rules a treatment out: checkout cannot go on until the patient removes it;
  the patient is told which treatment, why, and what to do instead;
- a **flag** is an answer of concern: checkout goes on and the clinician sees it first.

To add a question, add a ``YesNo`` to a set (or a new ``QuestionSet`` matched by words in the
treatment's name or active ingredients). Keys are stored with each order's answers, so keep
existing keys unchanged.
"""

from dataclasses import dataclass
from datetime import date

from django import forms

MINIMUM_AGE = 18

# --- Common questions -----------------------------------------------------------------------

PREGNANCY_CHOICES = [
    ("none", "None of these"),
    ("pregnant", "I am pregnant"),
    ("breastfeeding", "I am breastfeeding"),
    ("trying", "I am trying to conceive"),
]

UNDER_AGE_STOP = (
    "We can only treat adults: you need to be 18 or older to order. "
    "Please talk to your own doctor or pediatrician about treatment."
)

PREGNANCY_STOP_WHY = (
    "{treatment} is not safe during pregnancy or breastfeeding, or while trying to conceive, "
    "because it can harm a developing baby."
)
PREGNANCY_STOP_INSTEAD = (
    "Remove it from your cart to continue with your other treatments, and talk to your "
    "obstetrician or our care team about options that are safe for you now."
)


@dataclass(frozen=True)
class Stop:
    """An answer that rules the treatment out: why, and what the patient can do instead."""

    why: str
    instead: str


@dataclass(frozen=True)
class YesNo:
    key: str
    label: str
    hint: str = ""
    flag: str = ""  # shown to the clinician when the answer is "yes"
    stop: Stop | None = None  # rules the treatment out when the answer is "yes"


@dataclass(frozen=True)
class QuestionSet:
    key: str
    title: str
    match_words: tuple  # any of these in the treatment's name or active ingredients
    questions: tuple
    skip_topical: bool = False  # e.g. topical spironolactone barely reaches the blood

    def matches(self, treatment):
        if self.skip_topical and treatment.form == "topical":
            return False
        haystack = " ".join(
            [
                treatment.name,
                treatment.active_ingredients,
                treatment.component_names,
                treatment.slug,
            ]
        ).lower()
        return any(word in haystack for word in self.match_words)


# --- Questions for particular medicines -------------------------------------------------------

QUESTION_SETS = (
    QuestionSet(
        key="glp1",
        title="About GLP-1 medicines",
        match_words=("glp-1", "glp1", "semaglutide", "liraglutide", "tirzepatide"),
        questions=(
            YesNo(
                "glp1_thyroid_cancer",
                "Have you or a close relative ever had medullary thyroid cancer, or do you have "
                "multiple endocrine neoplasia type 2 (MEN2)?",
                stop=Stop(
                    why="GLP-1 medicines must not be used by anyone with a personal or family "
                    "history of medullary thyroid cancer or MEN2: they have caused thyroid "
                    "tumours in studies.",
                    instead="Remove it from your cart. Metformin-based treatments may suit you "
                    "instead; our care team can help you choose.",
                ),
            ),
            YesNo(
                "glp1_pancreatitis",
                "Have you ever had pancreatitis (inflammation of the pancreas)?",
                flag="History of pancreatitis (GLP-1 requested).",
            ),
            YesNo(
                "glp1_gallbladder",
                "Have you had gallbladder disease or gallstones?",
                flag="Gallbladder disease or gallstones (GLP-1 requested).",
            ),
        ),
    ),
    QuestionSet(
        key="metformin",
        title="About metformin",
        match_words=("metformin",),
        questions=(
            YesNo(
                "metformin_alcohol",
                "Do you usually drink more than 2 alcoholic drinks a day?",
                hint="Heavy drinking raises the risk of a rare but serious side effect of metformin.",
                flag="Heavy alcohol use (metformin requested).",
            ),
        ),
    ),
    QuestionSet(
        key="spironolactone",
        title="About spironolactone",
        match_words=("spironolactone",),
        skip_topical=True,
        questions=(
            YesNo(
                "spironolactone_potassium",
                "Do you take medicines that raise potassium: ACE inhibitors (e.g. lisinopril), "
                "ARBs (e.g. losartan), potassium supplements or potassium-sparing diuretics?",
                flag="Takes potassium-raising medicines (spironolactone requested).",
            ),
            YesNo(
                "spironolactone_high_potassium",
                "Have you ever been told your potassium level is high?",
                flag="History of high potassium (spironolactone requested).",
            ),
        ),
    ),
    QuestionSet(
        key="oral_minoxidil",
        title="About oral minoxidil",
        match_words=("minoxidil",),
        skip_topical=True,
        questions=(
            YesNo(
                "minoxidil_low_blood_pressure",
                "Do you have low blood pressure, or often feel faint or dizzy when you stand up?",
                flag="Low blood pressure or fainting (oral minoxidil requested).",
            ),
            YesNo(
                "minoxidil_heart",
                "Do you have heart disease, heart failure or chest pain (angina)?",
                flag="Heart disease (oral minoxidil requested).",
            ),
        ),
    ),
)


def question_sets_for(treatments):
    """The question sets that apply to ``treatments``, each with the treatments it covers."""
    sets = []
    for question_set in QUESTION_SETS:
        covered = [t for t in treatments if question_set.matches(t)]
        if covered:
            sets.append((question_set, covered))
    return sets


# --- The form ---------------------------------------------------------------------------------

YES_NO = [("no", "No"), ("yes", "Yes")]


def _yes_no_field(label, hint=""):
    return forms.ChoiceField(label=label, help_text=hint, choices=YES_NO, widget=forms.RadioSelect)


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
    pregnancy = forms.ChoiceField(
        label="Are you pregnant, breastfeeding or trying to conceive?",
        choices=PREGNANCY_CHOICES,
        widget=forms.RadioSelect,
    )
    kidney_liver = _yes_no_field("Do you have kidney disease or liver disease?")
    medicines = forms.CharField(
        label="Which medicines, vitamins or supplements do you take?",
        help_text='Include doses if you know them. Write "none" if you take none.',
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    allergies = forms.CharField(
        label="Do you have any allergies to medicines?",
        help_text='Write "none" if you have none.',
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    COMMON_SECTIONS = (
        ("About you", ("email", "full_name", "date_of_birth")),
        ("Your health", ("pregnancy", "kidney_liver", "medicines", "allergies")),
    )

    def __init__(self, *args, treatments=(), today=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.treatments = list(treatments)
        self.today = today or date.today()
        self.question_sets = question_sets_for(self.treatments)
        for question_set, _covered in self.question_sets:
            for question in question_set.questions:
                self.fields[question.key] = _yes_no_field(question.label, question.hint)
        for field in self.fields.values():
            field.error_messages["required"] = (
                "Please answer this question."
                if isinstance(field.widget, forms.RadioSelect)
                else "Please fill this in."
            )
        self.stops = []  # [{"treatment", "treatment_id", "why", "instead"}]
        self.flags = []  # [{"key", "message"}]

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

    def clean_date_of_birth(self):
        born = self.cleaned_data["date_of_birth"]
        if born > self.today:
            raise forms.ValidationError("Please check your date of birth: it is in the future.")
        if born.year < 1900:
            raise forms.ValidationError("Please check the year of your date of birth.")
        age = (
            self.today.year
            - born.year
            - ((self.today.month, self.today.day) < (born.month, born.day))
        )
        if age < MINIMUM_AGE:
            self.stops.append(
                {"treatment": "", "treatment_id": None, "why": UNDER_AGE_STOP, "instead": ""}
            )
            raise forms.ValidationError(UNDER_AGE_STOP)
        return born

    def clean(self):
        data = super().clean()
        pregnancy = data.get("pregnancy")
        if pregnancy and pregnancy != "none":
            unsafe = [t for t in self.treatments if t.unsafe_in_pregnancy]
            for treatment in unsafe:
                self._stop(
                    "pregnancy",
                    treatment,
                    Stop(
                        PREGNANCY_STOP_WHY.format(treatment=treatment.name), PREGNANCY_STOP_INSTEAD
                    ),
                )
            if len(unsafe) < len(self.treatments):
                self._flag("pregnancy", f"Pregnancy status: {dict(PREGNANCY_CHOICES)[pregnancy]}.")
        if data.get("kidney_liver") == "yes":
            self._flag("kidney_liver", "Kidney or liver disease.")
        allergies = (data.get("allergies") or "").strip()
        if allergies and allergies.lower().rstrip(".") not in ("none", "no", "n/a", "na"):
            self._flag("allergies", f"Allergies: {allergies}")
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

    def _stop(self, key, treatment, stop):
        self.stops.append(
            {
                "treatment": treatment.name,
                "treatment_id": treatment.pk,
                "why": stop.why,
                "instead": stop.instead,
            }
        )
        self.add_error(key, f"{stop.why} {stop.instead}")

    def _flag(self, key, message):
        self.flags.append({"key": key, "message": message})

    def answers(self):
        """The answers as the clinician reads them: key -> {question, answer}."""
        answers = {}
        for name, bound in self.fields.items():
            if name in ("email", "full_name"):
                continue  # kept on the order itself
            value = self.cleaned_data.get(name)
            if isinstance(value, date):
                shown = value.isoformat()
            elif hasattr(bound, "choices"):
                shown = dict(bound.choices).get(value, value)
            else:
                shown = value
            answers[name] = {"question": str(bound.label), "answer": shown}
        return answers
