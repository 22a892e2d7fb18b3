"""The questionnaire's clinical content, as data a clinician reads and changes: the stops that
rule a treatment out, and the questions asked for each drug class and route
(``QUESTION_SETS``). The form that asks them is ``clinic.questionnaire``.

Keys are stored with each order's answers, so keep existing keys unchanged. Any change to this
module is a clinical change: a clinician reviews it.
"""

from dataclasses import dataclass

from treatments.models import PREGNANCY_UNSAFE, DrugClass, Medicine

MINIMUM_AGE = 18
MEDICINE_ROWS = 5
ALLERGY_ROWS = 3

ORAL, TOPICAL = Medicine.Route.ORAL, Medicine.Route.TOPICAL
ANY_ROUTE = (ORAL, TOPICAL)


@dataclass(frozen=True)
class Stop:
    """An answer that rules the treatment out: why, and what the patient can do instead."""

    why: str
    instead: str


@dataclass(frozen=True)
class Covers:
    """Which medicines a rule is for: a drug class (None: any class) by these routes."""

    drug_class: str | None
    routes: tuple = ANY_ROUTE

    def medicine(self, medicine):
        return medicine.route in self.routes and (
            self.drug_class is None or self.drug_class in medicine.drug_classes
        )

    def treatments(self, treatments):
        return [t for t in treatments if any(self.medicine(m) for m in t.medicines.all())]


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
    covers: Covers
    questions: tuple


# --- Stops from the eligibility and common answers -------------------------------------------

UNDER_AGE_STOP = (
    "We can only treat adults: you need to be 18 or older to order. "
    "Please talk to your own doctor or pediatrician about treatment."
)
STATE_STOP = (
    "We cannot treat patients who live in {state} yet: none of our clinicians is licensed "
    "there. We are sorry; please see a local clinician for now."
)

# Not during pregnancy, breastfeeding or trying to conceive: the classes and routes of
# ``treatments.models.PREGNANCY_UNSAFE``, which the product pages' notice follows too.
PREGNANCY_STOPS = tuple(Covers(c, routes) for c, routes in PREGNANCY_UNSAFE.items())
PREGNANCY_STOP = Stop(
    why="{treatment} is not safe during pregnancy or breastfeeding, or while trying to "
    "conceive, because it can harm a developing baby.",
    instead="Remove it from your cart to continue with your other treatments, and talk to "
    "your obstetrician or our care team about options that are safe for you now.",
)
KIDNEY_STOPS = (Covers(DrugClass.BIGUANIDE),)
KIDNEY_STOP = Stop(
    why="{treatment} contains metformin, which must not be used with severe kidney disease "
    "(eGFR below 30) or dialysis: it can build up in the blood and cause lactic acidosis.",
    instead="Remove it from your cart; our care team can talk you through other options.",
)
DUPLICATE_STOP = Stop(
    why="{medicine} is in {treatments}: ordering them together would double it.",
    instead="Keep the one you want and remove the others from your cart.",
)

# --- Questions for drug classes --------------------------------------------------------------

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
                flag="Addison's disease (spironolactone requested).",
            ),
            YesNo(
                "antiandrogen_high_potassium",
                "Have you ever been told your potassium level is high?",
                flag="History of high potassium (spironolactone requested).",
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
                "glp1_type1_diabetes",
                "Do you have type 1 diabetes?",
                flag="Type 1 diabetes (GLP-1 requested).",
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
                "Do you have heart failure, or have you had chest pain (angina) or a heart attack?",
                flag="Heart failure or heart disease (oral minoxidil requested).",
            ),
            YesNo(
                "vasodilator_arrhythmia",
                "Do you have an irregular or very fast heartbeat (arrhythmia)?",
                flag="Arrhythmia (oral minoxidil requested).",
            ),
            YesNo(
                "vasodilator_pericardial_effusion",
                "Have you been told you have fluid around the heart (pericardial effusion)?",
                flag="Pericardial effusion (oral minoxidil requested).",
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
