"""Small courtesies (issue 21, "Also"): her account greets her by name; the 429 page leads
back to where she was; the header's person link keeps its word on phones."""

import pytest

from patients.accounts import patient_user_for
from tests.core.test_rate_limits import limit
from tests.support.factories import make_paid_order, make_plan
from tests.support.patients import sign_in_patient

pytestmark = pytest.mark.django_db


def test_her_account_greets_her_by_the_first_name_she_ordered_with(client, test_mode):
    order = make_paid_order(make_plan())  # ordered as "Jane Patient"
    user = sign_in_patient(client, order)
    assert "<h1>Hello, Jane</h1>" in client.get("/account/").content.decode()
    user.first_name = "Janie"
    user.save(update_fields=["first_name"])
    assert "<h1>Hello, Janie</h1>" in client.get("/account/").content.decode()


def test_an_account_without_orders_says_hello(client):
    client.force_login(
        patient_user_for("nobody@example.com"),
        backend="django.contrib.auth.backends.ModelBackend",
    )
    assert "<h1>Hello</h1>" in client.get("/account/").content.decode()


def test_the_429_page_leads_back_to_the_page_she_posted_from(client, settings):
    limit(settings, cart="1/h")
    plan = make_plan()
    page = f"http://testserver{plan.treatment.get_absolute_url()}"
    client.post("/cart/add/", {"plan": plan.pk}, HTTP_REFERER=page)
    html = client.post("/cart/add/", {"plan": plan.pk}, HTTP_REFERER=page).content.decode()
    assert f'<a class="button" href="{page}">Back to where you were</a>' in html


@pytest.mark.parametrize("referer", ["", "https://evil.example/phish", "javascript:alert(1)"])
def test_the_429_page_never_links_elsewhere(client, settings, referer):
    limit(settings, cart="1/h")
    plan = make_plan()
    client.post("/cart/add/", {"plan": plan.pk})
    html = client.post("/cart/add/", {"plan": plan.pk}, HTTP_REFERER=referer).content.decode()
    assert '<a class="button" href="/">Back to the home page</a>' in html


def test_a_limited_get_leads_back_to_the_same_page(rf, settings):
    from core.ratelimit import back_to

    request = rf.get("/accounts/login/code/?next=/account/")
    assert back_to(request) == "/accounts/login/code/?next=/account/"
