"""Labs and her identity through the pages: her order page (enter a result, upload a report
or her ID, print a requisition), the staff actions (request labs, confirm results, check her
ID), and the one view that serves her files: to those allowed, logged, 403 to anyone else."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clinic.identity import provider
from clinic.services.labs import enter_result, request_labs, upload_report
from orders.models import HealthFile, IdentityCheck, LabResult, QuestionnaireAccess
from tests.support.factories import make_order, make_plan, pay
from tests.support.files import ELF, GPS, PDF, jpeg, upload
from tests.support.patients import sign_in_patient
from tests.support.staff import sign_in, staff

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


def metformin_order(email="lena@example.com"):
    return pay(make_order(make_plan("Oral Metformin ER"), email=email), ready=False, identity=True)


def file_url(health_file):
    return f"/admin/orders/order/files/{health_file.pk}/"


def action_url(order, action):
    return f"/admin/orders/order/{order.pk}/{action}/"


@pytest.fixture
def files():
    order = metformin_order()
    report = upload_report(order, upload(PDF), by=None)
    photo = upload_report(
        order, upload(jpeg(), "id.jpg", "image/jpeg"), by=None, kind=HealthFile.Kind.ID_PHOTO
    )
    return order, report, photo


def pharmacist():
    """A staff user holding only what a pharmacist's role gets for labs (issue 20)."""
    user = staff("fulfillment", "pharmacist")
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_lab_files", "confirm_lab_result"])
    )
    return user


def test_a_lab_report_is_served_to_a_clinician_and_logged(client, files):
    order, report, _ = files
    sign_in(client, staff("clinician"))
    response = client.get(file_url(report))
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert "sandbox" in response["Content-Security-Policy"]
    [look] = QuestionnaireAccess.objects.filter(order=order, where=f"Lab report #{report.pk}")
    assert look.username == "clinician"


def test_a_pharmacist_sees_lab_reports_but_not_her_id(client, files):
    _, report, photo = files
    sign_in(client, pharmacist())
    assert client.get(file_url(report)).status_code == 200
    assert client.get(file_url(photo)).status_code == 403
    assert not QuestionnaireAccess.objects.filter(where__startswith="ID photo").exists()


def test_her_id_photo_is_served_to_a_clinician_without_its_metadata(client, files):
    _, _, photo = files
    sign_in(client, staff("clinician"))
    response = client.get(file_url(photo))
    body = b"".join(response.streaming_content)
    assert response.status_code == 200 and body == jpeg(exif=False) and GPS not in body
    assert QuestionnaireAccess.objects.filter(where=f"ID photo #{photo.pk}").count() == 1


@pytest.mark.parametrize("role", ["support", "fulfillment", "catalog-manager"])
def test_other_staff_get_403(client, files, role):
    _, report, photo = files
    sign_in(client, staff(role))
    assert client.get(file_url(report)).status_code == 403
    assert client.get(file_url(photo)).status_code == 403
    assert not QuestionnaireAccess.objects.exists()


def test_a_patient_gets_no_file_from_the_staff_site(client, files):
    order, report, _ = files
    sign_in_patient(client, order)  # her own report, even: staff site only
    response = client.get(file_url(report))
    assert response.status_code == 302 and "files" not in response["Location"]
    assert not QuestionnaireAccess.objects.exists()


def test_a_deleted_or_missing_file_is_a_404(client, files):
    _, _, photo = files
    HealthFile.objects.filter(pk=photo.pk).update(deleted_at=timezone.now())
    sign_in(client, staff("clinician"))
    assert client.get(file_url(photo)).status_code == 404
    assert client.get("/admin/orders/order/files/999999/").status_code == 404


def test_the_file_view_takes_constant_queries(client, files, django_assert_num_queries):
    _, report, _ = files
    sign_in(client, staff("clinician"))
    client.get(file_url(report))
    with django_assert_num_queries(7):  # session, user, device, perms, file, log
        client.get(file_url(report))


# --- her order page -------------------------------------------------------------------------


def test_she_uploads_her_id_and_corrects_her_name(client):
    order = metformin_order()
    IdentityCheck.objects.filter(order=order).delete()
    sign_in_patient(client, order)
    page = client.get(order.get_absolute_url()).content.decode()
    assert "upload a photo of a government ID" in page and 'enctype="multipart/form-data"' in page
    response = client.post(
        f"/orders/{order.public_id}/identity/",
        {
            "full_name": "Lena Marie Patient",
            "date_of_birth": "1990-04-12",
            "photo": upload(jpeg(), "id.jpg", "image/jpeg"),
        },
    )
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.full_name == "Lena Marie Patient"
    assert provider().status(order) == IdentityCheck.Decision.PENDING
    assert (
        "a clinician checks the photo of your ID"
        in client.get(order.get_absolute_url()).content.decode()
    )


def test_a_renamed_executable_is_refused_on_her_page(client):
    order = metformin_order()
    IdentityCheck.objects.filter(order=order).delete()
    sign_in_patient(client, order)
    response = client.post(
        f"/orders/{order.public_id}/identity/",
        {"full_name": "Lena", "date_of_birth": "1990-04-12", "photo": upload(ELF, "id.jpg")},
    )
    assert response.status_code == 400
    assert "Upload a PDF, a JPEG or a PNG" in response.content.decode()
    assert not HealthFile.objects.filter(order=order, kind="id_photo").exclude(file="").exists()


def test_she_sees_the_request_prints_the_requisition_and_enters_a_result(client):
    order = metformin_order()
    request = request_labs(
        order,
        tests=["egfr"],
        why="Kidney function before metformin.",
        due_by=TODAY() + timedelta(days=14),
        by=staff("clinician"),
    )
    sign_in_patient(client, order)
    page = client.get(order.get_absolute_url()).content.decode()
    assert "Your clinician asked for: eGFR" in page and "Kidney function before" in page
    requisition = client.get(f"/orders/{order.public_id}/labs/{request.pk}/requisition/")
    assert requisition.status_code == 200
    assert "Laboratory requisition" in requisition.content.decode()
    assert "eGFR (mL/min/1.73m" in requisition.content.decode()

    response = client.post(
        f"/orders/{order.public_id}/labs/",
        {
            "test": "egfr",
            "value": "84",
            "unit": "mL/min/1.73m2",
            "taken_on": str(TODAY()),
            "report": upload(PDF),
        },
    )
    assert response.status_code == 302
    result = LabResult.objects.get(order=order)
    assert (result.value, result.report.content_type, result.confirmed) == (
        "84",
        "application/pdf",
        False,
    )


def test_bad_result_input_is_a_400_not_a_500(client):
    order = metformin_order()
    request_labs(order, tests=["egfr"], why="x", due_by=TODAY(), by=staff("clinician"))
    sign_in_patient(client, order)
    for data in (
        {"test": "egfr", "value": "abc", "taken_on": str(TODAY())},
        {"test": "sodium", "value": "1", "taken_on": str(TODAY())},
        {"test": "egfr", "value": "1", "taken_on": "not a date"},
        {"test": "egfr", "value": "80", "taken_on": str(TODAY()), "report": upload(ELF)},
    ):
        assert client.post(f"/orders/{order.public_id}/labs/", data).status_code == 400
    assert not LabResult.objects.exists()


def test_another_patients_order_and_requisition_are_404(client):
    order = metformin_order()
    request = request_labs(order, tests=["egfr"], why="x", due_by=TODAY(), by=staff("clinician"))
    other = metformin_order(email="someone@example.com")
    sign_in_patient(client, other)
    base = f"/orders/{order.public_id}"
    assert client.get(f"{base}/labs/{request.pk}/requisition/").status_code == 404
    assert client.post(f"{base}/labs/", {"test": "egfr"}).status_code == 404
    assert client.post(f"{base}/identity/", {}).status_code == 404
    assert (
        client.get(f"/orders/{other.public_id}/labs/{request.pk}/requisition/").status_code == 404
    )


def test_the_requisition_takes_constant_queries(client, django_assert_num_queries):
    order = metformin_order()
    request = request_labs(order, tests=["egfr"], why="x", due_by=TODAY(), by=staff("clinician"))
    sign_in_patient(client, order)
    url = f"/orders/{order.public_id}/labs/{request.pk}/requisition/"
    client.get(url)
    with django_assert_num_queries(6):  # session, user, is_patient, order, request
        client.get(url)


# --- the staff actions ----------------------------------------------------------------------


def test_a_clinician_requests_labs_from_the_order(client):
    order = metformin_order()
    sign_in(client, staff("clinician"))
    assert client.get(action_url(order, "request_labs")).status_code == 200
    response = client.post(
        action_url(order, "request_labs"),
        {"tests": ["egfr"], "why": "Before metformin.", "due_by": str(TODAY())},
    )
    assert response.status_code == 302
    assert order.lab_requests.get().tests == ["egfr"]
    assert client.post(action_url(order, "request_labs"), {"tests": ["egfr"]}).status_code == 400


def test_a_pharmacist_confirms_a_result_against_its_report(client):
    order = metformin_order()
    report = upload_report(order, upload(PDF), by=None)
    result = enter_result(
        order, test="egfr", value="84", unit="", taken_on=TODAY(), by=None, report=report
    )
    sign_in(client, pharmacist())
    page = client.get(action_url(order, "confirm_labs")).content.decode()
    assert f"/admin/orders/order/files/{report.pk}/" in page and "eGFR 84" in page
    response = client.post(action_url(order, "confirm_labs"), {"results": [result.pk]})
    assert response.status_code == 302
    result.refresh_from_db()
    assert result.confirmed and result.confirmed_by.username == "pharmacist"


def test_a_clinician_records_her_id_matches_on_the_sign_off_page(client, django_assert_num_queries):
    order = metformin_order()
    IdentityCheck.objects.filter(order=order).delete()
    photo = upload_report(
        order, upload(jpeg(), "id.jpg", "image/jpeg"), by=None, kind=HealthFile.Kind.ID_PHOTO
    )
    provider().submit(order, photo, by=None)
    clinician = staff("clinician")
    sign_in(client, clinician)
    signoff = client.get(action_url(order, "approve")).content.decode()
    assert "Waiting for a decision" in signoff and "No confirmed eGFR" in signoff
    page = client.get(action_url(order, "identity")).content.decode()
    assert "Jane Patient" in page and f"/admin/orders/order/files/{photo.pk}/" in page
    response = client.post(action_url(order, "identity"), {"decision": "match", "note": ""})
    assert response.status_code == 302
    assert provider().status(order) == IdentityCheck.Decision.MATCH


def test_support_cannot_take_the_lab_or_identity_actions(client):
    order = metformin_order()
    sign_in(client, staff("support"))
    for action in ("request_labs", "confirm_labs", "identity"):
        assert client.get(action_url(order, action)).status_code == 403


def test_the_sign_off_page_query_count_stays_constant_with_labs(client):
    order = metformin_order()
    clinician = staff("clinician")
    sign_in(client, clinician)
    url = action_url(order, "approve")
    client.get(url)
    with CaptureQueriesContext(connection) as before:
        client.get(url)
    for n in range(3):
        report = upload_report(order, upload(PDF), by=None)
        enter_result(
            order, test="egfr", value=f"8{n}", unit="", taken_on=TODAY(), by=None, report=report
        )
    request_labs(order, tests=["egfr"], why="x", due_by=TODAY(), by=clinician)
    with CaptureQueriesContext(connection) as after:
        client.get(url)
    # one more: her lab requests, once there is a lab hold to show; never one per result
    assert len(after) <= len(before) + 1, [q["sql"][:80] for q in after]


def test_a_clinician_records_a_mismatch_from_the_order(client):
    order = metformin_order()
    IdentityCheck.objects.filter(order=order).delete()
    photo = upload_report(
        order, upload(jpeg(), "id.jpg", "image/jpeg"), by=None, kind=HealthFile.Kind.ID_PHOTO
    )
    provider().submit(order, photo, by=None)
    sign_in(client, staff("clinician"))
    response = client.post(
        action_url(order, "identity"), {"decision": "mismatch", "note": "Other surname"}
    )
    assert response.status_code == 302
    assert provider().status(order) == IdentityCheck.Decision.MISMATCH
    page = client.get(action_url(order, "identity")).content.decode()
    assert "Her photo: no file" in page  # nothing waits for a decision now
    sign_in_patient(client, order)
    assert (
        "does not match the name or date of birth"
        in client.get(order.get_absolute_url()).content.decode()
    )


def test_nothing_is_sent_on_a_closed_order(client):
    order = metformin_order()
    request_labs(order, tests=["egfr"], why="x", due_by=TODAY(), by=staff("clinician"))
    order.status = "declined"
    order.save(update_fields=["status"])
    sign_in_patient(client, order)
    data = {"test": "egfr", "value": "80", "taken_on": str(TODAY())}
    assert client.post(f"/orders/{order.public_id}/labs/", data).status_code == 400
    identity = {"full_name": "Jane Patient", "date_of_birth": "1990-04-12"}
    identity["photo"] = upload(jpeg(), "id.jpg", "image/jpeg")
    assert client.post(f"/orders/{order.public_id}/identity/", identity).status_code == 400
    assert not LabResult.objects.exists()
    assert not IdentityCheck.objects.filter(order=order, decision="pending").exists()


def test_a_new_photo_with_the_same_details_changes_no_detail(client):
    order = metformin_order()
    IdentityCheck.objects.filter(order=order).delete()
    sign_in_patient(client, order)
    data = {"full_name": order.full_name, "date_of_birth": "1990-04-12"}
    data["photo"] = upload(jpeg(), "id.jpg", "image/jpeg")
    assert client.post(f"/orders/{order.public_id}/identity/", data).status_code == 302
    assert not order.events.filter(kind="identity_corrected").exists()
    assert order.events.filter(kind="identity_submitted").exists()


def test_the_order_page_offers_the_lab_and_identity_actions_when_they_apply(client):
    order = metformin_order()
    clinician = staff("clinician")
    sign_in(client, clinician)
    page = client.get(f"/admin/orders/order/{order.pk}/change/").content.decode()
    assert action_url(order, "request_labs") in page
    assert (
        action_url(order, "confirm_labs") not in page and action_url(order, "identity") not in page
    )
    report = upload_report(order, upload(PDF), by=None)
    enter_result(order, test="egfr", value="80", unit="", taken_on=TODAY(), by=None, report=report)
    photo = upload_report(order, upload(PDF), by=None, kind=HealthFile.Kind.ID_PHOTO)
    check = provider().submit(order, photo, by=None)
    assert str(check) == f"Identity check #{check.pk} (waiting for a decision)"
    page = client.get(f"/admin/orders/order/{order.pk}/change/").content.decode()
    assert action_url(order, "confirm_labs") in page and action_url(order, "identity") in page


@pytest.mark.parametrize("results", [1, 3])
def test_the_lab_and_identity_action_pages_take_constant_queries(client, results):
    order = metformin_order()
    clinician = staff("clinician")
    for n in range(results):
        report = upload_report(order, upload(PDF), by=None)
        enter_result(
            order, test="egfr", value=f"8{n}", unit="", taken_on=TODAY(), by=None, report=report
        )
    photo = upload_report(order, upload(PDF), by=None, kind=HealthFile.Kind.ID_PHOTO)
    provider().submit(order, photo, by=None)
    sign_in(client, clinician)
    counts = {}
    for action in ("request_labs", "confirm_labs", "identity"):
        client.get(action_url(order, action))
        with CaptureQueriesContext(connection) as queries:
            assert client.get(action_url(order, action)).status_code == 200
        counts[action] = len(queries)
    # session, user, device, permissions, the order (with her answers); then the form's own
    # read: the results to confirm (with their reports), or the photo waiting for a decision
    assert counts == {"request_labs": 6, "confirm_labs": 7, "identity": 7}
