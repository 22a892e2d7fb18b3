"""The interaction rules as data: seeded once from ``clinic/data/interactions.toml``, then read
from the database (``orders.InteractionRule``) and changed only by a second person's approval
of a proposed ``ClinicalDataChange``.

- ``seed_interaction_rules`` (the data migration and ``manage.py seed``): fills an empty table
  from the file, validated against the vocabulary; a table with rules is never touched;
- ``current_rules``: the rules, in one query;
- ``rules_version``: the version of the vocabulary and rules an order was checked against;
- ``propose_change`` / ``approve_change`` / ``reject_change``: the two-person review (of a
  medicine's classes and prescribing data too: ``clinic.medicine_data``).
"""

import hashlib
import json
import tomllib
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from clinic.vocabulary import vocabulary
from orders.models import ClinicalDataChange, InteractionRule, RuleGrade
from treatments.models import DrugClass, Medicine

RULES_FILE = Path(__file__).resolve().parent / "data" / "interactions.toml"
RULE_FIELDS = ("ordered_class", "taken", "grade", "reason", "source")
APPROVE = "orders.approve_clinicaldatachange"


def check_rule(values):
    """Why a rule is not valid (a ``ValidationError`` naming the field), or nothing."""
    errors = {}
    if values.get("ordered_class") not in DrugClass.values:
        errors["ordered_class"] = "Choose a drug class we prescribe."
    if not vocabulary().knows(values.get("taken")):
        errors["taken"] = (
            "Name a class or an ingredient of the vocabulary (clinic/data/medicines.toml)."
        )
    if values.get("grade") not in RuleGrade.values:
        errors["grade"] = "Choose contraindication, interaction or caution."
    for field in ("reason", "source"):
        if not str(values.get(field) or "").strip():
            errors[field] = "Please fill this in."
    if errors:
        raise ValidationError(errors)


def read_rules_file(path=RULES_FILE):
    """The rules of the file, each checked: ``[{ordered_class, taken, grade, reason, source}]``."""
    with open(path, "rb") as file:
        data = tomllib.load(file)
    rules = []
    for row in data["rules"]:
        values = {
            "ordered_class": row["ordered"],
            "taken": row["taken"],
            "grade": row["grade"],
            "reason": row["reason"],
            "source": row["source"],
        }
        check_rule(values)
        rules.append(values)
    return rules


def seed_interaction_rules(rule_model=InteractionRule, path=RULES_FILE):
    """Fill an empty rules table from the file; returns how many rules were added. Takes the
    model so the data migration can run it with its historical model."""
    if rule_model.objects.exists():
        return 0
    rules = read_rules_file(path)
    rule_model.objects.bulk_create(rule_model(**values) for values in rules)
    return len(rules)


def current_rules():
    """The interaction rules in force (one query)."""
    return list(InteractionRule.objects.order_by("ordered_class", "taken"))


def rules_version(rules):
    """The vocabulary's version and a hash of the vocabulary file, ``rules`` and every
    medicine's clinical data (drug classes and prescribing data, one query): stored with each
    order, so the clinician knows which rules its flags and doses came from."""
    words = vocabulary()
    medicines = Medicine.objects.order_by("slug").values_list("slug", "drug_classes", "dosing")
    payload = json.dumps(
        [
            sorted([getattr(rule, field) for field in RULE_FIELDS] for rule in rules),
            [list(medicine) for medicine in medicines],
        ],
        sort_keys=True,
        default=str,
    ).encode()
    digest = hashlib.sha256(words.digest.encode() + payload).hexdigest()[:12]
    return f"{words.version}+{digest}"


# --- two-person review -------------------------------------------------------------------


def proposed_values(action, rule, values):
    """The rule fields a proposal carries, checked: a removal carries the rule's own."""
    Action = ClinicalDataChange.Action
    if action != Action.ADD and rule is None:
        raise ValidationError({"rule": "Choose the rule to change or remove."})
    if action == Action.ADD and rule is not None:
        raise ValidationError({"rule": "A new rule changes no existing rule: leave it blank."})
    if action == Action.REMOVE:
        values = {field: getattr(rule, field) for field in RULE_FIELDS}
    values = {field: values.get(field) for field in RULE_FIELDS}
    check_rule(values)
    return values


def propose_change(user, *, action, why, rule=None, **values):
    """Record a proposed change (nothing changes yet). Raises ``ValidationError``."""
    values = proposed_values(action, rule, values)
    if not str(why or "").strip():
        raise ValidationError({"why": "Say why, with the label section."})
    return ClinicalDataChange.objects.create(
        action=action, rule=rule, why=why, proposed_by=user, **values
    )


def decide(change, user):
    """The second reviewer of ``change`` (a ``ClinicalDataChange`` or a
    ``MedicineDataChange``), checked: someone with the approval permission who did not
    propose it, on a proposal not decided yet. Returns it locked, with the decision's author;
    call inside a transaction."""
    if not (user.is_active and user.has_perm(APPROVE)):
        raise PermissionDenied("Only a clinician or the medical director may decide this.")
    if change.proposed_by_id == user.pk:
        raise PermissionDenied("A second person must review it: you proposed this change.")
    with transaction.atomic():
        change = type(change).objects.select_for_update().get(pk=change.pk)
        if change.status != ClinicalDataChange.Status.PROPOSED:
            raise ValidationError(f"Already {change.get_status_display().lower()}.")
        change.decided_by, change.decided_at = user, timezone.now()
        return change


def approve_change(change, user):
    """The second review: the change takes effect now. Raises ``PermissionDenied`` for the
    proposer or someone without the approval permission, ``ValidationError`` if it no longer
    applies (decided already, or the rule is gone, or the pair already has a rule)."""
    with transaction.atomic():
        change = decide(change, user)
        values = {field: getattr(change, field) for field in RULE_FIELDS}
        check_rule(values)
        Action = ClinicalDataChange.Action
        if change.action != Action.ADD and change.rule_id is None:
            raise ValidationError("The rule it changes no longer exists.")
        clash = InteractionRule.objects.filter(
            ordered_class=change.ordered_class, taken=change.taken
        ).exclude(pk=change.rule_id)
        if change.action != Action.REMOVE and clash.exists():
            raise ValidationError("A rule for this pair already exists: change that one.")
        if change.action == Action.ADD:
            change.rule = InteractionRule.objects.create(**values)
        elif change.action == Action.CHANGE:
            InteractionRule.objects.filter(pk=change.rule_id).update(**values)
        else:
            InteractionRule.objects.filter(pk=change.rule_id).delete()
            change.rule = None
        change.status = ClinicalDataChange.Status.APPROVED
        change.save()
    return change


def reject_change(change, user):
    """Close a proposal (of either kind) without change."""
    with transaction.atomic():
        change = decide(change, user)
        change.status = ClinicalDataChange.Status.REJECTED
        change.save()
    return change
