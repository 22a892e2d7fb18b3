"""The legal documents she agrees to: complete, naming the clinic's legal entity, never
template wording; counsel's review date set by staff, and a warning on the staff index until
every current document has one."""

import datetime

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from legal.models import LegalDocument
from legal.seed import publish_seed_texts, seed_legal_documents
from legal.texts import DOCUMENTS
from tests.support.staff import sign_in, staff

pytestmark = pytest.mark.django_db

PAGES = {"privacy": "/privacy/", "terms": "/terms/", "telehealth_consent": "/telehealth-consent/"}


@pytest.fixture(autouse=True)
def documents():
    seed_legal_documents()


@override_settings(
    LEGAL_ENTITY_NAME="Oana Health Medical Group, P.C.",
    LEGAL_ENTITY_ADDRESS="1 Main St, Albany, NY 12207",
    PRIVACY_EMAIL="privacy@clinic.test",
    SUPPORT_EMAIL="care@clinic.test",
    SUPPORT_PHONE="1-800-555-0199",
)
@pytest.mark.parametrize("kind", PAGES)
def test_each_document_names_the_entity_address_and_contacts_from_settings(client, kind):
    html = client.get(PAGES[kind]).content.decode()
    assert "Oana Health Medical Group, P.C." in html
    assert "1 Main St, Albany, NY 12207" in html
    assert "care@clinic.test" in html and "1-800-555-0199" in html
    assert "{legal_entity}" not in html and "{" not in html.split("<main", 1)[1].split("</main>")[0]
    for wording in ("Template", "template", "awaiting review", "lawyer"):
        assert wording not in html


def test_the_privacy_notice_is_a_hipaa_notice_of_privacy_practices(client):
    html = client.get("/privacy/").content.decode()
    assert "<h2>Notice of Privacy Practices</h2>" in html
    for must in (
        "how medical information about you may be used and disclosed",
        "Office for Civil Rights",
        "We never sell your health information",
        "privacy@oanahealth.example",
    ):
        assert must in html


def test_a_document_keeps_its_own_braces():
    from legal.rendering import blocks

    assert blocks("## Heading\n\nA {curly} {legal_entity}.\r\n\r\n") == [
        ("heading", "Heading"),
        ("paragraph", "A {curly} Oana Health, P.C.."),
    ]


def test_a_database_seeded_with_the_old_templates_gets_the_complete_texts_as_new_versions():
    LegalDocument.objects.filter(kind="terms").update(body="Template text.")
    first = LegalDocument.objects.get(kind="terms", version=1)
    assert publish_seed_texts() == 1
    current = LegalDocument.objects.current("terms")
    assert current.version == 2 and current.body == dict((k, b) for k, _, b in DOCUMENTS)["terms"]
    first.refresh_from_db()
    assert first.body == "Template text."  # what earlier orders agreed to stays as it was
    assert publish_seed_texts() == 0


def test_a_kind_with_only_a_draft_gets_no_seed_version():
    LegalDocument.objects.filter(kind="privacy").update(published_at=None)
    assert publish_seed_texts() == 0


def test_the_staff_index_warns_until_counsel_reviewed_every_current_document(client):
    sign_in(client, staff("content-editor", "cleo"))
    page = client.get(reverse("admin:index")).content.decode()
    assert "Not ready for go-live: legal documents" in page
    for kind in PAGES:
        document = LegalDocument.objects.current(kind)
        assert reverse("admin:legal_legaldocument_change", args=[document.pk]) in page

    # Counsel's date is set on the published version itself: its text stays read-only.
    for kind in PAGES:
        document = LegalDocument.objects.current(kind)
        url = reverse("admin:legal_legaldocument_change", args=[document.pk])
        form = client.get(url).content.decode()
        assert 'name="body"' not in form and 'name="counsel_reviewed_on"' in form
        response = client.post(url, {"counsel_reviewed_on": "2026-11-30", "body": "Changed"})
        assert response.status_code == 302
        document.refresh_from_db()
        assert document.counsel_reviewed_on == datetime.date(2026, 11, 30)
        assert "Changed" not in document.body
    assert "Not ready for go-live" not in client.get(reverse("admin:index")).content.decode()

    # A new version starts unreviewed: the warning is back once it is published.
    LegalDocument.objects.create(
        kind="terms", title="Terms", body="New.", published_at=timezone.now()
    )
    assert LegalDocument.objects.awaiting_counsel() == [LegalDocument.objects.current("terms")]


def test_staff_who_cannot_edit_documents_see_the_warning_without_links(client):
    sign_in(client, staff("clinician", "dr_lee"))
    page = client.get(reverse("admin:index")).content.decode()
    assert "Not ready for go-live: legal documents" in page
    assert "/legal/legaldocument/" not in page
