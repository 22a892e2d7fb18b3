"""Her identity: a photo of her ID before the first approval, a clinician's match / mismatch,
a mismatch that waits on her, and the photo deleted 30 days after the decision."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.utils import timezone

from clinic.identity import ManualReview, delete_photos, provider, require_verified
from clinic.services.labs import upload_report
from clinic.services.reports import follow_up_silent
from clinic.services.review import approve_order
from core.health_files import health_files
from oana.retention import prune
from orders.emails import send_order_email
from orders.models import HealthFile, Hold, IdentityCheck, Order
from orders.services import OrderError
from payments.services.subscriptions import clinic_pause
from tests.support.clinic import considered
from tests.support.factories import make_order, make_paid_order, make_plan, pay
from tests.support.files import jpeg, upload
from tests.support.staff import staff

pytestmark = pytest.mark.django_db
D = IdentityCheck.Decision


def unverified_order(email="ida@example.com"):
    """A paid order whose patient has not uploaded her ID (the factories' orders have)."""
    return pay(make_order(make_plan("Oral Minoxidil"), email=email), ready=False)


def submit_photo(order):
    photo = upload_report(
        order, upload(jpeg(), "id.jpg", "image/jpeg"), by=None, kind=HealthFile.Kind.ID_PHOTO
    )
    return provider().submit(order, photo, by=None)


def approve(order):
    clinician = User.objects.filter(username="approver").first() or staff("clinician", "approver")
    return approve_order(order, by=clinician, considered=considered(order), attested=True)


def test_the_manual_review_is_the_default_provider():
    assert isinstance(provider(), ManualReview)


def test_approval_is_refused_until_her_identity_matched():
    order = unverified_order()
    with pytest.raises(OrderError, match="not uploaded a photo of her ID"):
        approve(order)
    submit_photo(order)
    with pytest.raises(OrderError, match="record whether her ID matches"):
        approve(order)
    provider().decide(order, match=True, by=staff("clinician"))
    assert approve(order).status == Order.Status.APPROVED


def test_a_match_on_an_earlier_order_of_hers_counts():
    first = unverified_order()
    submit_photo(first)
    provider().decide(first, match=True, by=staff("clinician"))
    later = unverified_order()
    require_verified(later)  # same email: no new photo needed


def test_a_mismatch_waits_on_her_pauses_collection_and_asks_her_to_correct(
    django_capture_on_commit_callbacks,
):
    order = unverified_order()
    submit_photo(order)
    with django_capture_on_commit_callbacks() as callbacks:
        provider().decide(order, match=False, by=staff("clinician"), note="Different surname")
    for callback in callbacks:
        if getattr(callback, "func", None) == send_order_email.enqueue:
            callback()
    [email] = mail.outbox
    assert "check your name and date of birth" in email.subject
    hold = order.holds.open().get(kind=Hold.Kind.IDENTITY)
    assert hold.awaits_patient_since and clinic_pause(order)
    with pytest.raises(OrderError, match="did not match"):
        approve(order)
    assert order.events.get(kind="identity_mismatch").message.startswith("The photo of your ID")

    submit_photo(order)  # she corrected it: the wait is on the clinician again
    hold.refresh_from_db()
    assert hold.awaits_patient_since is None and hold.is_open
    provider().decide(order, match=True, by=staff("clinician", "second"))
    hold.refresh_from_db()
    assert not hold.is_open
    assert approve(order).status == Order.Status.APPROVED


def test_a_mismatch_unanswered_for_14_days_declines_and_refunds():
    order = unverified_order()
    submit_photo(order)
    provider().decide(order, match=False, by=staff("clinician"))
    hold = order.holds.open().get(kind=Hold.Kind.IDENTITY)
    assert follow_up_silent(timezone.now() + timedelta(days=15)) == ([], [hold.pk])
    order.refresh_from_db()
    assert order.status == Order.Status.DECLINED and order.refunds.exists()


def test_no_decision_without_a_photo_waiting():
    order = unverified_order()
    with pytest.raises(OrderError, match="no ID photo waiting"):
        provider().decide(order, match=True, by=staff("clinician"))


def test_the_photo_is_deleted_30_days_after_the_decision():
    order = unverified_order()
    check = submit_photo(order)
    provider().decide(order, match=True, by=staff("clinician"))
    name = check.photo.file.name
    assert health_files().exists(name)
    decided = IdentityCheck.objects.get(pk=check.pk).decided_at
    assert delete_photos(decided + timedelta(days=29)) == 0
    assert prune(decided + timedelta(days=31))["ID photos deleted"] == 1
    assert not health_files().exists(name)
    photo = HealthFile.objects.get(pk=check.photo_id)
    assert photo.deleted_at is not None
    assert IdentityCheck.objects.get(pk=check.pk).decision == D.MATCH  # the decision stays
    assert delete_photos(decided + timedelta(days=60)) == 0  # once


def test_a_photo_waiting_for_a_decision_is_kept():
    order = make_paid_order()
    submit_photo(order)
    assert delete_photos(timezone.now() + timedelta(days=365)) == 0
