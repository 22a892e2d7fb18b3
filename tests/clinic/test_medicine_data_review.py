"""A medicine's drug classes and prescribing data change only when a second clinician (or
the medical director) approves one clinician's proposal, as the interaction rules do (issue
17); nobody edits them in the Medicine admin, and each change gives later orders a new rules
version."""

import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from clinic.clinical_data import current_rules, reject_change, rules_version
from clinic.medicine_data import approve_medicine_change, propose_medicine_change
from orders.models import MedicineDataChange
from tests.support.factories import medicine
from tests.support.staff import sign_in, staff
from treatments.models import Medicine

pytestmark = pytest.mark.django_db

LABEL = "Aldactone label, 2 Dosage and Administration: 100 mg/day is our limit now."


def spironolactone():
    medicine("spironolactone-oral")  # the seed catalog's, 25-100 mg tablets, at most 200 mg/day
    return Medicine.objects.get(slug="spironolactone-oral")


def at_most(milligrams):
    return {**spironolactone().dosing, "max_daily": milligrams}


def test_one_clinician_alone_cannot_lower_spironolactones_maximum():
    dr_lee = staff("clinician", "dr_lee")
    change = propose_medicine_change(
        dr_lee,
        medicine=spironolactone(),
        why=LABEL,
        drug_classes=["potassium_sparing_antiandrogen"],
        dosing=at_most(100),
    )
    assert spironolactone().dosing["max_daily"] == 200
    with pytest.raises(PermissionDenied, match="you proposed this change"):
        approve_medicine_change(change, dr_lee)
    assert spironolactone().dosing["max_daily"] == 200
    assert MedicineDataChange.objects.get(pk=change.pk).status == "proposed"


def test_a_second_clinician_approves_and_it_takes_effect_with_a_new_rules_version():
    spiro = spironolactone()
    before = rules_version(current_rules())
    change = propose_medicine_change(
        staff("clinician", "dr_lee"),
        medicine=spiro,
        why=LABEL,
        drug_classes=["potassium_sparing_antiandrogen"],
        dosing=at_most(100),
    )
    assert rules_version(current_rules()) == before  # a proposal changes nothing
    dr_kim = staff("clinician", "dr_kim")
    approve_medicine_change(change, dr_kim)
    assert spironolactone().dosing["max_daily"] == 100
    assert spironolactone().dosing["strengths"] == [25, 50, 100]
    change.refresh_from_db()
    assert (change.status, change.decided_by) == ("approved", dr_kim)
    assert rules_version(current_rules()) != before
    with pytest.raises(ValidationError, match="Already approved"):
        approve_medicine_change(change, staff("medical-director"))


def test_the_medical_director_may_approve_or_reject_but_support_may_not():
    dr_only = staff("clinician", "dr_only")
    lower = propose_medicine_change(
        dr_only,
        medicine=spironolactone(),
        why=LABEL,
        drug_classes=["potassium_sparing_antiandrogen"],
        dosing=at_most(100),
    )
    with pytest.raises(PermissionDenied, match="Only a clinician or the medical director"):
        approve_medicine_change(lower, staff("support"))
    reject_change(lower, staff("medical-director"))
    assert MedicineDataChange.objects.get(pk=lower.pk).status == "rejected"
    assert spironolactone().dosing["max_daily"] == 200


@pytest.mark.parametrize(
    ("drug_classes", "dosing", "field", "message"),
    [
        (["potassium_sparing_antiandrogen"], lambda: at_most(-5), "dosing", "maximum daily dose"),
        (["potassium_sparing_antiandrogen"], lambda: [200], "dosing", "as a table of fields"),
        (["statin"], lambda: at_most(100), "drug_classes", "Choose drug classes from the list."),
    ],
)
def test_an_invalid_proposal_is_refused_with_what_to_fix(drug_classes, dosing, field, message):
    with pytest.raises(ValidationError) as refused:
        propose_medicine_change(
            staff("clinician", "dr_lee"),
            medicine=spironolactone(),
            why=LABEL,
            drug_classes=drug_classes,
            dosing=dosing(),
        )
    assert message in refused.value.message_dict[field][0]
    assert not MedicineDataChange.objects.exists()


def test_a_proposal_changes_something_and_says_why():
    spiro, dr_lee = spironolactone(), staff("clinician", "dr_lee")
    same = {"drug_classes": spiro.drug_classes, "dosing": spiro.dosing}
    with pytest.raises(ValidationError, match="Nothing changes: edit the drug classes"):
        propose_medicine_change(dr_lee, medicine=spiro, why=LABEL, **same)
    with pytest.raises(ValidationError, match="Say why, with the label section."):
        propose_medicine_change(dr_lee, medicine=spiro, why=" ", **{**same, "dosing": at_most(100)})
    assert not MedicineDataChange.objects.exists()


def test_the_medicine_admin_shows_its_clinical_data_read_only_to_everyone(client):
    spiro = spironolactone()
    url = reverse("admin:treatments_medicine_change", args=[spiro.pk])
    dr_lee = staff("clinician", "dr_lee")
    for user in (dr_lee, staff("superuser", "root")):
        sign_in(client, user)
        page = client.get(url).content.decode()
        assert 'name="dosing"' not in page and 'name="drug_classes"' not in page
        assert "Potassium-sparing" in page and "&quot;max_daily&quot;: 200" in page
        propose = reverse("admin:orders_medicinedatachange_add") + f"?medicine={spiro.pk}"
        assert f'href="{propose}"' in page
        client.logout()
    sign_in(client, dr_lee)
    new = client.get(reverse("admin:treatments_medicine_add")).content.decode()
    assert "Save the medicine, then propose its drug classes and prescribing data." in new


def test_in_the_admin_one_clinician_proposes_and_another_approves(client):
    spiro, dr_lee = spironolactone(), staff("clinician", "dr_lee")
    sign_in(client, dr_lee)
    url = reverse("admin:orders_medicinedatachange_add")
    form = client.get(f"{url}?medicine={spiro.pk}").content.decode()
    assert "&quot;max_daily&quot;: 200" in form  # starts from the medicine as it is
    assert client.get(f"{url}?medicine=spironolactone").status_code == 200
    proposal = {
        "medicine": spiro.pk,
        "drug_classes": ["potassium_sparing_antiandrogen"],
        "dosing": json.dumps(at_most(0)),
        "why": LABEL,
    }
    refused = client.post(url, proposal).content.decode()
    assert "Give the maximum daily dose for this use." in refused
    assert client.post(url, {**proposal, "dosing": "{max_daily: 100"}).status_code == 200
    assert client.post(url, {**proposal, "dosing": json.dumps(at_most(100))}).status_code == 302
    change = MedicineDataChange.objects.get()
    assert change.proposed_by == dr_lee and change.dosing["max_daily"] == 100
    assert change.was_dosing["max_daily"] == 200
    page = client.get(reverse("admin:orders_medicinedatachange_change", args=[change.pk]))
    assert "What it changes" in page.content.decode()
    assert "max_daily: 200 → 100" in page.content.decode()

    changelist = reverse("admin:orders_medicinedatachange_changelist")
    action = {"action": "approve", "_selected_action": [change.pk]}
    own = client.post(changelist, action, follow=True).content.decode()
    assert "you proposed this change" in own
    assert spironolactone().dosing["max_daily"] == 200
    client.logout()
    sign_in(client, staff("clinician", "dr_kim"))
    done = client.post(changelist, action, follow=True).content.decode()
    assert "Change Spironolactone" in done and "approved, in effect" in done
    assert spironolactone().dosing["max_daily"] == 100


def test_support_sees_no_medicine_data_changes(client):
    sign_in(client, staff("support"))
    assert client.get(reverse("admin:orders_medicinedatachange_changelist")).status_code == 403


def test_a_proposal_overtaken_by_another_approved_one_is_refused():
    spiro, dr_lee, dr_kim = (
        spironolactone(),
        staff("clinician", "dr_lee"),
        staff("clinician", "dr_kim"),
    )
    classes = ["potassium_sparing_antiandrogen"]
    lower = propose_medicine_change(
        dr_lee, medicine=spiro, why=LABEL, drug_classes=classes, dosing=at_most(100)
    )
    lowest = propose_medicine_change(
        dr_kim, medicine=spiro, why=LABEL, drug_classes=classes, dosing=at_most(50)
    )
    approve_medicine_change(lower, dr_kim)
    with pytest.raises(ValidationError, match="Spironolactone has changed since this proposal"):
        approve_medicine_change(lowest, dr_lee)
    assert spironolactone().dosing["max_daily"] == 100
    assert MedicineDataChange.objects.get(pk=lowest.pk).status == "proposed"


def test_what_a_proposal_changes_reads_line_by_line():
    change = MedicineDataChange(
        was_drug_classes=["biguanide"],
        drug_classes=["biguanide", "vasodilator"],
        was_dosing={"form": "tablet", "max_daily": 2000, "scored": True},
        dosing={"form": "tablet", "max_daily": 1500, "how": "with dinner"},
    )
    assert change.differences() == [
        "drug classes: ['biguanide'] → ['biguanide', 'vasodilator']",
        "how: (none) → with dinner",
        "max_daily: 2000 → 1500",
        "scored: True → (none)",
    ]
