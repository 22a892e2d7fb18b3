"""The sign-off page (finding 1): the clinician reads the ranked flags and her clinical
summary where she signs, ticks each flag as considered and writes why she signs against a
contraindication; the verb refuses without them and stores them with the decision."""

import re

import pytest
from django.contrib.messages import get_messages

from clinic.services.review import approve_order
from clinic.services.signoff import flag_id
from orders.models import FlagReview, Order, OrderEvent, QuestionnaireAccess
from orders.services import OrderError
from tests.support.clinic import (
    approve_form,
    considered,
    order_to_review,
    six_red_flag_order,
    six_red_flags,
    ticks,
)
from tests.support.staff import sign_in, staff

pytestmark = [pytest.mark.usefixtures("test_mode"), pytest.mark.django_db]
S = Order.Status
ADDISON, EPLERENONE, HYPERKALEMIA = (six_red_flags()[i] for i in (1, 2, 3))


@pytest.fixture
def clinician():
    return staff("clinician", "dr_lee")


def url(order, action="approve"):
    return f"/admin/orders/order/{order.pk}/{action}/"


def test_the_six_flag_patient_cannot_be_approved_without_a_sign_off(clinician):
    order = six_red_flag_order()
    with pytest.raises(OrderError, match="6 not ticked") as error:
        approve_order(order, by=clinician, attested=True)
    assert error.value.code == "flag_not_considered"
    # Ticking five of six is not enough either.
    five = considered(order)
    del five[flag_id(EPLERENONE)]
    with pytest.raises(OrderError, match="1 not ticked, first .Takes eplerenone"):
        approve_order(order, by=clinician, considered=five, attested=True)
    # Every flag ticked, but no reason for the two contraindications.
    with pytest.raises(OrderError, match="despite the contraindication .Addison") as error:
        approve_order(order, by=clinician, considered=considered(order, reason="  "), attested=True)
    assert error.value.code == "reason_required"
    assert Order.objects.get(pk=order.pk).status == S.AWAITING_REVIEW
    assert not FlagReview.objects.exists()


def test_her_sign_off_is_stored_with_the_decision(clinician):
    order = six_red_flag_order()
    reasons = considered(order, reason="Endocrinology confirmed: Addison's ruled out in 2024.")
    reasons[flag_id(EPLERENONE)] = "Eplerenone stopped last month."
    approved = approve_order(order, by=clinician, considered=reasons, attested=True)
    assert approved.status == S.APPROVED
    rows = list(
        FlagReview.objects.filter(order=order).values_list(
            "flag_key", "grade", "considered", "reason", "user", "action"
        )
    )
    addison = "Endocrinology confirmed: Addison's ruled out in 2024."
    assert rows == [
        ("addisons", "contraindication", True, addison, clinician.pk, "approve"),
        ("hyperkalemia", "contraindication", True, addison, clinician.pk, "approve"),
        (
            "eplerenone",
            "interaction",
            True,
            "Eplerenone stopped last month.",
            clinician.pk,
            "approve",
        ),
        ("blood_pressure", "caution", True, "", clinician.pk, "approve"),
        ("heart_failure", "caution", True, "", clinician.pk, "approve"),
        ("pericardial_effusion", "caution", True, "", clinician.pk, "approve"),
    ]
    event = OrderEvent.objects.get(order=order, kind="flags_considered")
    assert event.data == {"action": "approve", "flags": 6, "with_reason": 3}
    assert event.actor == clinician and event.message == ""  # plain timeline: counts only
    assert str(FlagReview.objects.first()) == f"addisons considered for {order.reference}"


def test_an_order_without_flags_needs_no_ticks(clinician):
    order = order_to_review()
    Order.objects.get(pk=order.pk).questionnaire.__class__.objects.filter(order=order).update(
        flags=[]
    )
    assert approve_order(order, by=clinician, attested=True).status == S.APPROVED
    assert not FlagReview.objects.exists()
    assert not OrderEvent.objects.filter(order=order, kind="flags_considered").exists()


def test_the_sign_off_page_shows_ranked_flags_then_her_clinical_summary(client, clinician):
    earlier = order_to_review(email="addison@example.com")
    order = six_red_flag_order()
    sign_in(client, clinician)
    html = client.get(url(order)).content.decode()
    # Flags first, most serious first: contraindications, the interaction, then cautions.
    positions = [
        html.index(text)
        for text in (
            "1. Flags, most serious first",
            "Addison&#x27;s disease",
            "High potassium in the past",
            "Takes eplerenone",
            "Low blood pressure: 88/56",
            "Heart failure.",
            "Pericardial effusion.",
            "2. Clinical summary",
            "3. Prescriptions and decision",
            'value="Approve order"',
        )
    ]
    assert positions == sorted(positions)
    assert (
        "Jane Patient &middot; age 36 (born Apr 12, 1990) &middot; sex at birth: Female &middot; contraception: Copper IUD"
        in html
    )
    assert html.count("Why you sign despite this contraindication (required") == 2
    assert html.count('type="checkbox" name="flag-') == 6
    summary = html[html.index('data-testid="clinical-summary"') :]
    for label, value in [
        ("Age", "(born Apr 12, 1990)"),
        ("Sex at birth", "Female"),
        ("Pregnant", "No"),
        ("Breastfeeding", "No"),
        ("Trying to conceive", "No"),
        ("Contraception", "Copper IUD"),
        ("Last period", "Not asked"),
        ("BMI", "23.1"),
        ("Blood pressure", "88/56"),
        ("Kidney", "No"),
        ("Liver", "No"),
        ("Medicines she takes (dose)", "Eplerenone, 25 mg daily; Hydrocortisone, 20 mg daily"),
        ("Allergies (reaction)", "Sulfa, hives"),
    ]:
        assert re.search(rf"<dt>{re.escape(label)}</dt><dd>[^<]*{re.escape(value)}", summary), label
    # Her earlier order (same email), with its status and its flags.
    assert earlier.reference in summary
    assert "Takes a potassium-raising medicine" in summary
    assert set(
        QuestionnaireAccess.objects.filter(where="sign-off page").values_list("order", flat=True)
    ) == {order.pk, earlier.pk}


def test_the_page_refuses_unticked_flags_and_a_missing_reason_without_a_500(client, clinician):
    order = six_red_flag_order()
    sign_in(client, clinician)
    response = client.post(url(order), approve_form(order, **{f"flag-{flag_id(ADDISON)}": ""}))
    assert response.status_code == 400
    html = response.content.decode()
    assert 'role="alert" tabindex="-1" autofocus' in html  # the summary takes focus
    assert "Not signed yet: 1 thing to fix below." in html
    assert f'href="#id_flag-{flag_id(ADDISON)}"' in html
    assert "Tick \u201cConsidered\u201d once you have weighed this flag" in html

    no_reason = approve_form(order, **{f"flag-{flag_id(HYPERKALEMIA)}-reason": ""})
    html = client.post(url(order), no_reason).content.decode()
    assert "Write why you sign despite this contraindication" in html
    assert Order.objects.get(pk=order.pk).status == S.AWAITING_REVIEW

    response = client.post(url(order), approve_form(order))
    assert response.status_code == 302
    assert Order.objects.get(pk=order.pk).status == S.APPROVED
    assert FlagReview.objects.filter(order=order).count() == 6
    page = client.get(f"/admin/orders/order/{order.pk}/change/").content.decode()
    assert "Flags considered at sign-off" in page
    assert "Weighed against her answers: potassium to check." in page


def test_a_flag_raised_after_the_page_was_built_is_refused_by_the_verb(client, clinician):
    """A stale page (a new flag since) is refused by the service, not only the form."""
    order = six_red_flag_order()
    stale = considered(order, reason="Checked.")
    questionnaire = Order.objects.get(pk=order.pk).questionnaire
    questionnaire.flags = [*questionnaire.flags, {"key": "new", "message": "Now pregnant."}]
    questionnaire.save()
    with pytest.raises(OrderError, match="1 not ticked, first .Now pregnant"):
        approve_order(order, by=clinician, considered=stale, attested=True)


def test_the_queue_opens_the_sign_off_page(client, clinician):
    order = six_red_flag_order()
    sign_in(client, clinician)
    queue = client.get("/admin/orders/reviewqueueorder/").content.decode()
    assert f'href="{url(order)}?next=/admin/orders/reviewqueueorder/">Approve</a>' in queue
    assert "Contraindication:</strong> Addison" in queue
    page = client.get(f"{url(order)}?next=/admin/orders/reviewqueueorder/")
    assert "1. Flags, most serious first" in page.content.decode()
    data = {**approve_form(order), "next": "/admin/orders/reviewqueueorder/"}
    response = client.post(url(order), data)
    assert response.url == "/admin/orders/reviewqueueorder/"
    assert any("approved" in str(m) for m in get_messages(response.wsgi_request))


def test_a_form_built_with_ticks_for_another_order_counts_for_nothing(client, clinician):
    order, other = six_red_flag_order(), order_to_review(email="b@example.com")
    sign_in(client, clinician)
    response = client.post(url(other), {**approve_form(other), **ticks(order)})
    assert response.status_code == 302  # the other order's own flag was ticked too
    response = client.post(url(order), {**approve_form(other), "note": ""})
    assert response.status_code == 400
    assert Order.objects.get(pk=order.pk).status == S.AWAITING_REVIEW


def test_renewing_is_signed_off_too_against_her_renewal_answers(client, clinician):
    from clinic.services.prescriptions import flags_to_renew, submit_renewal
    from orders.admin.forms import RenewForm
    from tests.support.lifecycle import RENEWAL_ANSWERS, order_in

    order = order_in(S.RENEWAL_DUE)
    submit_renewal(order, {**RENEWAL_ANSWERS, "pregnant": "yes"}, by=order.patient)
    sign_in(client, clinician)
    html = client.get(url(order, "renew")).content.decode()
    assert "<strong>Contraindication:</strong> At renewal: Are you pregnant? Yes." in html
    assert "Her renewal answers" in html
    assert re.search(r"<dt>Are you pregnant\?</dt><dd>yes</dd>", html)
    prefilled = {
        name: field.initial
        for name, field in RenewForm(order=order).fields.items()
        if name.startswith("rx-")
    }
    flags = flags_to_renew(order)
    assert (
        client.post(
            url(order, "renew"), {**prefilled, "attest": "on", **ticks(order, flags, reason="")}
        ).status_code
        == 400
    )
    assert Order.objects.get(pk=order.pk).status == S.RENEWAL_REVIEW
    data = {
        **prefilled,
        "attest": "on",
        **ticks(order, flags, reason="Miscarriage last week; not pregnant now."),
    }
    assert client.post(url(order, "renew"), data).status_code == 302
    assert Order.objects.get(pk=order.pk).status == S.SHIPPED
    review = FlagReview.objects.get(order=order)
    assert (review.action, review.grade, review.reason) == (
        "renew",
        "contraindication",
        "Miscarriage last week; not pregnant now.",
    )


def test_a_flag_raised_twice_is_considered_once_and_a_missing_birth_date_reads_not_asked(
    client, clinician
):
    order = order_to_review()
    questionnaire = Order.objects.get(pk=order.pk).questionnaire
    questionnaire.flags = [*questionnaire.flags, *questionnaire.flags]
    questionnaire.save()
    Order.objects.filter(pk=order.pk).update(date_of_birth=None)
    sign_in(client, clinician)
    html = client.get(url(order)).content.decode()
    assert html.count('type="checkbox" name="flag-') == 1
    assert "<dt>Age</dt><dd>Not asked</dd>" in html
    assert client.post(url(order), approve_form(order)).status_code == 302
    assert FlagReview.objects.filter(order=order).count() == 1


def test_changing_a_prescription_is_signed_off_like_approving(clinician):
    """Finding 4: Change prescription checks the flags and the licence as Approve does."""
    from clinic.services.changes import change_prescription
    from clinic.services.prescriptions import current, draft_from

    order = six_red_flag_order()
    approve_order(
        order, by=clinician, considered=considered(order, reason="Weighed."), attested=True
    )
    [rx] = current(order)
    draft = draft_from(rx, refills=0)
    with pytest.raises(OrderError, match="6 not ticked"):
        change_prescription(order, by=clinician, prescriptions=[draft], attested=True)
    assert current(order).get() == rx
    change_prescription(
        order,
        by=clinician,
        prescriptions=[draft],
        attested=True,
        considered=considered(order, reason="Potassium normal last week."),
    )
    assert current(order).get() != rx
    changed = FlagReview.objects.filter(order=order, action="change")
    assert changed.count() == 6
    assert {r.reason for r in changed if r.grade == "contraindication"} == {
        "Potassium normal last week."
    }
