"""The interaction table: medicines a patient types that interact with a drug class she orders.

Reviewed like the questions (``clinic/questions.py``): a clinician signs off any change.
Each row names a drug class we prescribe, the names (generic and common brand names, lower
case, matched as whole words in what she typed) of medicines that interact with it, and the
reason the clinician reads. A match is flagged even when she answered "no" to the matching
question: people do not always know that lisinopril is an ACE inhibitor.
"""

import re
from dataclasses import dataclass

from treatments.models import DrugClass


@dataclass(frozen=True)
class Interaction:
    drug_class: str
    names: tuple
    reason: str


ACE_INHIBITORS = (
    "lisinopril",
    "enalapril",
    "ramipril",
    "benazepril",
    "captopril",
    "quinapril",
    "fosinopril",
    "perindopril",
    "trandolapril",
    "zestril",
    "prinivil",
    "vasotec",
    "altace",
    "lotensin",
)
ARBS = (
    "losartan",
    "valsartan",
    "irbesartan",
    "candesartan",
    "olmesartan",
    "telmisartan",
    "azilsartan",
    "cozaar",
    "diovan",
    "benicar",
    "entresto",
    "sacubitril",
)
POTASSIUM = (
    "potassium",
    "k-dur",
    "klor-con",
    "salt substitute",
    "lo salt",
    "nu-salt",
    "nosalt",
    "amiloride",
    "triamterene",
    "eplerenone",
    "trimethoprim",
    "bactrim",
)
OTHER_BLOOD_PRESSURE = (
    "amlodipine",
    "nifedipine",
    "diltiazem",
    "verapamil",
    "metoprolol",
    "atenolol",
    "propranolol",
    "carvedilol",
    "labetalol",
    "hydrochlorothiazide",
    "hctz",
    "chlorthalidone",
    "furosemide",
    "clonidine",
    "hydralazine",
    "doxazosin",
    "prazosin",
    "terazosin",
    "guanfacine",
)

INTERACTIONS = (
    Interaction(
        DrugClass.ANTIANDROGEN,
        ACE_INHIBITORS + ARBS,
        "ACE inhibitor or ARB with spironolactone: risk of high potassium.",
    ),
    Interaction(
        DrugClass.ANTIANDROGEN,
        POTASSIUM,
        "Potassium supplement, salt substitute or potassium-sparing medicine with "
        "spironolactone: risk of high potassium.",
    ),
    Interaction(
        DrugClass.ANTIANDROGEN,
        ("drospirenone", "yasmin", "yaz", "slynd", "beyaz", "safyral", "ocella", "syeda"),
        "Drospirenone (a potassium-sparing progestin) with spironolactone: risk of high potassium.",
    ),
    Interaction(
        DrugClass.ANTIANDROGEN,
        ("lithium", "lithobid"),
        "Lithium with spironolactone: lithium levels can rise.",
    ),
    Interaction(
        DrugClass.ANTIANDROGEN,
        (
            "ibuprofen",
            "naproxen",
            "diclofenac",
            "meloxicam",
            "celecoxib",
            "advil",
            "motrin",
            "aleve",
        ),
        "NSAID with spironolactone: risk of high potassium and kidney strain if taken daily.",
    ),
    Interaction(
        DrugClass.GLP1,
        (
            "insulin",
            "glargine",
            "lantus",
            "basaglar",
            "toujeo",
            "detemir",
            "levemir",
            "degludec",
            "tresiba",
            "lispro",
            "humalog",
            "aspart",
            "novolog",
            "humulin",
            "novolin",
            "glipizide",
            "glyburide",
            "glimepiride",
            "glucotrol",
            "amaryl",
            "sulfonylurea",
        ),
        "Insulin or a sulfonylurea with a GLP-1: risk of low blood sugar.",
    ),
    Interaction(
        DrugClass.GLP1,
        (
            "semaglutide",
            "ozempic",
            "wegovy",
            "rybelsus",
            "liraglutide",
            "victoza",
            "saxenda",
            "tirzepatide",
            "mounjaro",
            "zepbound",
            "dulaglutide",
            "trulicity",
            "exenatide",
        ),
        "Already takes a GLP-1 (or GLP-1/GIP) medicine: it would be doubled.",
    ),
    Interaction(
        DrugClass.VASODILATOR,
        ACE_INHIBITORS + ARBS + OTHER_BLOOD_PRESSURE,
        "Blood-pressure medicine with oral minoxidil: blood pressure can drop too far.",
    ),
    Interaction(
        DrugClass.BIGUANIDE,
        ("topiramate", "topamax", "acetazolamide", "zonisamide", "dolutegravir", "cimetidine"),
        "Raises metformin levels or the risk of lactic acidosis.",
    ),
    Interaction(
        DrugClass.BIGUANIDE,
        ("metformin", "glucophage", "glumetza", "fortamet"),
        "Already takes metformin: it would be doubled.",
    ),
)


def _mentions(text, name):
    return re.search(rf"(?<![a-z]){re.escape(name)}(?![a-z])", text) is not None


def find_interactions(typed_names, drug_classes):
    """Flags for each typed medicine that interacts with one of ``drug_classes``:
    ``[(typed name, Interaction)]``, in the table's order."""
    found = []
    for interaction in INTERACTIONS:
        if interaction.drug_class not in drug_classes:
            continue
        for typed in typed_names:
            text = typed.lower()
            if any(_mentions(text, name) for name in interaction.names):
                found.append((typed, interaction))
    return found
