"""The questionnaire's clinical content, as data a clinician reads and changes: the questions
asked for each drug class and route (``QUESTION_SETS``), with the stops and flags of their
answers. The stops of the common answers (pregnancy, kidney, blood pressure...) are in
``clinic.stops``; the form that asks them all is ``clinic.questionnaire``.

Keys are stored with each order's answers, so keep existing keys unchanged. Any change to this
module is a clinical change: a clinician reviews it.
"""

from dataclasses import dataclass

from clinic.flags import Grade
from clinic.stops import ORAL, TOPICAL, WEIGHT_CONDITIONS, Covers, Stop
from treatments.models import DrugClass

MINIMUM_AGE = 18
MEDICINE_ROWS = 5
ALLERGY_ROWS = 3


@dataclass(frozen=True)
class YesNo:
    key: str
    label: str
    hint: str = ""
    flag: str = ""  # shown to the clinician when the answer is "yes"
    stop: Stop | None = None  # rules the treatment out when the answer is "yes"
    grade: str = Grade.CAUTION  # the flag's grade
    stop_for: Covers | None = None  # the stop for these only; the flag for the others

    def outcome(self, value):
        """(stop, flag message, grade) for this answer."""
        if value == "yes":
            return self.stop, self.flag, self.grade
        return None, "", self.grade


@dataclass(frozen=True)
class Choice:
    """One answer of several (``multiple``: any number of them). ``stops`` and ``flags`` map
    an answer to its stop, or to (message for the clinician, grade)."""

    key: str
    label: str
    choices: tuple
    hint: str = ""
    stops: tuple = ()  # ((value, Stop), ...)
    flags: tuple = ()  # ((value, message, grade), ...)
    multiple: bool = False
    required: bool = True
    stop_for: Covers | None = None  # the stop for these only; the flag for the others

    def outcome(self, value):
        if self.multiple:
            return None, "", Grade.CAUTION  # read by the rules that need it (clinic.screening)
        stop = dict(self.stops).get(value)
        message, grade = {v: (m, g) for v, m, g in self.flags}.get(value, ("", Grade.CAUTION))
        return stop, message, grade


@dataclass(frozen=True)
class Number:
    """A measurement she may not know (left blank): e.g. her HbA1c in percent."""

    key: str
    label: str
    low: float
    high: float
    hint: str = ""

    def outcome(self, value):
        return None, "", Grade.CAUTION


@dataclass(frozen=True)
class QuestionSet:
    key: str
    title: str
    covers: Covers
    questions: tuple


# --- Questions for drug classes --------------------------------------------------------------

SPIRONOLACTONE_TABLETS = Covers(DrugClass.ANTIANDROGEN, (ORAL,))
SPIRONOLACTONE_INSTEAD = (
    "Remove it from your cart; our care team can talk you through other options."
)
MINOXIDIL_INSTEAD = (
    "Remove it from your cart; our care team can talk you through other options for hair loss."
)

QUESTION_SETS = (
    QuestionSet(
        key="biguanide",
        title="About metformin",
        covers=Covers(DrugClass.BIGUANIDE, (ORAL,)),
        questions=(
            YesNo(
                "biguanide_lactic_acidosis",
                "Have you ever had lactic acidosis?",
                flag="Past lactic acidosis (metformin requested).",
            ),
            YesNo(
                "biguanide_heart_failure",
                "Do you have heart failure?",
                flag="Heart failure (metformin requested).",
            ),
            YesNo(
                "biguanide_alcohol",
                "Do you usually drink more than 2 alcoholic drinks a day, or binge drink?",
                hint="Heavy drinking raises the risk of a rare but serious side effect of metformin.",
                flag="Heavy alcohol use (metformin requested).",
            ),
            YesNo(
                "biguanide_surgery_contrast",
                "Do you have surgery or a scan with contrast dye coming up?",
                hint="Metformin may need to be paused around them.",
                flag="Upcoming surgery or contrast scan (metformin requested).",
            ),
        ),
    ),
    QuestionSet(
        key="antiandrogen",
        title="About spironolactone",
        covers=Covers(DrugClass.ANTIANDROGEN),
        questions=(
            YesNo(
                "antiandrogen_addisons",
                "Do you have Addison's disease (adrenal insufficiency)?",
                stop=Stop(
                    why="{treatment} contains spironolactone tablets, which must not be used "
                    "with Addison's disease: they can raise potassium to a dangerous level.",
                    instead=SPIRONOLACTONE_INSTEAD,
                ),
                stop_for=SPIRONOLACTONE_TABLETS,
                flag="Addison's disease (topical spironolactone requested): a contraindication "
                "of the tablets (label 4).",
                grade=Grade.CONTRAINDICATION,
            ),
            Choice(
                "antiandrogen_high_potassium",
                "Have you ever been told your potassium level is high?",
                choices=(
                    ("no", "No"),
                    ("recent", "Yes, now or in the last 12 months"),
                    ("earlier", "Yes, more than 12 months ago"),
                ),
                stops=(
                    (
                        "recent",
                        Stop(
                            why="{treatment} contains spironolactone tablets, which must not "
                            "be used with high potassium: they raise it further.",
                            instead=SPIRONOLACTONE_INSTEAD,
                        ),
                    ),
                ),
                stop_for=SPIRONOLACTONE_TABLETS,
                flags=(
                    (
                        "recent",
                        "High potassium in the last 12 months (topical spironolactone "
                        "requested): hyperkalemia is a contraindication of the tablets (label 4).",
                        Grade.CONTRAINDICATION,
                    ),
                    (
                        "earlier",
                        "High potassium more than 12 months ago (spironolactone requested): "
                        "hyperkalemia is a contraindication (label 4); check potassium first.",
                        Grade.CONTRAINDICATION,
                    ),
                ),
            ),
            YesNo(
                "antiandrogen_eplerenone",
                "Do you take eplerenone (Inspra)?",
                stop=Stop(
                    why="{treatment} contains spironolactone tablets, which must not be taken "
                    "with eplerenone: together they can raise potassium to a dangerous level.",
                    instead="Remove it from your cart, and do not stop eplerenone without "
                    "talking to the doctor who prescribed it.",
                ),
                stop_for=SPIRONOLACTONE_TABLETS,
                flag="Takes eplerenone (topical spironolactone requested): a contraindication "
                "of the tablets (label 4).",
                grade=Grade.CONTRAINDICATION,
            ),
            YesNo(
                "antiandrogen_potassium_medicines",
                "Do you take any of these: ACE inhibitors (e.g. lisinopril), ARBs (e.g. losartan), "
                "potassium supplements, salt substitutes, a birth control pill with drospirenone "
                "(e.g. Yasmin, Yaz), lithium, or anti-inflammatory painkillers (e.g. ibuprofen) "
                "every day?",
                flag="Takes medicines that raise potassium or interact (spironolactone requested).",
            ),
            YesNo(
                "antiandrogen_low_blood_pressure",
                "Do you have low blood pressure, or often feel faint when you stand up?",
                flag="Low blood pressure or fainting (spironolactone requested).",
            ),
        ),
    ),
    QuestionSet(
        key="glp1",
        title="About GLP-1 medicines",
        covers=Covers(DrugClass.GLP1),
        questions=(
            Choice(
                "glp1_indication",
                "What would you like the GLP-1 medicine to treat?",
                choices=(
                    ("type2_diabetes", "Type 2 diabetes"),
                    ("weight", "Weight"),
                    ("pcos_insulin_resistance", "PCOS or insulin resistance"),
                ),
            ),
            Choice(
                "glp1_diabetes_type",
                "Do you have diabetes?",
                choices=(
                    ("no", "No"),
                    ("prediabetes", "Prediabetes (blood sugar above normal, not diabetes)"),
                    ("type2", "Type 2 diabetes"),
                    ("type1", "Type 1 diabetes"),
                    ("other", "Another type, or I'm not sure which"),
                ),
                stops=(
                    (
                        "type1",
                        Stop(
                            why="GLP-1 medicines are not for type 1 diabetes: they do not "
                            "replace insulin, and their labels do not cover it.",
                            instead="Remove it from your cart, and talk to the doctor who "
                            "looks after your diabetes.",
                        ),
                    ),
                ),
                flags=(
                    (
                        "other",
                        "Diabetes of another or unknown type (GLP-1 requested).",
                        Grade.CAUTION,
                    ),
                ),
            ),
            Number(
                "glp1_hba1c",
                "Your latest HbA1c (%), if you know it",
                low=3,
                high=20,
                hint="A blood test of your average blood sugar, e.g. 5.9. Leave it blank if you "
                "don't know it.",
            ),
            Choice(
                "glp1_weight_conditions",
                "Do you have any of these?",
                choices=WEIGHT_CONDITIONS,
                hint="Choose all that apply; leave them all unticked if none do.",
                multiple=True,
                required=False,
            ),
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
                stop=Stop(
                    why="GLP-1 medicines are not used after pancreatitis: they can bring it back.",
                    instead="Remove it from your cart. Metformin-based treatments may suit you "
                    "instead; our care team can help you choose.",
                ),
            ),
            YesNo(
                "glp1_gallbladder",
                "Have you had gallbladder disease or gallstones?",
                flag="Gallbladder disease or gallstones (GLP-1 requested).",
            ),
            YesNo(
                "glp1_insulin_sulfonylurea",
                "Do you take insulin or a sulfonylurea (e.g. glipizide, glimepiride)?",
                flag="Takes insulin or a sulfonylurea: risk of low blood sugar (GLP-1 requested).",
            ),
            YesNo(
                "glp1_retinopathy",
                "Do you have diabetic eye disease (retinopathy)?",
                flag="Diabetic retinopathy (GLP-1 requested).",
            ),
            YesNo(
                "glp1_gastroparesis",
                "Do you have gastroparesis (a stomach that empties very slowly) or another "
                "severe stomach or bowel condition?",
                flag="Gastroparesis or severe stomach or bowel disease (GLP-1 requested).",
            ),
            YesNo(
                "glp1_eating_disorder",
                "Have you ever had an eating disorder, such as anorexia or bulimia?",
                flag="Eating disorder history (GLP-1 requested).",
            ),
            YesNo(
                "glp1_depression",
                "Are you being treated for depression, or have you been in the past year?",
                flag="Depression (GLP-1 requested): labels of GLP-1 medicines for weight ask to "
                "monitor for depression and changes in mood.",
            ),
            YesNo(
                "glp1_suicidal_thoughts",
                "In the past year, have you had thoughts of suicide or of harming yourself, or "
                "attempted suicide?",
                hint="If you have these thoughts now, call or text 988 (Suicide & Crisis "
                "Lifeline), at any hour.",
                flag="Suicidal thoughts or attempt in the past year (GLP-1 requested): the labels "
                "of GLP-1 medicines for weight say to avoid them with active suicidal ideation "
                "or a history of suicide attempts.",
                grade=Grade.CONTRAINDICATION,
            ),
            YesNo(
                "glp1_surgery_sedation",
                "Do you have surgery, or a procedure with sedation or anaesthesia (such as an "
                "endoscopy), coming up?",
                flag="Surgery or sedation planned (GLP-1 requested): label: risk of pulmonary "
                "aspiration under general anaesthesia or deep sedation.",
            ),
            YesNo(
                "glp1_pregnancy_planned",
                "Are you planning to become pregnant in the next 2 months?",
                flag="Pregnancy planned within 2 months (GLP-1 requested): label: stop "
                "semaglutide at least 2 months before a planned pregnancy.",
                grade=Grade.CONTRAINDICATION,
            ),
            YesNo(
                "glp1_severe_vomiting",
                "Do you have severe or ongoing vomiting or diarrhoea?",
                flag="Severe vomiting or diarrhoea (GLP-1 requested): label: dehydration can "
                "cause acute kidney injury.",
            ),
        ),
    ),
    QuestionSet(
        key="vasodilator",
        title="About oral minoxidil",
        covers=Covers(DrugClass.VASODILATOR, (ORAL,)),
        questions=(
            YesNo(
                "vasodilator_pheochromocytoma",
                "Do you have a pheochromocytoma (a tumour of the adrenal gland)?",
                stop=Stop(
                    why="Oral minoxidil must not be used with a pheochromocytoma.",
                    instead="Remove it from your cart; our care team can talk you through "
                    "other options for hair loss.",
                ),
            ),
            YesNo(
                "vasodilator_heart_failure",
                "Do you have heart failure?",
                stop=Stop(
                    why="Oral minoxidil must not be used with heart failure: it makes the body "
                    "hold salt and water, which strains the heart.",
                    instead=MINOXIDIL_INSTEAD,
                ),
            ),
            Choice(
                "vasodilator_heart_attack_angina",
                "Have you had a heart attack, or chest pain from your heart (angina)?",
                choices=(
                    ("no", "No"),
                    ("recent", "Yes, in the last 12 months"),
                    ("earlier", "Yes, more than 12 months ago"),
                ),
                stops=(
                    (
                        "recent",
                        Stop(
                            why="Oral minoxidil must not be used within 12 months of a heart "
                            "attack or angina: it makes the heart beat faster and can bring "
                            "chest pain back.",
                            instead=MINOXIDIL_INSTEAD,
                        ),
                    ),
                ),
                flags=(
                    (
                        "earlier",
                        "Heart attack or angina more than 12 months ago (oral minoxidil "
                        "requested): label boxed warning: angina may be exacerbated.",
                        Grade.CONTRAINDICATION,
                    ),
                ),
            ),
            YesNo(
                "vasodilator_arrhythmia",
                "Do you have an irregular or very fast heartbeat (arrhythmia)?",
                flag="Arrhythmia (oral minoxidil requested).",
            ),
            YesNo(
                "vasodilator_pericardial_effusion",
                "Have you been told you have fluid around the heart (pericardial effusion)?",
                stop=Stop(
                    why="Oral minoxidil must not be used with fluid around the heart: it can "
                    "make it worse, sometimes dangerously (its label's boxed warning).",
                    instead=MINOXIDIL_INSTEAD,
                ),
            ),
            YesNo(
                "vasodilator_blood_pressure_medicines",
                "Do you take any other medicine for blood pressure?",
                flag="Takes other blood-pressure medicines (oral minoxidil requested).",
            ),
            YesNo(
                "vasodilator_fluid_retention",
                "Do you often have swollen ankles or legs, or retain fluid?",
                flag="Fluid retention (oral minoxidil requested).",
            ),
            YesNo(
                "vasodilator_low_blood_pressure",
                "Do you have low blood pressure, or often feel faint or dizzy when you stand up?",
                flag="Low blood pressure or fainting (oral minoxidil requested).",
            ),
        ),
    ),
    QuestionSet(
        key="topical",
        title="About creams, lotions and solutions",
        covers=Covers(None, (TOPICAL,)),
        questions=(
            YesNo(
                "topical_allergy",
                "Have you had an allergic reaction to a cream, lotion or solution like these, "
                "or to any of their ingredients?",
                flag="Allergy or reaction to a topical product (topical requested).",
            ),
            YesNo(
                "topical_broken_skin",
                "Is the skin where you would apply it broken, inflamed or infected?",
                flag="Broken or inflamed skin where a topical would go.",
            ),
            YesNo(
                "topical_virilization",
                "Has new hair growth come on suddenly, together with a deeper voice or other "
                "body changes?",
                hint="This can have causes that need to be seen in person.",
                flag="Sudden hair growth with a deepening voice: needs in-person assessment.",
            ),
        ),
    ),
)


def question_sets_for(treatments):
    """The question sets that apply to ``treatments``, each with the treatments it covers."""
    sets = []
    for question_set in QUESTION_SETS:
        covered = question_set.covers.treatments(treatments)
        if covered:
            sets.append((question_set, covered))
    return sets
