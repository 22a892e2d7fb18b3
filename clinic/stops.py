"""The stops and holds that do not belong to one drug class's questions: eligibility,
pregnancy and breastfeeding, kidney and liver function, blood pressure, the GLP-1 indication
and the same medicine twice. Each cites its label section in docs/clinicians.md; the
questionnaire (``clinic.questionnaire``, ``clinic.screening``) applies them.

Any change to this module is a clinical change: a clinician reviews it.
"""

from dataclasses import dataclass

from treatments.models import PREGNANCY_UNSAFE, DrugClass, Medicine

ORAL, TOPICAL = Medicine.Route.ORAL, Medicine.Route.TOPICAL
ANY_ROUTE = (ORAL, TOPICAL)


@dataclass(frozen=True)
class Stop:
    """An answer that rules the treatment out: why, and what the patient can do instead
    (``alone``, where set: instead, when no other treatment of her cart would be left)."""

    why: str
    instead: str
    alone: str = ""


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


# --- Stops from the eligibility and common answers -------------------------------------------

UNDER_AGE_STOP = (
    "We can only treat adults: you need to be 18 or older to order. "
    "Please talk to your own doctor or pediatrician about treatment."
)
STATE_STOP = (
    "We cannot treat patients who live in {state} yet: our clinicians and our pharmacy are "
    "not both licensed there. We are sorry; please see a local clinician for now."
)

# Not during pregnancy or trying to conceive: the classes and routes of
# ``treatments.models.PREGNANCY_UNSAFE``, which the product pages' notice follows too.
PREGNANCY_STOPS = tuple(Covers(c, routes) for c, routes in PREGNANCY_UNSAFE.items())
PREGNANCY_STOP = Stop(
    why="{treatment} is not safe during pregnancy or while trying to conceive, because it "
    "can harm a developing baby.",
    instead="Remove it from your cart to continue with your other treatments, and talk to "
    "your obstetrician or our care team about options that are safe for you now.",
    alone="Please talk to your obstetrician or our care team about options that are safe for "
    "you now. You can remove it from your cart.",
)
# Contraception that is not reliable enough with a medicine of PREGNANCY_STOPS: the order
# holds for the clinician, and she ticks RISK_ACKNOWLEDGEMENT before checkout goes on.
UNRELIABLE_CONTRACEPTION = ("none", "barrier")
RISK_ACKNOWLEDGEMENT = (
    "I understand that a medicine I am ordering can harm a developing baby. I will use "
    "reliable contraception while I take it, and stop it and tell the care team at once if I "
    "could be pregnant."
)
RISK_ACKNOWLEDGEMENT_HINT = (
    "Needed only if you use no contraception, or condoms or another barrier method alone."
)
CONTRACEPTION_FLAG = (
    "No reliable contraception ({method}) while ordering {names}, which can harm a "
    "developing baby; she ticked that she understands the risk."
)


@dataclass(frozen=True)
class Lactation:
    """Breastfeeding, as the medicine's label (lactation section) says: a stop, or a flag
    with its reason for the clinician."""

    covers: Covers
    stop: Stop | None = None
    flag: str = ""


BREASTFEEDING = (
    Lactation(
        Covers(DrugClass.GLP1),
        stop=Stop(
            why="{treatment} contains oral semaglutide. Its label advises not to breastfeed "
            "while taking it: an ingredient of the tablet can build up in a breastfed baby.",
            instead="Remove it from your cart while you are breastfeeding; our care team can "
            "talk you through options that are safe for you and your baby.",
        ),
    ),
    Lactation(
        Covers(DrugClass.VASODILATOR, (ORAL,)),
        stop=Stop(
            why="{treatment} contains oral minoxidil, which passes into breast milk; its "
            "label says to stop either breastfeeding or the medicine.",
            instead="Remove it from your cart while you are breastfeeding; our care team can "
            "talk you through hair-loss options that are safe for you and your baby.",
        ),
    ),
    Lactation(
        Covers(DrugClass.ANTIANDROGEN),
        flag="Breastfeeding with spironolactone: its active metabolite canrenone passes into "
        "breast milk (label 8.2 Lactation); weigh her need against the baby's exposure.",
    ),
    Lactation(
        Covers(DrugClass.ODC_INHIBITOR),
        flag="Breastfeeding with eflornithine cream: not known whether it passes into milk; "
        "the label advises caution (Nursing mothers).",
    ),
)

# Kidney function: her latest eGFR band (``KIDNEY_CHOICES`` in the form) and when it was
# measured. Below 30 or dialysis stops these; 30-44 or not known holds a metformin start.
KIDNEY_STOP = Stop(
    why="{treatment} contains metformin, which must not be used with severe kidney disease "
    "(eGFR below 30) or dialysis: it can build up in the blood and cause lactic acidosis.",
    instead="Remove it from your cart; our care team can talk you through other options.",
)
SPIRONOLACTONE_KIDNEY_STOP = Stop(
    why="{treatment} contains spironolactone tablets, which are not used with severe kidney "
    "disease (eGFR below 30) or dialysis: they can raise potassium to a dangerous level.",
    instead="Remove it from your cart; our care team can talk you through other options.",
)
KIDNEY_STOPS = (
    (Covers(DrugClass.BIGUANIDE), KIDNEY_STOP),
    (Covers(DrugClass.ANTIANDROGEN, (ORAL,)), SPIRONOLACTONE_KIDNEY_STOP),
)
METFORMIN_START = Covers(DrugClass.BIGUANIDE, (ORAL,))  # the label's rules are the tablets'
EGFR_HOLDS = {
    "30_44": "eGFR 30-44 with metformin: metformin label: starting at eGFR 30-45 is not "
    "recommended (2.3 Recommendations for use in renal impairment).",
    "unknown": "eGFR not known with metformin: the metformin label asks for an eGFR before "
    "starting (2.3); starting at 30-45 is not recommended, below 30 is contraindicated (4).",
}
EGFR_OLD = (
    "eGFR measured more than 12 months ago (metformin requested): the label asks for an "
    "eGFR before starting (2.3)."
)
LIVER_STOPS = (Covers(DrugClass.BIGUANIDE),)
LIVER_STOP = Stop(
    why="{treatment} contains metformin, which is not used with cirrhosis or liver failure: "
    "a failing liver cannot clear lactic acid, and metformin can then cause lactic acidosis.",
    instead="Remove it from your cart; our care team can talk you through other options.",
)
LIVER_HOLD = (
    "Liver disease ({answer}) with metformin: metformin label (5.1 Lactic acidosis, hepatic "
    "impairment): avoid with clinical or laboratory evidence of hepatic disease."
)

# Blood pressure below 90/60 (either number) with oral minoxidil.
LOW_BP = (90, 60)
LOW_BP_STOPS = (Covers(DrugClass.VASODILATOR, (ORAL,)),)
LOW_BP_STOP = Stop(
    why="{treatment} contains oral minoxidil, which lowers blood pressure. Yours is {bp}, "
    "below 90/60: it could make you faint or strain your heart.",
    instead="Remove it from your cart, and let your own doctor know your blood pressure. Our "
    "care team can talk you through hair-loss treatments that do not lower it.",
)

# GLP-1 medicines: for type 2 diabetes, or a BMI of 30 or more, or 27 or more with one of
# WEIGHT_CONDITIONS (as the weight-management labels' indications), whatever she asks it for.
GLP1 = Covers(DrugClass.GLP1)
GLP1_BMI = 30
GLP1_BMI_WITH_CONDITION = 27
WEIGHT_CONDITIONS = (
    ("hypertension", "High blood pressure"),
    ("dyslipidaemia", "High cholesterol or triglycerides"),
    ("sleep_apnoea", "Obstructive sleep apnoea"),
    ("heart_disease", "Heart disease, a heart attack or a stroke"),
    ("fatty_liver", "Fatty liver disease (MASLD or MASH)"),
)
GLP1_BMI_STOP = Stop(
    why="GLP-1 medicines are for type 2 diabetes, or for a BMI of 30 or more (27 or more "
    "with a weight-related condition such as high blood pressure). Your BMI is {bmi}, so "
    "{treatment} could do you more harm than good, whatever you would take it for.",
    instead="Remove it from your cart. For PCOS or insulin resistance, metformin-based "
    "treatments work at any weight; our care team can help you choose.",
)
GLP1_INDICATION_MISMATCH = (
    "You chose type 2 diabetes as the reason: please check your answer to “Do you have diabetes?”."
)
DUPLICATE_STOP = Stop(
    why="{medicine} is in {treatments}: ordering them together would double it.",
    instead="Keep the one you want and remove the others from your cart.",
)
