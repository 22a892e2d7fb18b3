"""Adverse events: every report is kept per treatment with its severity; serious ones top the
review queue and wait for the clinic's pharmacovigilance follow-up, clinicians only."""

from dataclasses import replace

import pytest
from django.core.exceptions import PermissionDenied

from clinic.services.adverse_events import mark_followed_up
from clinic.services.prescriptions import drafts_for
from clinic.services.review import approve_order
from orders.models import AdverseEvent, Order, QuestionnaireAccess
from tests.support.factories import make_paid_order, make_plan
from tests.support.patients import sign_in_patient
from tests.support.staff import sign_in, staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def clinician():
    return staff("clinician", "dr_pv")


def approved(clinician, name="Spironolactone", email="jane@example.com"):
    order = make_paid_order(make_plan(name, 3000), email=email)
    drafts = [replace(draft, refills=3) for draft in drafts_for(order)]
    approve_order(order, by=clinician, prescriptions=drafts, attested=True)
    return Order.objects.get(pk=order.pk)


def report(client, order, **data):
    sign_in_patient(client, order)
    response = client.post(f"/orders/{order.public_id}/report/", data)
    assert response.status_code == 302
    client.logout()


@pytest.mark.parametrize(
    ("data", "severity", "follow_up"),
    [
        ({"kind": "side_effect", "severe": "no"}, "mild", False),
        ({"kind": "side_effect", "severe": "yes"}, "severe", False),
        ({"kind": "side_effect", "emergency_signs": ["fainting"]}, "serious", True),
        ({"kind": "pregnancy"}, "mild", True),
    ],
)
def test_a_report_is_kept_as_an_adverse_event(client, clinician, data, severity, follow_up):
    order = approved(clinician)
    report(client, order, started="Tuesday", details="Dizzy in the mornings.", **data)
    [event] = AdverseEvent.objects.all()
    assert (event.severity, event.needs_follow_up, event.source) == (severity, follow_up, "report")
    assert (event.medicine, event.onset, event.line) == (
        "Spironolactone",
        "Tuesday",
        order.lines.get(),
    )
    assert event.kind == ("pregnancy" if data["kind"] == "pregnancy" else "side_effect")
    assert "Dizzy in the mornings." in event.description
    assert event.outcome == "ongoing"


def test_a_serious_event_tops_the_queue_and_is_flagged(client, clinician):
    waiting = make_paid_order(make_plan("Oral Metformin ER", 2200), email="first@example.com")
    urgent = approved(clinician, email="urgent@example.com")
    serious = approved(clinician, email="serious@example.com")
    report(client, urgent, kind="side_effect", severe="yes")
    report(client, serious, kind="side_effect", emergency_signs=["chest_pain"])
    sign_in(client, clinician)
    response = client.get("/admin/orders/reviewqueueorder/")
    rows = [order.pk for order in response.context_data["cl"].result_list]
    assert rows == [serious.pk, urgent.pk, waiting.pk]
    html = response.content.decode()
    assert html.count('data-testid="serious-event"') == 1


def test_the_pharmacovigilance_list_for_clinicians(client, clinician):
    order = approved(clinician)
    other = approved(clinician, email="b@example.com")
    report(client, order, kind="side_effect", emergency_signs=["breathing"])
    report(client, other, kind="side_effect")
    serious = AdverseEvent.objects.get(order=order)
    sign_in(client, clinician)
    QuestionnaireAccess.objects.all().delete()
    response = client.get("/admin/orders/adverseevent/")
    assert response.status_code == 200
    listed = list(response.context_data["cl"].result_list)
    assert listed[0] == serious  # the follow-up to do first
    assert "To do" in response.content.decode()
    assert QuestionnaireAccess.objects.filter(where="adverse events").count() == 2
    todo = client.get("/admin/orders/adverseevent/?follow_up=todo").context_data["cl"]
    assert list(todo.result_list) == [serious]

    page = client.get(f"/admin/orders/adverseevent/{serious.pk}/change/")
    assert "Trouble breathing" in page.content.decode()
    assert QuestionnaireAccess.objects.filter(where="adverse event").count() == 1
    response = client.post(
        f"/admin/orders/adverseevent/{serious.pk}/change/",
        {"severity": "serious", "outcome": "recovered", "follow_up_note": "MedWatch 3500 sent."},
    )
    assert response.status_code == 302
    response = client.post(
        "/admin/orders/adverseevent/",
        {"action": "follow_up_done", "_selected_action": [serious.pk]},
    )
    assert response.status_code == 302
    serious.refresh_from_db()
    assert (serious.outcome, serious.follow_up_note) == ("recovered", "MedWatch 3500 sent.")
    assert serious.followed_up_by == clinician and serious.followed_up_at is not None
    assert order.events.filter(kind="adverse_event_followed_up").exists()
    done = client.get("/admin/orders/adverseevent/?follow_up=done").context_data["cl"]
    assert list(done.result_list) == [serious]
    assert mark_followed_up([serious], by=clinician) == 0  # done once
    assert "Done" in client.get("/admin/orders/adverseevent/").content.decode()


@pytest.mark.parametrize("role", ["support", "fulfillment", "content-editor"])
def test_other_staff_never_see_adverse_events(client, clinician, role):
    order = approved(clinician)
    report(client, order, kind="side_effect")
    event = AdverseEvent.objects.get()
    user = staff(role, f"{role}-x")
    sign_in(client, user)
    assert client.get("/admin/orders/adverseevent/").status_code == 403
    assert client.get(f"/admin/orders/adverseevent/{event.pk}/change/").status_code in (302, 403)
    with pytest.raises(PermissionDenied):
        mark_followed_up([event], by=user)


def test_nobody_adds_or_deletes_an_adverse_event(client, clinician):
    sign_in(client, staff("superuser", "root"))
    assert client.get("/admin/orders/adverseevent/add/").status_code == 403
