"""Interactions and duplicates, computed on ingredients and classes, never on typed words.

What she takes is read by the vocabulary (``clinic.vocabulary``) into ingredients and
classes; the rules (``orders.InteractionRule``, seeded from ``clinic/data/interactions.toml``
and changed only through the two-clinician review of ``clinic.clinical_data``) say which of
them matter for each drug class she orders, how much (the grade) and why (the reason and the
label section). A match is flagged even when she answered "no" to the matching question:
people do not always know that lisinopril is an ACE inhibitor.
"""

from dataclasses import replace

from clinic.clinical_data import current_rules, rules_version
from clinic.flags import Grade, make_flag
from clinic.vocabulary import vocabulary
from treatments.models import DrugClass


def rule_matches(rule, reading):
    return rule.taken in reading.classes or rule.taken in reading.ingredients


def find_interactions(readings, drug_classes, rules):
    """``[(reading, rule)]`` for each medicine she takes that a rule names for a class
    ordered; one flag per reading and reason (Zestoretic's two blood-pressure ingredients
    give one "blood-pressure medicine" flag with oral minoxidil)."""
    found, seen = [], set()
    for rule in rules:
        if rule.ordered_class not in drug_classes:
            continue
        for reading in readings:
            key = (reading.typed, rule.reason)
            if key not in seen and rule_matches(rule, reading):
                seen.add(key)
                found.append((reading, rule))
    return found


def medicine_flags(typed, drug_classes, *, drospirenone_pill=False):
    """The flags of what she takes (``typed``: ``(name, dose)`` per medicine; the name is
    read, both are shown) for the ``drug_classes`` ordered, and the version of the rules they
    were checked against.

    Each medicine the vocabulary does not know, wholly or in part, is an "unrecognised" flag;
    each rule that names one of her medicines' classes or ingredients is a flag of the rule's
    grade. Reads the rules once (one query, whatever she typed)."""
    words = vocabulary()
    readings = [replace(words.read(name), typed=f"{name} {dose}".strip()) for name, dose in typed]
    if drospirenone_pill:
        readings.append(
            replace(words.read("drospirenone"), typed="Drospirenone pill (contraception)")
        )
    flags = []
    for reading in readings:
        if not reading.matches:
            message = (
                f"“{reading.typed}”: not in our medicine list, so not checked for "
                "interactions. Check it by hand."
            )
        elif reading.unknown:
            message = (
                f"“{reading.typed}”: read as {join([m.entry.name for m in reading.matches])}, "
                f"but “{' '.join(reading.unknown)}” is not in our medicine list. Check it by hand."
            )
        else:
            continue
        flags.append(make_flag("medicine_not_recognised", message, Grade.UNRECOGNISED))
    rules = current_rules()
    if readings and not rules:
        flags.append(
            make_flag(
                "interaction_rules_missing",
                "No interaction rules are loaded: check every medicine she takes by hand.",
                Grade.UNRECOGNISED,
            )
        )
    for reading, rule in find_interactions(readings, drug_classes, rules):
        fuzzy = reading.fuzzy_names
        read_as = f" (read as {join(fuzzy)})" if fuzzy else ""
        flags.append(
            make_flag(
                "interaction",
                f"Interaction: takes {reading.typed}{read_as}. {rule.reason}",
                Grade(rule.grade),
            )
        )
    return flags, rules_version(rules)


def duplicate_therapy_flags(held):
    """Two medicines of one drug class in the cart (oral and topical spironolactone, metformin
    tablets and lotion): one "duplicate therapy" flag per class. ``held``: ``(medicine,
    [treatments containing it])`` for each distinct medicine of the cart."""
    by_class = {}
    for medicine, treatments in held:
        for drug_class in medicine.drug_classes:
            by_class.setdefault(drug_class, []).append((medicine, treatments))
    labels = dict(DrugClass.choices)
    flags = []
    for drug_class, medicines in by_class.items():
        if len(medicines) > 1:
            names = join(
                [f"{m.name} ({m.route}, in {join([t.name for t in ts])})" for m, ts in medicines]
            )
            flags.append(
                make_flag(
                    "duplicate_therapy",
                    f"Duplicate therapy in the cart: {names}, each a "
                    f"{labels.get(drug_class, drug_class).lower()}.",
                    Grade.INTERACTION,
                )
            )
    return flags


def join(names):
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
