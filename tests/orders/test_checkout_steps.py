"""The questionnaire in five steps: Back and Next, answers kept between steps, "Add another",
errors and stops at the step that causes them, and a rate limit an ordinary visit never meets."""

import pytest

from orders.models import Order
from tests.support.factories import answers, make_plan

pytestmark = [pytest.mark.usefixtures("test_mode"), pytest.mark.django_db]


def start(client, *names_and_prices):
    plans = [
        make_plan(name, price) for name, price in names_and_prices or [("Oral Metformin ER", 2200)]
    ]
    for plan in plans:
        client.post("/cart/add/", {"plan": plan.pk})
    return plans


def post_step(client, step, **overrides):
    return client.post("/checkout/", {**answers(**overrides), "step": str(step)})


def test_a_visit_walks_the_five_steps_and_places_the_order(client):
    start(client)
    html = client.get("/checkout/").content.decode()
    assert "Step 1 of 5" in html
    assert '<li aria-current="step">About you</li>' in html
    assert "5 short steps, 22 questions: about 8 minutes." in html  # the true count
    assert "<title>About you: step 1 of 5 | Oana Health</title>" in html
    for step in (1, 2, 3, 4):
        response = post_step(client, step)
        assert response.status_code == 302 and response["Location"] == f"/checkout/?step={step + 1}"
        html = client.get(response["Location"]).content.decode()
        assert f"Step {step + 1} of 5" in html
        assert f'<li class="is-done"><a href="?step={step}">' in html  # done steps link back
    assert "Before you pay" in html  # the agreements are on the last step
    response = post_step(client, 5)
    assert response.status_code == 302 and "/checkout/test-mode/" in response["Location"]
    order = Order.objects.get()
    assert order.email == "jane@example.com"
    assert order.questionnaire.answers["current_medicines"]["answer"] == "None"


def test_each_step_shows_its_own_questions(client):
    start(client)
    post_step(client, 1)
    pages = {n: client.get(f"/checkout/?step={n}").content.decode() for n in range(1, 6)}
    assert 'id="id_email"' in pages[1] and 'id="id_email"' not in pages[2]
    assert 'id="id_pregnant_0"' in pages[2]
    assert 'id="id_height_feet"' in pages[3] and "<legend>Your height</legend>" in pages[3]
    assert "<legend>Blood pressure</legend>" in pages[3]
    assert 'id="id_no_medicines"' in pages[4] and 'id="id_no_allergies"' in pages[4]
    assert 'id="id_goals_0"' in pages[5] and 'id="id_biguanide_alcohol_0"' in pages[5]
    # Checkboxes beside their labels.
    assert '<label class="check" for="id_no_medicines"><input type="checkbox"' in pages[4]


def test_a_later_step_without_a_draft_starts_at_the_first(client):
    start(client)
    response = client.get("/checkout/?step=3")
    assert response.status_code == 302 and response["Location"] == "/checkout/?step=1"
    for junk in ("9", "0", "x", "²", "1" * 40):
        assert "Step 1 of 5" in client.get("/checkout/", {"step": junk}).content.decode()


def test_back_keeps_the_answers_of_the_step_she_leaves(client):
    start(client)
    post_step(client, 1)
    response = client.post(
        "/checkout/", {"step": "2", "action": "back", "pregnant": "no", "breastfeeding": "yes"}
    )
    assert response.status_code == 302 and response["Location"] == "/checkout/?step=1"
    assert 'value="Jane Patient"' in client.get("/checkout/?step=1").content.decode()
    html = client.get("/checkout/?step=2").content.decode()
    assert 'value="yes" id="id_breastfeeding_1" required checked' in html
    assert 'value="no" id="id_pregnant_0" required checked' in html


def test_errors_are_those_of_the_step_and_link_to_their_fields(client):
    start(client)
    response = client.post("/checkout/", {**answers(state="", full_name=""), "step": "1"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "<title>Error: About you: step 1 of 5 | Oana Health</title>" in html
    assert (
        '<div id="errors" class="alert alert--error error-summary" tabindex="-1" role="alert" autofocus>'
        in html
    )
    assert '<a href="#id_full_name">Enter your legal name, as on your ID.</a>' in html
    assert '<a href="#id_state">Choose the state you live in.</a>' in html
    assert 'action="/checkout/#errors"' in html
    assert "There are 2 problems" in html
    # Questions of later steps, not asked yet, are not her errors.
    assert "pregnant" not in html.split('id="errors"')[1].split("</div>")[0]


def test_a_choice_left_unanswered_links_to_its_first_choice(client):
    start(client)
    post_step(client, 1)
    response = client.post("/checkout/", {**answers(pregnant=""), "step": "2"})
    html = response.content.decode()
    assert response.status_code == 400
    assert '<a href="#id_pregnant_0">Choose an answer to “Are you pregnant?”.</a>' in html


def test_answers_of_an_earlier_step_that_no_longer_fit_bring_her_back_to_it(client):
    start(client)
    post_step(client, 1)
    post_step(client, 2)
    session = client.session
    session["checkout_answers"]["answers"]["email"] = "not an email"
    session.save()
    response = post_step(client, 3)
    assert response.status_code == 400
    assert "Step 1 of 5" in response.content.decode()


def test_a_stop_appears_at_the_step_that_causes_it_and_never_offers_other_treatments(client):
    start(client, ("Spironolactone", 1400))
    post_step(client, 1)
    response = post_step(client, 2, pregnant="yes")
    html = response.content.decode()
    assert response.status_code == 400
    assert "Step 2 of 5" in html
    assert "We can't continue with your order" in html
    assert "Spironolactone is not safe during pregnancy" in html
    # One item in the cart: nothing tells her to continue with other treatments.
    assert "other treatments" not in html
    assert "Please talk to your obstetrician or our care team" in html
    assert '<input type="hidden" name="step" value="2">' in html
    assert Order.objects.count() == 0


def test_with_another_treatment_the_stop_offers_to_go_on_with_it(client):
    unsafe, _safe = start(client, ("Spironolactone", 1400), ("Metformin HCL Lotion 20%", 4300))
    post_step(client, 1)
    html = post_step(client, 2, trying_to_conceive="yes").content.decode()
    assert "Remove it from your cart to continue with your other treatments" in html
    # The stop box's button brings her back to the step she was on.
    response = client.post("/cart/remove/", {"plan": unsafe.pk, "next": "checkout", "step": "2"})
    assert response["Location"] == "/checkout/?step=2"
    response = client.post("/cart/remove/", {"plan": _safe.pk, "next": "checkout", "step": "99"})
    assert response["Location"] == "/checkout/"


def test_add_another_shows_one_more_row_and_focuses_it(client):
    start(client)
    post_step(client, 1)
    html = client.get("/checkout/?step=4").content.decode()
    assert 'id="id_medicine_1_name"' in html and 'id="id_medicine_2_name"' not in html
    assert 'id="id_allergy_1_name"' in html and 'id="id_allergy_2_name"' not in html
    response = client.post(
        "/checkout/",
        {
            "step": "4",
            "action": "add_medicine",
            "medicine_1_name": "Vitamin D",
            "medicine_1_dose": "1000 IU daily",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/checkout/?step=4#id_medicine_2_name"
    html = client.get("/checkout/?step=4").content.decode()
    assert 'value="Vitamin D"' in html
    assert "<legend>Medicine 2</legend>" in html
    assert (
        'name="medicine_2_name"' in html
        and "autofocus" in html.split('name="medicine_2_name"')[1][:200]
    )
    assert 'id="id_medicine_3_name"' not in html
    # Up to the rows the form has; then no more "Add another".
    for _ in range(5):
        client.post(
            "/checkout/", {"step": "4", "action": "add_medicine", "medicine_1_name": "Vitamin D"}
        )
    html = client.get("/checkout/?step=4").content.decode()
    assert 'id="id_medicine_5_name"' in html
    assert "Add another medicine" not in html and "Add another allergy" in html


def test_the_rate_limit_counts_questionnaires_not_steps(client, settings):
    """An ordinary visit, with Back, Add another and a mistake, never meets a 429."""
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "checkout": "2/h"}
    start(client)
    assert post_step(client, 1).status_code == 302  # started: 1
    assert post_step(client, 1, full_name="Jane Q Patient").status_code == 302  # not again
    for step in (2, 3, 4):
        assert client.post("/checkout/", {"step": str(step), "action": "back"}).status_code == 302
        assert post_step(client, step, weight_lb="").status_code in (302, 400)
        assert post_step(client, step).status_code == 302
    client.post("/checkout/", {**answers(), "step": "4", "action": "add_allergy"})
    assert post_step(client, 5).status_code == 302  # submitted: 2
    # A third questionnaire started from the same address is over the limit.
    other = client.__class__(REMOTE_ADDR="127.0.0.1")
    start(other, ("Spironolactone", 1400))
    response = post_step(other, 1)
    assert response.status_code == 429 and "Retry-After" in response


def test_the_whole_questionnaire_in_one_post_is_one_submission(client):
    """Without a step (the one-page form, or a script), every answer is taken from the post
    and checked as the last step is: the same rules, the same order."""
    start(client)
    response = client.post("/checkout/", answers())
    assert response.status_code == 302 and "/checkout/test-mode/" in response["Location"]


def test_a_step_posted_without_a_draft_counts_as_a_questionnaire_started(client, settings):
    """Skipping the first step does not dodge the limit: no draft yet is a start."""
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "checkout": "1/h"}
    start(client)
    assert post_step(client, 3).status_code == 400  # started (step 1 is still to answer)
    assert post_step(client, 3).status_code == 400  # a draft now: not counted
    client.cookies.clear()  # a new visitor from the same address
    start(client, ("Spironolactone", 1400))
    assert post_step(client, 3).status_code == 429


def test_when_every_treatment_is_stopped_none_is_offered_to_go_on_with(client):
    start(client, ("Spironolactone", 1400), ("Oral Minoxidil", 2500))
    post_step(client, 1)
    html = post_step(client, 2, pregnant="yes").content.decode()
    assert html.count("is not safe during pregnancy") == 4  # two stops, in the box and by the field
    assert "other treatments" not in html
    assert html.count("Please talk to your obstetrician or our care team") == 4
