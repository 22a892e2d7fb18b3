"""Labs and her identity on her order page: the labs her clinician asked for (with a
printable requisition), entering a result and uploading its report, and uploading a photo of
her ID (correcting her legal name or date of birth if they did not match).

Every page is hers alone (``her_order``: another patient's order is a 404). What she uploads
is checked by content and stored encrypted (``clinic.uploads``, ``core.health_files``).
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from clinic.identity import provider
from clinic.services.labs import enter_result, test_names, upload_report
from orders.models import HealthFile, Hold, IdentityCheck, Order
from orders.services import lock_order, record_event
from treatments.labs import LAB_TESTS

FILE_HELP = "A PDF, or a photo (JPEG or PNG) of the whole page."


class LabResultForm(forms.Form):
    test = forms.ChoiceField(
        label="Test", choices=[("", "Choose the test")] + [(k, v[0]) for k, v in LAB_TESTS.items()]
    )
    value = forms.CharField(label="Result (the number on the report)", max_length=20)
    unit = forms.CharField(
        label="Unit as printed", max_length=40, required=False, help_text="e.g. mmol/L."
    )
    taken_on = forms.DateField(
        label="Date the sample was taken",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    report = forms.FileField(label="The lab report", help_text=FILE_HELP, required=False)


class IdentityForm(forms.Form):
    full_name = forms.CharField(label="Your legal name, as on your ID", max_length=200)
    date_of_birth = forms.DateField(
        label="Your date of birth",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    photo = forms.FileField(
        label="A photo of your government ID",
        help_text="A driver's license, state ID or passport: the whole card, readable. "
        "JPEG, PNG or PDF.",
    )


def labs_context(order, **forms_given):
    """What her order page shows of labs and her identity."""
    requests = list(order.lab_requests.all())
    identity = provider().status(order)
    # Before the first approval, or to correct a mismatch; never on her running orders.
    before_approval = not order.was_approved or identity == IdentityCheck.Decision.MISMATCH
    wants_id = (
        not order.is_closed() and before_approval and identity != IdentityCheck.Decision.MATCH
    )
    wants_labs = bool(requests) or order.holds.open().filter(kind=Hold.Kind.LABS).exists()
    return {
        "lab_requests": [(r, test_names(r.tests)) for r in requests],
        "lab_results": [(LAB_TESTS[r.test][0], r) for r in order.lab_results.all()],
        "lab_form": forms_given.get("lab_form")
        or (LabResultForm() if wants_labs and not order.is_closed() else None),
        "identity": identity,
        "identity_form": forms_given.get("identity_form")
        or (
            IdentityForm(
                initial={"full_name": order.full_name, "date_of_birth": order.date_of_birth}
            )
            if wants_id and identity != IdentityCheck.Decision.PENDING
            else None
        ),
    }


def lab_result(request, order):
    """She enters a result, with its report if she has it. Returns the form with its errors,
    or None once done."""
    form = LabResultForm(request.POST, request.FILES)
    if order.is_closed() or not form.is_valid():
        return form
    data = form.cleaned_data
    try:
        with transaction.atomic():
            report = (
                upload_report(order, data["report"], by=request.user) if data["report"] else None
            )
            enter_result(
                order,
                test=data["test"],
                value=data["value"],
                unit=data["unit"],
                taken_on=data["taken_on"],
                report=report,
                by=request.user,
            )
    except ValidationError as error:
        _add_errors(form, error)
        return form
    messages.success(
        request,
        "Thank you: your result is in. It counts once a clinician has checked it against "
        "your report." + ("" if data["report"] else " Please upload the report too."),
    )
    return None


def identity(request, order):
    """She uploads a photo of her ID, correcting her legal name or date of birth. Returns the
    form with its errors, or None once done."""
    form = IdentityForm(request.POST, request.FILES)
    if order.is_closed() or not form.is_valid():
        return form
    data = form.cleaned_data
    try:
        with transaction.atomic():
            _correct_details(order, data["full_name"], data["date_of_birth"], by=request.user)
            photo = upload_report(
                order, data["photo"], by=request.user, kind=HealthFile.Kind.ID_PHOTO
            )
            provider().submit(order, photo, by=request.user)
    except ValidationError as error:
        _add_errors(form, error, field="photo")
        return form
    messages.success(request, "Thank you: a clinician checks your ID before approving.")
    return None


def _correct_details(order, full_name, born, *, by):
    order = lock_order(order)
    if (order.full_name, order.date_of_birth) == (full_name, born):
        return
    Order.objects.filter(pk=order.pk).update(full_name=full_name, date_of_birth=born)
    record_event(
        order,
        "identity_corrected",
        message="You corrected your legal name or date of birth.",
        actor=by,
    )


def _add_errors(form, error, field="report"):
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(field, error)


def requisition(request, order, request_id):
    """A plain page she can print and take to a lab."""
    lab_request = get_object_or_404(
        order.lab_requests.select_related("requested_by"), pk=request_id
    )
    return render(
        request,
        "orders/requisition.html",
        {
            "order": order,
            "lab_request": lab_request,
            "tests": [LAB_TESTS[test] for test in lab_request.tests if test in LAB_TESTS],
            "printed": timezone.localdate(),
        },
    )
