"""Health data: who reads questionnaire answers is logged, and only superusers see the log."""

from datetime import date

import pytest
from django.utils import timezone

from orders.models import Order, QuestionnaireAccess, QuestionnaireResponse
from tests.support.clinic import order_to_review
from tests.support.staff import sign_in, staff

pytestmark = pytest.mark.django_db
S = Order.Status


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


def test_a_missing_order_redirects_and_logs_nothing(client):
    sign_in(client, staff("clinician"))
    for url in (
        "/admin/orders/order/999999/change/",
        "/admin/orders/questionnaireresponse/999999/change/",
    ):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == "/admin/", url
    assert not QuestionnaireAccess.objects.exists()


def test_a_review_queue_row_opens_the_order_page_for_clinicians_only(client):
    order = order_to_review()
    url = f"/admin/orders/reviewqueueorder/{order.pk}/change/"
    sign_in(client, staff("support"))
    assert client.get(url).status_code == 403
    sign_in(client, staff("clinician"))
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/admin/orders/order/{order.pk}/change/"


def test_a_review_queue_page_past_the_end_shows_and_logs_no_answers(client):
    now = timezone.now()
    Order.objects.bulk_create(
        Order(email=f"p{n}@example.com", full_name="P", status=S.AWAITING_REVIEW, paid_at=now)
        for n in range(51)  # more than one page of 50
    )
    sign_in(client, staff("clinician"))
    response = client.get("/admin/orders/reviewqueueorder/", {"p": 99})
    assert response.status_code == 302 and response["Location"].endswith("?e=1")
    assert not QuestionnaireAccess.objects.exists()


def test_the_queue_shows_age_flags_and_glance_answers(client):
    order = order_to_review()
    sign_in(client, staff("clinician"))
    html = client.get("/admin/orders/reviewqueueorder/").content.decode()
    born, today = date(1990, 4, 12), timezone.localdate()
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    assert f"Jane Patient<br><small>age {age}</small>" in html
    assert "Caution:</strong> Takes a potassium-raising medicine" in html
    assert "<dt>Allergies to medicines?</dt><dd>Penicillin</dd>" in html
    assert order.reference in html


def test_an_order_without_answers_or_a_birth_date_on_file_says_so(client):
    """The schema allows both (date_of_birth is nullable, the questionnaire a separate row)."""
    order = order_to_review()
    Order.objects.filter(pk=order.pk).update(date_of_birth=None)
    QuestionnaireResponse.objects.filter(order=order).delete()
    sign_in(client, staff("clinician"))
    queue = client.get("/admin/orders/reviewqueueorder/").content.decode()
    assert "Jane Patient<br><small></small>" in queue
    assert "No red flags" in queue and "No questionnaire on file." in queue
    page = client.get(f"/admin/orders/order/{order.pk}/change/").content.decode()
    assert "No questionnaire on file." in page
