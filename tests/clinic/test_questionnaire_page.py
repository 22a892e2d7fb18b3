"""The questionnaire as a patient meets it: a stop, what to do about it, and going on."""

import pytest

from orders.models import Order
from tests.support.factories import answers, make_plan

pytestmark = [pytest.mark.usefixtures("test_mode"), pytest.mark.django_db]


def test_removing_the_stopped_treatment_from_the_stop_box_lets_her_go_on(client):
    unsafe = make_plan("Spironolactone", 1400)
    safe = make_plan("Metformin HCL Lotion 20%", 4300, form="topical")
    for plan in (unsafe, safe):
        client.post("/cart/add/", {"plan": plan.pk})
    # (Trying to conceive: since issue 17, breastfeeding with spironolactone is a flag.)
    data = answers(
        trying_to_conceive="yes",
        medicine_1_name="Folic acid",
        no_medicines="",
        biguanide_alcohol="no",
        antiandrogen_potassium_medicines="no",
        antiandrogen_high_potassium="no",
    )
    html = client.post("/checkout/", data).content.decode()
    assert "<strong>Spironolactone:</strong>" in html
    assert "Metformin HCL Lotion 20%:" not in html  # only the unsafe one is stopped
    assert "<strong>What you can do:</strong> Remove it from your cart" in html
    assert Order.objects.count() == 0

    # The stop box's own button: remove it and come back to the questions.
    response = client.post("/cart/remove/", {"plan": unsafe.pk, "next": "checkout"})
    assert response.status_code == 302 and response["Location"] == "/checkout/"
    assert "We can't continue" not in client.get("/checkout/").content.decode()
    assert "Folic acid" in client.get("/checkout/?step=4").content.decode()  # answers kept
    html = client.get("/checkout/?step=2").content.decode()
    assert 'value="yes" id="id_trying_to_conceive_1" required checked' in html
    html = client.get("/checkout/?step=5").content.decode()
    assert "About spironolactone" not in html  # its questions went with it

    response = client.post("/checkout/", data)
    assert response.status_code == 302
    order = Order.objects.get()
    assert [line.treatment_name for line in order.lines.all()] == ["Metformin HCL Lotion 20%"]
    assert {
        "key": "trying_to_conceive",
        "message": "Are you trying to conceive? Yes.",
        "grade": "caution",
    } in (order.questionnaire.flags)


def test_under_18_is_told_kindly_why_and_what_to_do(client):
    client.post("/cart/add/", {"plan": make_plan("Oral Metformin ER", 2200).pk})
    response = client.post(
        "/checkout/", answers(date_of_birth="2015-06-01", biguanide_alcohol="no")
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "We can't continue with your order" in html
    assert "you need to be 18 or older" in html
    assert "talk to your own doctor" in html
    assert 'id="id_date_of_birth_error"' in html
    assert Order.objects.count() == 0


def test_errors_are_announced_with_the_field_they_belong_to(client):
    client.post("/cart/add/", {"plan": make_plan("Oral Minoxidil", 2500).pk})
    html = client.post("/checkout/", {"full_name": "Jane"}).content.decode()
    # text inputs: described by their hint and their error, marked invalid
    assert 'aria-invalid="true" aria-describedby="id_email_helptext id_email_error"' in html
    assert (
        '<ul class="errorlist" id="id_email_error">'
        "<li>Enter your email address, e.g. name@example.com.</li></ul>"
    ) in html
    # radio groups: the fieldset points at the error, which sits under its legend
    data = answers()
    data.pop("vasodilator_heart_failure")
    html = client.post("/checkout/", data).content.decode()
    assert '<fieldset aria-describedby="id_vasodilator_heart_failure_error">' in html
    assert (
        '<ul class="errorlist" id="id_vasodilator_heart_failure_error"><li>Choose an answer to'
        in html
    )
    assert 'role="alert"' in html  # the summary at the top is announced


def test_answers_leave_the_browser_session_once_the_order_is_placed(client):
    """Defect: answers stayed in the session for 14 days, pre-filled for the next person."""
    client.post("/cart/add/", {"plan": make_plan("Oral Metformin ER", 2200).pk})
    bad = answers(medicine_1_name="Metoprolol 25 mg", no_medicines="", biguanide_alcohol="")
    assert client.post("/checkout/", bad).status_code == 400
    assert "Metoprolol 25 mg" in client.get("/checkout/?step=4").content.decode()  # she is back
    response = client.post(
        "/checkout/",
        answers(medicine_1_name="Metoprolol 25 mg", no_medicines="", biguanide_alcohol="no"),
    )
    assert response.status_code == 302  # to the test-mode payment page
    assert "checkout_answers" not in client.session
    assert "Metoprolol 25 mg" not in client.get("/checkout/?step=4").content.decode()


def test_answers_kept_for_a_return_expire_after_a_few_hours(client, settings):
    client.post("/cart/add/", {"plan": make_plan("Oral Metformin ER", 2200).pk})
    client.post(
        "/checkout/",
        answers(medicine_1_name="Metoprolol 25 mg", no_medicines="", biguanide_alcohol=""),
    )
    session = client.session
    session["checkout_answers"]["saved_at"] -= settings.CHECKOUT_ANSWERS_MAX_AGE + 1
    session.save()
    assert "Metoprolol 25 mg" not in client.get("/checkout/").content.decode()
    assert "checkout_answers" not in client.session


def test_an_answer_that_stopped_checkout_expires_with_her_answers(client, settings):
    """What stopped her is health data too: never kept in the browser longer than her
    answers. Since issue 17 the stop itself is kept on the server (clinic.stop_records), so
    the clinician still sees the changed answer."""
    client.post("/cart/add/", {"plan": make_plan("Spironolactone", 1400).pk})
    assert client.post("/checkout/", answers(pregnant="yes")).status_code == 400
    assert client.session["checkout_answers"]["stopped"] == {"pregnant": "yes"}
    session = client.session
    session["checkout_answers"]["saved_at"] -= settings.CHECKOUT_ANSWERS_MAX_AGE + 1
    session.save()
    assert client.post("/checkout/", answers(pregnant="no")).status_code == 302
    assert "checkout_answers" not in client.session
    [flag] = Order.objects.get().questionnaire.flags
    assert flag["message"].startswith("Answer changed after a stop in an earlier questionnaire")


def test_junk_in_the_session_is_no_stop(client):
    client.post("/cart/add/", {"plan": make_plan("Oral Metformin ER", 2200).pk})
    client.post("/checkout/", answers(email="bad"))
    session = client.session
    session["checkout_answers"]["stopped"] = ["not", "a", "dict"]
    session.save()
    assert client.post("/checkout/", answers()).status_code == 302
    assert Order.objects.get().questionnaire.flags == []
