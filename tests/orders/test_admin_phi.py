"""Health data: who reads questionnaire answers is logged, and only superusers see the log."""

import pytest

from orders.models import QuestionnaireAccess
from tests.orders.clinic import order_to_review
from tests.staff import sign_in, staff

pytestmark = pytest.mark.django_db


def test_clinician_views_are_logged_with_who_which_order_and_where(client):
    first = order_to_review()
    second = order_to_review(email="ann@example.com")
    clinician = staff("clinician", "dr_lee")
    sign_in(client, clinician)

    client.get(f"/admin/orders/order/{first.pk}/change/")
    client.get("/admin/orders/reviewqueueorder/")
    client.get(f"/admin/orders/questionnaireresponse/{second.questionnaire.pk}/change/")

    rows = list(
        QuestionnaireAccess.objects.order_by("id").values_list("user", "username", "order", "where")
    )
    assert rows == [
        (clinician.pk, "dr_lee", first.pk, "order page"),
        (clinician.pk, "dr_lee", first.pk, "review queue"),
        (clinician.pk, "dr_lee", second.pk, "review queue"),
        (clinician.pk, "dr_lee", second.pk, "questionnaire page"),
    ]
    assert all(entry.viewed_at for entry in QuestionnaireAccess.objects.all())


def test_staff_who_cannot_read_answers_leave_no_entries_and_see_no_answers(client):
    order = order_to_review()
    for role in ("support", "fulfillment"):
        sign_in(client, staff(role))
        html = client.get(f"/admin/orders/order/{order.pk}/change/").content.decode()
        assert "Penicillin" not in html
        assert (
            client.get(
                f"/admin/orders/questionnaireresponse/{order.questionnaire.pk}/change/"
            ).status_code
            == 403
        )
    assert not QuestionnaireAccess.objects.exists()


def test_questionnaire_list_does_not_log_or_show_answers(client):
    order_to_review()
    sign_in(client, staff("clinician"))
    html = client.get("/admin/orders/questionnaireresponse/").content.decode()
    assert "Penicillin" not in html
    assert not QuestionnaireAccess.objects.exists()


def test_only_superusers_read_the_access_log_and_nobody_edits_it(client):
    order = order_to_review()
    clinician = staff("clinician", "dr_lee")
    sign_in(client, clinician)
    client.get(f"/admin/orders/order/{order.pk}/change/")
    entry = QuestionnaireAccess.objects.get()

    assert client.get("/admin/orders/questionnaireaccess/").status_code == 403
    assert client.get(f"/admin/orders/questionnaireaccess/{entry.pk}/change/").status_code == 403
    assert "questionnaireaccess" not in client.get("/admin/").content.decode()

    sign_in(client, staff("superuser", "root"))
    listing = client.get("/admin/orders/questionnaireaccess/").content.decode()
    assert "dr_lee" in listing and order.reference in listing
    detail = client.get(f"/admin/orders/questionnaireaccess/{entry.pk}/change/")
    assert detail.status_code == 200
    assert 'name="username"' not in detail.content.decode()  # read-only
    delete = client.post(f"/admin/orders/questionnaireaccess/{entry.pk}/delete/", {"post": "yes"})
    assert delete.status_code == 403
    assert QuestionnaireAccess.objects.filter(pk=entry.pk).exists()


@pytest.mark.parametrize(
    "url",
    [
        "/admin/orders/order/?questionnaire__answers__pregnancy__answer=Yes",
        "/admin/orders/reviewqueueorder/?questionnaire__flags__contains=spiro",
        "/admin/orders/questionnaireresponse/?answers__medicines__answer__icontains=lisinopril",
        "/admin/orders/questionnaireresponse/?flags__0__key=spiro_potassium",
        "/admin/orders/shipment/?order__questionnaire__answers__allergies__answer=Penicillin",
    ],
)
def test_answers_cannot_be_filtered_through_url_lookups(client, url):
    """Defect: ?answers__...=Yes filtered every patient's answers without a log row."""
    order_to_review()
    sign_in(client, staff("clinician"))
    if "shipment" in url:
        sign_in(client, staff("superuser", "root"))
    assert client.get(url).status_code == 400


def test_the_filters_the_admin_offers_still_work(client):
    order_to_review()
    sign_in(client, staff("superuser", "root"))
    for url in (
        "/admin/orders/order/?status__exact=awaiting_review",
        "/admin/orders/order/?is_test_mode__exact=0",
        "/admin/orders/order/?created_at__year=2026",
        "/admin/orders/shipment/?queue=to_ship",
        "/admin/orders/shipment/?status__exact=pending&kind__exact=initial",
    ):
        assert client.get(url).status_code == 200, url
