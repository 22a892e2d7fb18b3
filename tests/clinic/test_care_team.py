"""The care team, named where she decides (issue 21 item 1): the public /care-team/ page, the
reviewers on each treatment page, the home page's block and the cart's line; photos staff
upload (resized, AVIF and WebP, in the public media storage) or initials; every cached page
that shows a clinician refreshed when she is saved."""

import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from clinic.care_team import care_team
from core import public_images
from core.us_states import US_STATES
from orders.models import ClinicianProfile
from tests.support.factories import (
    care_team_of,
    jpeg,
    license_in,
    licensed_clinician,
    make_plan,
)
from tests.support.staff import sign_in, staff

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _public_media(public_media):
    return public_media


def profile_form(profile, **changes):
    """The clinician's admin form as it stands, with ``changes``."""
    licences = list(profile.licences.all())
    form = {
        "user": str(profile.user_id),
        "display_name": profile.display_name,
        "credentials": profile.credentials,
        "npi": "1234567893",  # the factories' NPIs have no valid check digit; the form checks
        "is_active": "on" if profile.is_active else "",
        "bio": profile.bio,
        "licences-TOTAL_FORMS": str(len(licences)),
        "licences-INITIAL_FORMS": str(len(licences)),
    }
    for n, licence in enumerate(licences):
        form |= {
            f"licences-{n}-id": str(licence.pk),
            f"licences-{n}-profile": str(profile.pk),
            f"licences-{n}-state": licence.state,
            f"licences-{n}-number": licence.number,
            f"licences-{n}-expires_on": licence.expires_on.isoformat(),
        }
    return form | changes


def test_the_page_names_each_active_licensed_clinician_with_her_credentials_states_and_bio(
    client,
):
    ana = licensed_clinician(["NY", "CA"])
    ana.bio = "Family physician, 12 years in women's health."
    ana.save()
    everywhere = licensed_clinician(
        [code for code, _ in US_STATES], username="dr_all", npi="1000000002"
    )
    everywhere.display_name, everywhere.credentials = "Maya Ortiz", "NP"
    everywhere.save()
    inactive = licensed_clinician(["TX"], username="dr_off", npi="1000000003")
    inactive.display_name, inactive.is_active = "Dr. Gone Away", False
    inactive.save()
    lapsed = licensed_clinician(["OH"], username="dr_lapsed", npi="1000000004")
    lapsed.display_name = "Dr. Lapsed Licence"
    lapsed.save()
    license_in(lapsed, ["OH"], expires_on=timezone.localdate() - timedelta(days=1))

    html = client.get("/care-team/").content.decode()
    assert "<h1>Our care team</h1>" in html
    assert 'Dr. Ana Lee<span class="muted">, MD</span>' in html
    assert "Family physician, 12 years in women&#x27;s health." in html
    assert "Licensed in California, New York" in html
    assert 'Maya Ortiz<span class="muted">, NP</span>' in html
    assert "Licensed in every state we serve" in html
    assert "Gone Away" not in html and "Lapsed" not in html
    # No photo: her initials, drawn, beside her name (decorative).
    assert re.search(r'<svg class="avatar avatar--96" aria-hidden="true"[^>]*>.*>AL</text>', html)
    assert ">MO</text>" in html
    assert reverse("care_team") in client.get("/sitemap.xml").content.decode()


def test_initials_leave_out_titles_and_keep_first_and_last_names():
    assert ClinicianProfile(display_name="Dr. Ana María Lee").initials == "AL"
    assert ClinicianProfile(display_name="Maya").initials == "M"
    assert ClinicianProfile(display_name="Lee, Ana").initials == "LA"


def test_with_no_clinician_the_page_says_so_and_the_other_pages_leave_the_block_out(client):
    plan = make_plan()
    ClinicianProfile.objects.all().delete()
    assert "profiles will be here soon" in client.get("/care-team/").content.decode()
    assert (
        "Reviewed by a clinician"
        not in client.get(plan.treatment.get_absolute_url()).content.decode()
    )
    assert "Your care team" not in client.get("/").content.decode()


def test_the_treatment_page_home_page_and_cart_name_the_clinicians(client):
    plan = make_plan()
    ClinicianProfile.objects.all().delete()
    care_team_of(6)
    page = client.get(plan.treatment.get_absolute_url()).content.decode()
    assert "Reviewed by a clinician licensed in your state</h2>" in page
    assert page.count("Dr. Clinician Number") == 4  # four named, the page has all six
    assert "Meet the care team (6 clinicians)" in page

    home = client.get("/").content.decode()
    assert '<h2 id="care-team-title">Your care team</h2>' in home
    assert home.count('class="card clinician-card"') == 3

    client.post("/cart/add/", {"plan": plan.pk})
    cart = re.sub(r"<[^>]+>", "", client.get("/cart/").content.decode())
    assert (
        "Reviewed by Dr. Clinician Number0, MD or another of our 6 clinicians, licensed in your "
        "state. Meet the care team"
    ) in cart


def test_a_photo_uploaded_in_the_admin_is_cropped_re_encoded_and_served_publicly(
    client, public_media
):
    profile = licensed_clinician(["NY"])
    admin = sign_in(client, staff("superuser", "root"))
    url = reverse("admin:orders_clinicianprofile_change", args=[profile.pk])
    response = admin.post(url, profile_form(profile, photo_upload=jpeg(), bio="Hello."))
    assert response.status_code == 302
    profile.refresh_from_db()
    assert profile.photo.startswith("clinicians/") and profile.bio == "Hello."
    for extension, pil_format in (("avif", "AVIF"), ("webp", "WEBP")):
        stored = public_media / f"{profile.photo}.{extension}"
        with Image.open(stored) as image:
            assert (image.format, image.size) == (pil_format, (240, 240))

    client.logout()
    html = client.get("/care-team/").content.decode()
    assert f'<source srcset="/media/{profile.photo}.avif" type="image/avif">' in html
    assert f'<img src="/media/{profile.photo}.webp" alt="" width="96" height="96"' in html
    served = client.get(f"/media/{profile.photo}.webp")
    assert served.status_code == 200 and served["Content-Type"] == "image/webp"
    assert "immutable" in served["Cache-Control"]
    assert client.get("/media/../oana/settings.py").status_code in (400, 404)
    assert client.get("/media/clinicians/").status_code == 404  # no listing
    assert client.get("/media/clinicians/nothing.webp").status_code == 404

    # Removing it brings the initials back.
    sign_in(client, staff("superuser", "root2"))
    client.post(url, profile_form(profile, remove_photo="on"))
    profile.refresh_from_db()
    assert profile.photo == ""
    assert ">AL</text>" in care_team_page(client)


def care_team_page(client):
    client.logout()
    return client.get("/care-team/").content.decode()


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("x.jpg", b"not an image", content_type="image/jpeg"), "not an image"),
        (SimpleUploadedFile("x.jpg", b"\x00" * (11 * 1024 * 1024)), "over 10 MB"),
    ],
)
def test_a_file_that_is_not_a_usable_image_is_refused(client, upload, message):
    profile = licensed_clinician(["NY"])
    sign_in(client, staff("superuser", "root"))
    url = reverse("admin:orders_clinicianprofile_change", args=[profile.pk])
    response = client.post(url, profile_form(profile, photo_upload=upload))
    assert response.status_code == 200 and message in response.content.decode()
    profile.refresh_from_db()
    assert profile.photo == ""


def test_a_decompression_bomb_is_refused_before_it_is_decoded(monkeypatch):
    monkeypatch.setattr(public_images, "MAX_PIXELS", 100)
    with pytest.raises(Exception, match="under 40 megapixels"):
        public_images.store(jpeg(20, 20), folder="x", size=(10, 10))


def test_saving_a_clinician_in_the_admin_refreshes_every_cached_page_that_shows_her(client):
    profile = licensed_clinician(["NY"])
    plan = make_plan()
    pages = ["/care-team/", "/", plan.treatment.get_absolute_url()]
    for page in pages:
        assert "Dr. Ana Lee" in client.get(page).content.decode()  # now cached
    admin = staff("superuser", "root")
    from django.test import Client

    staff_client = sign_in(Client(), admin)
    url = reverse("admin:orders_clinicianprofile_change", args=[profile.pk])
    response = staff_client.post(url, profile_form(profile, display_name="Dr. Ana Lee-Park"))
    assert response.status_code == 302
    for page in pages:
        assert "Dr. Ana Lee-Park" in client.get(page).content.decode()


def test_deactivating_her_user_takes_her_off_but_a_sign_in_changes_nothing(client):
    profile = licensed_clinician(["NY"])
    assert len(care_team()) == 1
    user = profile.user
    user.last_login = timezone.now()
    user.save(update_fields=["last_login"])
    assert len(care_team()) == 1
    user.is_active = False
    user.save()
    assert care_team() == ()


def test_a_licence_that_expires_takes_the_cached_team_with_it():
    profile = licensed_clinician(["NY"])
    license_in(profile, ["NY"], expires_on=timezone.localdate())
    assert len(care_team()) == 1
    from clinic import care_team as module

    expires = module._first_expiry()
    assert expires == timezone.make_aware(
        timezone.datetime.combine(
            timezone.localdate() + timedelta(days=1), timezone.datetime.min.time()
        )
    )


def test_without_a_current_licence_the_team_never_expires_by_itself():
    from clinic import care_team as module

    ClinicianProfile.objects.all().delete()
    assert module._first_expiry() is None


def test_saving_a_user_who_is_not_a_clinician_changes_nothing_public(django_user_model):
    from core.cache import current_version

    patient = django_user_model.objects.create(username="jane", email="jane@example.com")
    before = current_version()
    patient.first_name = "Jane"
    patient.save()
    assert current_version() == before


def test_the_same_photo_twice_is_stored_once_and_the_admin_shows_it(client, public_media):
    profile = licensed_clinician(["NY"])
    sign_in(client, staff("superuser", "root"))
    url = reverse("admin:orders_clinicianprofile_change", args=[profile.pk])
    assert "Photo on the care-team page" in client.get(url).content.decode()  # "-" for none
    client.post(url, profile_form(profile, photo_upload=jpeg()))
    client.post(url, profile_form(profile, photo_upload=jpeg()))
    assert len(list((public_media / "clinicians").iterdir())) == 2  # one AVIF, one WebP
    profile.refresh_from_db()
    assert (
        f'src="/media/{profile.photo}.webp" alt="Photo of Dr. Ana Lee"'
        in client.get(url).content.decode()
    )
