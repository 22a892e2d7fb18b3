"""The clinician's order page shows, in order: red flags, BMI and vitals, the medicines she
takes, the treatments ordered with their medicines, her earlier orders, then every answer."""

import pytest
from django.urls import reverse

from clinic.services.review import decline_order
from orders.models import Order
from tests.support.factories import answers, make_order, make_plan, pay
from tests.support.staff import sign_in, staff
from treatments.models import Medicine

pytestmark = [pytest.mark.usefixtures("test_mode"), pytest.mark.django_db]

ADDRESS = {
    "action": "pay",
    "name": "Jane Patient",
    "line1": "1 Main St",
    "city": "Albany",
    "state": "NY",
    "postal_code": "12207",
}


def checkout_and_pay(client, *plans, **data):
    for plan in plans:
        client.post("/cart/add/", {"plan": plan.pk})
    response = client.post("/checkout/", answers(**data))
    assert response.status_code == 302, response.content.decode()[:500]
    client.post(response["Location"], ADDRESS)
    return Order.objects.order_by("-id").first()


def test_the_review_page_reads_in_the_clinicians_order(client):
    earlier = make_order(make_plan("Oral Minoxidil", 2500))
    earlier = pay(earlier)
    decline_order(earlier, by=staff("clinician", "dr_old"), reason="Low blood pressure")

    order = checkout_and_pay(
        client,
        make_plan("Oral Metformin ER", 2200),
        make_plan("Spironolactone", 1400),
        no_medicines="",
        medicine_1_name="Lisinopril",
        medicine_1_dose="10 mg daily",
        bp_systolic="118",
        bp_diastolic="76",
    )
    assert order.status == Order.Status.AWAITING_REVIEW
    Medicine.objects.filter(slug="metformin-er").update(default_strength="500 mg tablet")
    sign_in(client, staff("clinician", "dr_lee"))
    html = client.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()
    positions = [
        html.index("Interaction: takes Lisinopril 10 mg daily. ACE inhibitor or ARB"),
        html.index("BMI (computed)"),
        html.index("118/76"),
        html.index("Lisinopril, 10 mg daily"),
        html.index("Metformin ER, oral: Biguanide (metformin), 500 mg tablet"),
        html.index("Spironolactone, oral: Potassium-sparing anti-androgen"),
        html.index(earlier.reference),
        html.index("Which state do you live in?", html.index(earlier.reference)),
    ]
    assert positions == sorted(positions)
    assert "Not approved (refunded), reviewed by dr_old: Low blood pressure" in html
    assert '<div class="readonly">NY</div>' in html
    assert "Telehealth consent, version 1" in html


def test_a_first_order_says_so_and_old_orders_still_show(client):
    order = pay(make_order(make_plan("Treatment without medicines", 1000, medicines=[])))
    sign_in(client, staff("clinician", "dr_lee"))
    html = client.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()
    assert "None: her first order." in html
    assert "no medicines on file" in html


def test_support_sees_the_agreements_but_not_the_health_data(client):
    order = checkout_and_pay(client, make_plan("Oral Metformin ER", 2200))
    sign_in(client, staff("support", "sam"))
    html = client.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()
    assert "Privacy notice, version 1" in html
    assert "BMI" not in html and "her earlier orders" not in html
