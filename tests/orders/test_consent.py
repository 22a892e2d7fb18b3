"""Consent before payment, and the versioned privacy notice, terms and telehealth consent."""

import pytest
from django.urls import reverse
from django.utils import timezone

from legal.models import LegalDocument
from legal.seed import seed_legal_documents
from orders.models import Order, OrderConsent
from tests.support.factories import answers, make_plan
from tests.support.staff import sign_in, staff

pytestmark = [pytest.mark.usefixtures("test_mode"), pytest.mark.django_db]


@pytest.fixture(autouse=True)
def documents():
    seed_legal_documents()  # made by a migration, but a transactional test empties the database


NO_CONSENT = {"consent_telehealth": "", "consent_renewal": "", "consent_privacy": ""}


def in_cart(client, *plans):
    for plan in plans or (make_plan("Oral Metformin ER", 2200),):
        client.post("/cart/add/", {"plan": plan.pk})


def new_version(kind, body="Revised text.", *, published=True):
    return LegalDocument.objects.create(
        kind=kind,
        title="Revised",
        body=body,
        published_at=timezone.now() if published else None,
    )


def test_checkout_asks_for_the_three_agreements_with_the_amount_and_links(client):
    in_cart(client, make_plan("Oral Metformin ER", 2200), make_plan("Oral Minoxidil", 2500))
    client.post("/checkout/", {"step": "1"})  # a draft: the last step, where she agrees
    html = client.get("/checkout/?step=5").content.decode()
    assert "my card is charged $47 today and $47 every month after, automatically" in html
    assert "I can cancel any time from my account" in html
    assert "I agree to receive care by telehealth" in html
    assert "to the pharmacy that fills my prescription" in html
    assert '<a href="/privacy/?version=1">privacy notice</a> (version 1)' in html
    assert '<a href="/terms/?version=1">terms of service</a> (version 1)' in html
    assert '<a href="/telehealth-consent/?version=1">telehealth consent</a>' in html
    assert '<label class="check" for="id_consent_renewal"><input type="checkbox"' in html
    # The promise is kept as made: clinician, and the pharmacy for a prescription.
    assert "never shared with anyone else" not in html
    intro = client.get("/checkout/").content.decode()  # the first step's introduction
    assert "if she prescribes, to the pharmacy that fills your prescription" in intro


def test_no_order_without_every_agreement(client):
    in_cart(client)
    response = client.post("/checkout/", answers(**{**NO_CONSENT, "consent_privacy": "on"}))
    html = response.content.decode()
    assert response.status_code == 400
    assert html.count("Please tick this to go on.") == 4  # by each box, and in the summary
    assert "There are 2 problems" in html
    assert not Order.objects.exists()


def test_the_order_keeps_what_she_agreed_to_and_which_versions(client):
    in_cart(client)
    assert client.post("/checkout/", answers()).status_code == 302
    order = Order.objects.get()
    consents = {c.kind: c for c in order.consents.select_related("document")}
    assert set(consents) == {"telehealth", "renewal", "privacy"}
    assert consents["renewal"].document.kind == "terms"
    assert consents["renewal"].document.version == 1
    assert "$22 today and $22 every month" in consents["renewal"].statement
    assert consents["privacy"].document.kind == "privacy"
    assert str(consents["privacy"]) == "Privacy notice (Privacy notice, version 1)"

    # A new version changes nothing for this order; the next order agrees to it.
    revised = new_version("privacy")
    assert revised.version == 2
    assert order.consents.get(kind="privacy").document.version == 1
    client.post("/checkout/", {"step": "1"})  # her cart is still there, paid or not
    html = client.get("/checkout/?step=5").content.decode()
    assert "/privacy/?version=2" in html


def test_a_retry_replaces_the_agreements_of_the_pending_order(client):
    in_cart(client)
    client.post("/checkout/", answers())
    client.post("/checkout/", answers())
    assert Order.objects.count() == 1
    assert OrderConsent.objects.count() == 3


def test_checkout_is_closed_while_a_document_is_missing(client):
    in_cart(client)
    LegalDocument.objects.filter(kind="terms").update(published_at=None)
    response = client.post("/checkout/", answers())
    assert response.status_code == 400
    assert "We cannot take orders right now" in response.content.decode()
    assert not Order.objects.exists()


# --- The pages -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "title"),
    [
        ("/privacy/", "Privacy notice and Notice of Privacy Practices"),
        ("/terms/", "Terms of service"),
        ("/telehealth-consent/", "Telehealth consent"),
    ],
)
def test_each_document_has_its_page_seeded(client, url, title):
    response = client.get(url)
    html = response.content.decode()
    assert response.status_code == 200
    assert f"<h1>{title}</h1>" in html
    assert "Version 1, in effect since" in html
    assert "awaiting review" not in html
    assert client.head(url).status_code == 200
    assert f'href="{url}"' in client.get("/").content.decode()  # the footer links it


def test_the_privacy_notice_says_who_sees_her_answers(client):
    html = client.get("/privacy/").content.decode()
    assert "the pharmacy that dispenses it" in html
    assert "We never sell your health information" in html


def test_old_versions_stay_readable_and_drafts_are_never_shown(client):
    new_version("terms", "Version two text.")
    new_version("terms", "A draft.", published=False)
    current = client.get("/terms/").content.decode()
    assert "Version two text." in current and "Version 2" in current
    assert "A newer version exists" not in current
    old = client.get("/terms/?version=1").content.decode()
    assert "Version 1" in old and "A newer version exists" in old
    assert "awaiting review" not in current  # the revised one is no template
    assert client.get("/terms/?version=3").status_code == 404  # the draft
    for bad in ("x", "-1", "99999999999", "²"):
        assert client.get("/terms/", {"version": bad}).status_code == 404


def test_a_kind_with_nothing_published_is_a_404(client):
    LegalDocument.objects.filter(kind="privacy").update(published_at=None)
    assert client.get("/privacy/").status_code == 404


# --- The admin -----------------------------------------------------------------------------


def test_content_editors_write_and_publish_a_new_version(client):
    sign_in(client, staff("content-editor", "cleo"))
    add = reverse("admin:legal_legaldocument_add")
    response = client.post(
        add, {"kind": "privacy", "title": "Privacy notice", "body": "Reviewed by counsel."}
    )
    assert response.status_code == 302
    draft = LegalDocument.objects.get(kind="privacy", version=2)
    assert draft.published_at is None and draft.counsel_reviewed_on is None
    assert "Reviewed by counsel." not in client.get("/privacy/").content.decode()

    changelist = reverse("admin:legal_legaldocument_changelist")
    client.post(changelist, {"action": "publish", "_selected_action": [draft.pk]})
    assert "Reviewed by counsel." in client.get("/privacy/").content.decode()


def test_a_published_version_never_changes(client):
    sign_in(client, staff("superuser", "root"))
    first = LegalDocument.objects.get(kind="terms", version=1)
    url = reverse("admin:legal_legaldocument_change", args=[first.pk])
    page = client.get(url).content.decode()
    assert 'name="body"' not in page
    client.post(url, {"kind": "terms", "title": "Changed", "body": "Changed"})
    first.refresh_from_db()
    assert first.title == "Terms of service"
    delete = reverse("admin:legal_legaldocument_delete", args=[first.pk])
    assert client.get(delete).status_code == 403


def test_clinicians_do_not_edit_the_documents(client):
    sign_in(client, staff("clinician", "dr_lee"))
    assert client.get(reverse("admin:legal_legaldocument_add")).status_code == 403


def test_the_seed_adds_missing_first_versions_once():
    from io import StringIO

    from django.core.management import call_command

    LegalDocument.objects.filter(kind="terms").delete()
    out = StringIO()
    call_command("seed", stdout=out)
    assert "Legal documents: first versions" in out.getvalue()
    assert LegalDocument.objects.current("terms").version == 1
    out = StringIO()
    call_command("seed", stdout=out)
    assert "Legal documents" not in out.getvalue()
