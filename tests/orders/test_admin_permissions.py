"""Who can open what in the admin, by URL, for each role (not only ``has_perm``)."""

import pytest

from articles.models import Article
from clinic.services.review import approve_order
from orders.models import QuestionnaireAccess, Refund, Shipment
from tests.support.clinic import considered, order_to_review
from tests.support.factories import make_plan
from tests.support.pharmacy import verified
from tests.support.staff import sign_in, staff

pytestmark = pytest.mark.django_db

ROLES = [
    "content-editor",
    "catalog-manager",
    "clinician",
    "pharmacist",
    "fulfillment",
    "support",
    "superuser",
]
OK = 200


@pytest.fixture
def objects():
    order = order_to_review()
    approved = order_to_review(email="ann@example.com")
    approve_order(
        approved, by=staff("superuser", "boss"), considered=considered(approved), attested=True
    )
    verified(approved)
    shipment = Shipment.objects.get(order=approved)
    refund = Refund.objects.create(order=approved, amount_cents=100, reason="test")
    plan = make_plan()
    article = Article.objects.create(title="Inositol", slug="inositol", body="Text")
    return {
        "order": order.pk,
        "approved": approved.pk,
        "questionnaire": order.questionnaire.pk,
        "shipment": shipment.pk,
        "refund": refund.pk,
        "treatment": plan.treatment_id,
        "article": article.pk,
    }


# URL template -> the roles that get a 200; every other role gets 403.
MATRIX = [
    ("/admin/", ROLES),
    ("/admin/orders/order/", ["clinician", "pharmacist", "fulfillment", "support", "superuser"]),
    (
        "/admin/orders/order/{order}/change/",
        ["clinician", "pharmacist", "fulfillment", "support", "superuser"],
    ),
    ("/admin/orders/reviewqueueorder/", ["clinician", "superuser"]),
    ("/admin/orders/order/{order}/approve/", ["clinician", "superuser"]),
    ("/admin/orders/order/{order}/decline/", ["clinician", "superuser"]),
    ("/admin/orders/questionnaireresponse/", ["clinician", "pharmacist", "superuser"]),
    (
        "/admin/orders/questionnaireresponse/{questionnaire}/change/",
        ["clinician", "pharmacist", "superuser"],
    ),
    ("/admin/orders/questionnaireaccess/", ["superuser"]),
    ("/admin/orders/shipment/", ["pharmacist", "fulfillment", "support", "superuser"]),
    (
        "/admin/orders/shipment/{shipment}/change/",
        ["pharmacist", "fulfillment", "support", "superuser"],
    ),
    ("/admin/orders/shipment/{shipment}/ship/", ["fulfillment", "superuser"]),
    # The pharmacist: verification, dispensing, labels; the pharmacy and profiles.
    ("/admin/orders/verificationqueueorder/", ["pharmacist", "superuser"]),
    ("/admin/orders/order/{approved}/verify/", ["pharmacist", "superuser"]),
    ("/admin/orders/order/{approved}/send_back/", ["pharmacist", "superuser"]),
    ("/admin/orders/shipment/{shipment}/dispense/", ["pharmacist", "superuser"]),
    ("/admin/orders/shipment/{shipment}/label/", ["pharmacist", "superuser"]),
    ("/admin/orders/dispensingrecord/", ["pharmacist", "superuser"]),
    ("/admin/orders/pharmacy/", ["pharmacist", "superuser"]),
    ("/admin/orders/pharmacy/add/", ["superuser"]),
    ("/admin/orders/pharmacistprofile/", ["superuser"]),
    ("/admin/orders/order/{order}/refund/", ["support", "superuser"]),
    ("/admin/orders/refund/", ["support", "superuser"]),
    ("/admin/orders/payment/", ["support", "superuser"]),
    ("/admin/orders/webhookevent/", ["support", "superuser"]),
    ("/admin/articles/article/", ["content-editor", "superuser"]),
    ("/admin/articles/article/{article}/change/", ["content-editor", "superuser"]),
    ("/admin/articles/article/add/", ["content-editor", "superuser"]),
    ("/admin/treatments/treatment/", ["catalog-manager", "superuser"]),
    ("/admin/treatments/treatment/{treatment}/change/", ["catalog-manager", "superuser"]),
    ("/admin/treatments/testimonial/add/", ["catalog-manager", "superuser"]),
    ("/admin/treatments/pricechange/", ["catalog-manager", "superuser"]),
    ("/admin/auth/user/", ["superuser"]),
]


@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(client, objects, role):
    user = staff(role)
    sign_in(client, user)
    wrong = []
    for template, allowed in MATRIX:
        url = template.format(**objects)
        expected = OK if role in allowed else 403
        status = client.get(url).status_code
        if status != expected:
            wrong.append((url, status, expected))
    assert wrong == []


@pytest.mark.parametrize("url", ["/admin/orders/order/", "/admin/orders/reviewqueueorder/"])
def test_anonymous_visitors_go_to_the_login_page(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


@pytest.mark.parametrize(
    ("role", "path"),
    [
        ("support", "approve"),
        ("fulfillment", "decline"),
        ("clinician", "refund"),
        ("content-editor", "approve"),
    ],
)
def test_posting_a_verb_without_its_role_is_refused_and_changes_nothing(
    client, objects, role, path
):
    user = staff(role)
    sign_in(client, user)
    url = f"/admin/orders/order/{objects['order']}/{path}/"
    response = client.post(url, {"note": "", "reason": "x", "amount": "1.00", "token": "t"})
    assert response.status_code == 403
    assert Shipment.objects.filter(order_id=objects["order"]).count() == 0
    assert Refund.objects.filter(order_id=objects["order"]).count() == 0


def test_answers_are_on_the_order_page_only_for_clinicians_pharmacists_and_superusers(
    client, objects
):
    url = f"/admin/orders/order/{objects['order']}/change/"
    for role in ROLES[2:]:
        client.logout()
        user = staff(role, f"{role}-answers")
        sign_in(client, user)
        html = client.get(url).content.decode()
        readable = role in ("clinician", "pharmacist", "superuser")
        assert ("Penicillin" in html) is readable, role
        assert ("potassium-raising" in html) is readable, role
        assert ("Medical questionnaire" in html) is readable, role
        # Everyone who may see the order sees its money and timeline.
        assert "$22.00" in html and "Timeline" in html
    assert QuestionnaireAccess.objects.count() == 3  # each look at the answers is logged


def test_shipping_buttons_and_actions_only_for_fulfillment(client, objects):
    support = staff("support")
    sign_in(client, support)
    html = client.get("/admin/orders/shipment/").content.decode()
    assert "45 Maple Avenue" in html  # support can see where it goes
    assert "Mark shipped" not in html
    assert "mark_selected_shipped" not in html
    client.logout()
    fulfillment = staff("fulfillment")
    sign_in(client, fulfillment)
    html = client.get("/admin/orders/shipment/").content.decode()
    assert "Mark shipped" in html and "mark_selected_shipped" in html
