"""Issue 19, item 14: an email carrying the clinician's words or the prescription goes only to
an address she has proven (signed in once with a code sent to it); until then it says "your
order was reviewed, sign in to read it"."""

import pytest
from django.core import mail
from django.test import Client

from clinic.services.review import approve_order, decline_order
from orders.emails import PRIVATE, send_order_email
from orders.models import has_proven_email
from patients.accounts import patient_user_for
from tests.support.clinic import considered, order_to_review
from tests.support.patients import prove_email
from tests.support.staff import staff

pytestmark = pytest.mark.django_db

NOTE = "Recheck potassium in 3 months."
REASON = "Your potassium needs checking first."


def approved_order():
    order = order_to_review()
    approve_order(
        order, considered=considered(order), by=staff("clinician"), note=NOTE, attested=True
    )
    return order


def sent(order, kind, **extra):
    mail.outbox.clear()
    send_order_email.enqueue(order.pk, kind, extra)
    [message] = mail.outbox
    [(html, _)] = message.alternatives
    return message, html


def clinical_text(order):
    rx = order.prescriptions.get()
    return [NOTE, REASON, rx.directions, rx.strength, "potassium"]


@pytest.mark.parametrize("kind", PRIVATE)
def test_to_an_unproven_address_the_email_says_reviewed_and_nothing_clinical(kind):
    order = approved_order()
    order.review_note = NOTE if kind == "approved" else REASON
    order.save(update_fields=["review_note"])
    message, html = sent(order, kind, amount_cents=2200)

    assert message.subject == f"Your order {order.reference} was reviewed: sign in to read it"
    for part in (message.body, html):
        assert "sign in to read them" in part and order.reference in part
        for words in clinical_text(order):
            assert words not in part, (kind, words)
        assert "approved" not in part.lower() and "renew" not in part.lower()


@pytest.mark.parametrize("kind", PRIVATE)
def test_once_she_signed_in_with_a_code_the_email_carries_the_text(kind):
    order = approved_order()
    order.review_note = NOTE if kind == "approved" else REASON
    order.save(update_fields=["review_note"])
    prove_email("Jane@Example.com")  # any letter case
    message, html = sent(order, kind, amount_cents=2200)

    assert "was reviewed" not in message.subject
    rx = order.prescriptions.get()
    expected = {
        "approved": [NOTE, rx.directions],
        "declined": [REASON],
        "renewal_declined": [REASON],
        "prescription_changed": [rx.strength],
    }[kind]
    for words in expected:
        assert words in message.body and words in html.replace("<br>", "\n"), (kind, words)


def test_the_real_decline_follows_the_same_rule(django_capture_on_commit_callbacks):
    order = order_to_review(3200)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        decline_order(order, by=staff("clinician"), reason=REASON)
    [message] = mail.outbox
    assert REASON not in message.body and "sign in" in message.body


def test_only_a_patient_who_signed_in_has_proven_her_address():
    assert not has_proven_email("jane@example.com")
    user = patient_user_for("jane@example.com")  # made when she asked for a code
    assert not has_proven_email("jane@example.com")  # ...but never typed it
    staff_user = staff("support", "sam")
    staff_user.email, staff_user.last_login = "sam@example.com", user.date_joined
    staff_user.save()
    assert not has_proven_email("sam@example.com")  # staff are no patient
    Client().force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    assert has_proven_email("JANE@example.com")
