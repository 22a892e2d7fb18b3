"""The interaction rules live in the database, seeded once from the project's file, and change
only when a second person approves a clinician's proposal (issue 17, "Clinical data changes
need two clinicians"); each change gives the orders checked after it a new rules version."""

from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.urls import reverse

from clinic.clinical_data import (
    approve_change,
    check_rule,
    current_rules,
    propose_change,
    read_rules_file,
    reject_change,
    rules_version,
    seed_interaction_rules,
)
from orders.models import ClinicalDataChange, InteractionRule
from tests.support.staff import sign_in, staff

pytestmark = pytest.mark.django_db

DIGOXIN_CAUTION = {
    "ordered_class": "potassium_sparing_antiandrogen",
    "taken": "digoxin",
    "grade": "caution",
    "reason": "Digoxin with spironolactone: check digoxin levels.",
    "source": "Aldactone label, 7.4 Digoxin",
}


def rule(taken):
    return InteractionRule.objects.get(ordered_class="potassium_sparing_antiandrogen", taken=taken)


def test_the_migration_seeded_the_files_rules_and_a_second_seed_changes_nothing():
    in_file = read_rules_file()
    assert len(in_file) == InteractionRule.objects.count() == 24
    eplerenone = rule("eplerenone")
    assert eplerenone.grade == "contraindication"
    assert (
        eplerenone.source == "Aldactone label, 4 Contraindications (concomitant use of eplerenone)"
    )
    InteractionRule.objects.filter(pk=eplerenone.pk).update(reason="Changed by review.")
    assert seed_interaction_rules() == 0
    assert rule("eplerenone").reason == "Changed by review."
    InteractionRule.objects.all().delete()
    out = StringIO()
    call_command("seed", stdout=out)
    assert "Interaction rules: first version, from clinic/data/interactions.toml." in out.getvalue()
    assert InteractionRule.objects.count() == 24


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("ordered_class", "statin", "Choose a drug class we prescribe."),
        ("taken", "lisinipril", "Name a class or an ingredient of the vocabulary"),
        ("grade", "unrecognised", "Choose contraindication, interaction or caution."),
        ("reason", " ", "Please fill this in."),
        ("source", "", "Please fill this in."),
    ],
)
def test_a_rule_names_a_class_we_prescribe_and_a_class_or_ingredient_of_the_vocabulary(
    field, value, error
):
    check_rule(DIGOXIN_CAUTION)
    with pytest.raises(ValidationError) as raised:
        check_rule({**DIGOXIN_CAUTION, field: value})
    assert error in raised.value.message_dict[field][0]


def test_a_proposal_changes_nothing_until_a_second_clinician_approves_it():
    before = rules_version(current_rules())
    dr_lee, dr_kim = staff("clinician", "dr_lee"), staff("clinician", "dr_kim")
    change = propose_change(
        dr_lee,
        action="change",
        rule=rule("digoxin"),
        why="Monitoring is enough: label 7.4.",
        **DIGOXIN_CAUTION,
    )
    assert rule("digoxin").grade == "interaction"
    with pytest.raises(PermissionDenied, match="you proposed this change"):
        approve_change(change, dr_lee)
    approve_change(change, dr_kim)
    assert rule("digoxin").grade == "caution"
    change.refresh_from_db()
    assert (change.status, change.decided_by) == ("approved", dr_kim)
    assert rules_version(current_rules()) != before
    with pytest.raises(ValidationError, match="Already approved"):
        reject_change(change, staff("clinician", "dr_third"))


def test_a_clinic_with_one_clinician_names_a_medical_director_as_second_reviewer():
    change = propose_change(
        staff("clinician", "dr_only"),
        action="add",
        why="Aldactone label 7.1: drugs increasing serum potassium.",
        **{**DIGOXIN_CAUTION, "taken": "tacrolimus", "reason": "Tacrolimus raises potassium."},
    )
    with pytest.raises(PermissionDenied, match="Only a clinician or the medical director"):
        approve_change(change, staff("support"))
    approve_change(change, staff("medical-director"))
    assert rule("tacrolimus").reason == "Tacrolimus raises potassium."


def test_a_removal_carries_the_rule_it_removes_and_a_rejection_changes_nothing():
    dr_lee, director = staff("clinician", "dr_lee"), staff("medical-director")
    removal = propose_change(dr_lee, action="remove", rule=rule("digoxin"), why="Label 7.4.")
    assert removal.taken == "digoxin" and removal.reason.startswith("Digoxin with")
    rejected = propose_change(dr_lee, action="remove", rule=rule("lithium"), why="No.")
    reject_change(rejected, director)
    approve_change(removal, director)
    assert not InteractionRule.objects.filter(taken="digoxin").exists()
    assert InteractionRule.objects.filter(taken="lithium").exists()
    assert ClinicalDataChange.objects.get(pk=rejected.pk).status == "rejected"


def test_proposals_that_cannot_apply_are_refused():
    dr_lee, director = staff("clinician", "dr_lee"), staff("medical-director")
    with pytest.raises(ValidationError, match="Choose the rule to change or remove"):
        propose_change(dr_lee, action="change", why="x", **DIGOXIN_CAUTION)
    with pytest.raises(ValidationError, match="A new rule changes no existing rule"):
        propose_change(dr_lee, action="add", rule=rule("lithium"), why="x", **DIGOXIN_CAUTION)
    with pytest.raises(ValidationError, match="Say why"):
        propose_change(dr_lee, action="add", why=" ", **DIGOXIN_CAUTION)
    twice = propose_change(dr_lee, action="add", why="Label 7.4.", **DIGOXIN_CAUTION)
    with pytest.raises(ValidationError, match="A rule for this pair already exists"):
        approve_change(twice, director)
    gone = propose_change(dr_lee, action="change", rule=rule("lithium"), why="x", **DIGOXIN_CAUTION)
    rule("lithium").delete()
    with pytest.raises(ValidationError, match="The rule it changes no longer exists"):
        approve_change(gone, director)


def test_in_the_admin_one_clinician_proposes_and_another_approves(client):
    dr_lee = staff("clinician", "dr_lee")
    sign_in(client, dr_lee)
    rules = client.get(reverse("admin:orders_interactionrule_changelist")).content.decode()
    assert "Aldactone label, 4 Contraindications" in rules
    url = reverse("admin:orders_clinicaldatachange_add")
    blank = client.post(url, {"why": ""}).content.decode()
    assert blank.count("This field is required.") == 2  # what to do, and why
    refused = client.post(url, {"action": "change", **DIGOXIN_CAUTION, "why": "Label 7.4."})
    assert "Choose the rule to change or remove." in refused.content.decode()
    response = client.post(
        url,
        {"action": "change", "rule": rule("digoxin").pk, **DIGOXIN_CAUTION, "why": "Label 7.4."},
    )
    assert response.status_code == 302
    change = ClinicalDataChange.objects.get()
    assert change.proposed_by == dr_lee and change.grade == "caution"
    assert rule("digoxin").grade == "interaction"

    changelist = reverse("admin:orders_clinicaldatachange_changelist")
    action = {"action": "approve", "_selected_action": [change.pk]}
    own = client.post(changelist, action, follow=True).content.decode()
    assert "you proposed this change" in own
    assert rule("digoxin").grade == "interaction"

    client.logout()
    sign_in(client, staff("clinician", "dr_kim"))
    done = client.post(changelist, action, follow=True).content.decode()
    assert "approved, in effect" in done
    assert rule("digoxin").grade == "caution"
    again = client.post(changelist, {**action, "action": "reject"}, follow=True)
    assert "Already approved" in again.content.decode()
    page = client.get(reverse("admin:orders_clinicaldatachange_change", args=[change.pk]))
    assert page.status_code == 200  # read only: a proposal is never edited


def test_only_reviewers_see_the_rules_and_the_proposals(client):
    sign_in(client, staff("support"))
    assert client.get(reverse("admin:orders_interactionrule_changelist")).status_code == 403
    assert client.get(reverse("admin:orders_clinicaldatachange_changelist")).status_code == 403
