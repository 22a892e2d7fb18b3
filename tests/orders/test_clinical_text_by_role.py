"""Issue 19, item 4: minimum necessary. Support and Fulfillment crawl every admin page their
role reaches and never read a clinician's note or decline reason, prescription directions or
doses, her reports or a clinical hold; a clinician reads them, and each showing is logged."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils.html import escape

from clinic.services.reports import HOLD_REASON, stop_treatment
from clinic.services.review import approve_order, decline_order
from orders.models import Hold, Order, OrderEvent, Prescription, QuestionnaireAccess
from orders.services.holds import open_hold
from patients.services.messages import ask_patient
from tests.oana.test_crawl_admin import urls_for
from tests.support.clinic import considered, order_to_review
from tests.support.staff import sign_in, staff

pytestmark = [pytest.mark.usefixtures("test_mode"), pytest.mark.django_db]

NOTE = "Take it with dinner; recheck potassium-zx41 in 3 months."
DECLINE = "Declined-qq7: potassium too high for spironolactone."
QUESTION = "Question-kk2: do you take lithium?"
EXTRA = "Extra-direction-pp9: avoid salt substitutes."
STOP = "Stop-reason-ww5: swelling of the ankles."


@pytest.fixture
def clinic_day():
    """An approved order (note, prescription, a report and a treatment stopped after it),
    and a declined one (a question first, then a reason)."""
    clinician = staff("clinician", "dr_lee")
    approved = order_to_review()
    approve_order(approved, considered=considered(approved), by=clinician, note=NOTE, attested=True)
    Prescription.objects.filter(order=approved).update(extra_directions=EXTRA)
    hold = open_hold(approved, Hold.Kind.PATIENT_REPORT, HOLD_REASON, actor_label="Her report")
    # a second treatment would stay; this one is stopped: her report is closed with the reason
    approved = Order.objects.get(pk=approved.pk)
    stop_treatment(approved, lines=list(approved.lines.all()), reason=STOP, by=clinician)
    hold.refresh_from_db()
    assert hold.outcome == f"Stopped: {STOP}"

    declined = order_to_review(email="ann@example.com")
    ask_patient(declined, by=clinician, question=QUESTION)
    decline_order(Order.objects.get(pk=declined.pk), by=clinician, reason=DECLINE)
    rx = Prescription.objects.get(order=approved)
    clinical = [NOTE, DECLINE, QUESTION, EXTRA, STOP, rx.directions, HOLD_REASON]
    clinical += ["She reported a side effect", "Your clinician stopped a treatment"]
    clinical += ["Your clinician has a question before deciding"]
    return approved, declined, [escape(text) for text in clinical]


@pytest.mark.parametrize("role", ["support", "fulfillment"])
def test_support_and_fulfillment_never_read_clinical_text(client, clinic_day, role):
    approved, declined, clinical = clinic_day
    user = staff(role, f"crawl-{role}")
    sign_in(client, user)
    urls = urls_for(user)
    order_pages = {f"/admin/orders/order/{o.pk}/change/" for o in (approved, declined)}
    assert order_pages <= set(urls)
    for url in urls:
        response = client.get(url)
        if response.status_code != 200:
            continue
        html = response.content.decode()
        leaked = [text for text in clinical if text in html]
        assert not leaked, (role, url, leaked)
    page = client.get(f"/admin/orders/order/{approved.pk}/change/").content.decode()
    # What they need is there: what to pack, the money, that a clinician holds it.
    rx = Prescription.objects.get(order=approved)
    assert rx.strength in page and rx.medicine_name in page
    assert "Clinical: shown to clinicians only" in page
    assert (
        "Declined by clinician"
        in client.get(f"/admin/orders/order/{declined.pk}/change/").content.decode()
    )
    assert not QuestionnaireAccess.objects.exists()


def test_a_clinician_reads_it_all_and_each_showing_is_logged(client, clinic_day):
    approved, declined, clinical = clinic_day
    clinician = Order.objects.get(pk=approved.pk).reviewed_by
    sign_in(client, clinician)
    pages = "".join(
        client.get(f"/admin/orders/order/{o.pk}/change/").content.decode()
        for o in (approved, declined)
    )
    hold = Hold.objects.get(order=approved)
    pages += client.get("/admin/orders/hold/").content.decode()
    pages += client.get(f"/admin/orders/hold/{hold.pk}/change/").content.decode()
    for text in clinical:
        if text != escape(QUESTION):  # her question is in the medical messages, not here
            assert text in pages, text
    assert list(QuestionnaireAccess.objects.order_by("id").values_list("order", "where")) == [
        (approved.pk, "order page"),
        (declined.pk, "order page"),
        (approved.pk, "holds"),
        (approved.pk, "hold page"),
    ]


def test_a_hold_about_money_reads_the_same_for_everyone(client, clinic_day):
    approved, _, _ = clinic_day
    open_hold(
        approved, Hold.Kind.DISPUTE, "Dispute-mm3: product not received", actor_label="Stripe"
    )
    for role in ("support", "clinician"):
        sign_in(client, staff(role, f"h-{role}"))
        listing = client.get("/admin/orders/hold/").content.decode()
        assert "Dispute-mm3: product not received" in listing and "Payment disputed" in listing


def test_releasing_and_filtering_holds_name_no_clinical_kind_to_support(client, clinic_day):
    approved, _, _ = clinic_day
    hold = open_hold(approved, Hold.Kind.PREGNANCY, "She is 8 weeks pregnant-vv1", actor_label="x")
    sign_in(client, staff("support", "sam"))
    form = client.post(
        "/admin/orders/hold/", {"action": "release_selected", "_selected_action": [hold.pk]}
    ).content.decode()
    assert f"{approved.reference}: Clinical hold (a clinician decides)" in form
    assert "pregnant-vv1" not in form and "pregnant or planning" not in form
    listing = client.get("/admin/orders/hold/", {"kind": "clinical"}).content.decode()
    assert "Clinical (a clinician decides)" in listing and "pregnant" not in listing.lower()
    assert listing.count(f">{approved.reference}</a>") == 2  # her report and this one

    sign_in(client, staff("clinician", "dr_kim"))
    listing = client.get("/admin/orders/hold/", {"kind": "pregnancy"}).content.decode()
    assert "pregnant-vv1" in listing and listing.count(f">{approved.reference}</a>") == 1
    form = client.post(
        "/admin/orders/hold/", {"action": "release_selected", "_selected_action": [hold.pk]}
    ).content.decode()
    assert f"{approved.reference}: She is pregnant or planning to be" in form
    assert "pregnant-vv1" in form


@pytest.mark.django_db(transaction=True)  # SQLite's schema editor refuses an open transaction
def test_a_release_outcome_already_in_the_plain_data_moves_into_the_encrypted_note():
    """Before this change ``release_hold`` kept the outcome in the plain ``data``."""
    before = [("orders", "0025_meddata_medicine_data_change")]
    after = [("orders", "0026_hold_outcome_into_the_timeline_note")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        then = executor.loader.project_state(before).apps
        OldEvent, OldOrder = (
            then.get_model("orders", "OrderEvent"),
            then.get_model("orders", "Order"),
        )
        order = OldOrder.objects.create(email="a@example.com", full_name="A")
        event = OldEvent.objects.create(
            order=order, kind="hold_released", data={"hold": 1, "outcome": STOP}
        )
        executor = MigrationExecutor(connection)
        executor.migrate(after)
        moved = OrderEvent.objects.get(pk=event.pk)
        assert (moved.data, moved.note) == ({"hold": 1}, STOP)
        executor = MigrationExecutor(connection)
        executor.migrate(before)  # and back
        back = OldEvent.objects.get(pk=event.pk)
        assert (back.data, back.note) == ({"hold": 1, "outcome": STOP}, "")
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
