"""Labs and her identity in the staff site: the actions of the order page (request labs,
confirm results against their report, record whether her ID matches), what the sign-off page
shows of them, and the one view that serves the files she uploaded.

Her files have no URL of their own (``core.health_files``): ``health_file_view`` serves one
to a user holding its kind's permission (``HealthFile.VIEW_PERMISSION``: lab reports to
clinicians and pharmacists, ID photos to clinicians only), writes each view to the health
data access log, and answers 403 to anyone else.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.cache import never_cache

from clinic.identity import provider
from clinic.services.labs import CONFIRM_PERMISSION, confirm_result, request_labs
from orders.models import HealthFile, IdentityCheck, LabResult, QuestionnaireAccess
from treatments.labs import LAB_TESTS


def file_link(health_file):
    if health_file is None or health_file.deleted_at:
        return "no file"
    url = reverse("admin:orders_health_file", args=[health_file.pk])
    return format_html(
        '<a href="{}" target="_blank" rel="noopener">{} #{}</a>',
        url,
        health_file.get_kind_display(),
        health_file.pk,
    )


@never_cache
def health_file_view(request, file_pk):
    """One of her files, to a user with its kind's permission; each view is logged."""
    health_file = get_object_or_404(HealthFile.objects.select_related("order"), pk=file_pk)
    if not request.user.has_perm(health_file.view_permission):
        raise PermissionDenied
    if health_file.deleted_at or not health_file.file:
        raise Http404("This file was deleted (retention).")
    QuestionnaireAccess.objects.create(
        order=health_file.order,
        user=request.user,
        username=request.user.get_username(),
        where=f"{health_file.get_kind_display()} #{health_file.pk}",
    )
    response = FileResponse(
        health_file.file.open("rb"), content_type=health_file.content_type, as_attachment=False
    )
    response["Cache-Control"] = "no-store, private"
    response["X-Content-Type-Options"] = "nosniff"
    # Never run anything a file might carry: a PDF is shown, not trusted.
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    return response


# --- request labs ---------------------------------------------------------------------------


class RequestLabsForm(forms.Form):
    tests = forms.MultipleChoiceField(
        label="Which tests",
        choices=[(key, f"{name} ({unit})") for key, (name, unit, _) in LAB_TESTS.items()],
        widget=forms.CheckboxSelectMultiple,
    )
    why = forms.CharField(
        label="Why (she reads it on her requisition)",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    due_by = forms.DateField(
        label="By when", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def __init__(self, data=None, *, order):
        super().__init__(data)
        self.order = order


def run_request_labs(order, user, form):
    data = form.cleaned_data
    request_labs(order, tests=data["tests"], why=data["why"], due_by=data["due_by"], by=user)
    return (
        f"Labs requested for {order.reference}: she was emailed, and the order waits on her "
        "(nothing ships, collection paused).",
        messages.SUCCESS,
    )


def may_request_labs(order):
    return order.was_approved or order.can_approve()


# --- confirm results ------------------------------------------------------------------------


def results_to_confirm(order):
    return LabResult.objects.filter(
        order=order, confirmed_at__isnull=True, report__isnull=False
    ).select_related("report")


class ResultChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, result):
        name = LAB_TESTS[result.test][0]
        return format_html(
            "{} {} {}, taken {} (her report: {})",
            name,
            result.value,
            result.unit,
            result.taken_on.strftime("%b %d, %Y"),
            file_link(result.report),
        )


class ConfirmLabsForm(forms.Form):
    results = ResultChoice(
        queryset=LabResult.objects.none(),
        label="The values that match her report",
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, data=None, *, order):
        super().__init__(data)
        self.fields["results"].queryset = results_to_confirm(order)


def run_confirm_labs(order, user, form):
    for result in form.cleaned_data["results"]:
        confirm_result(result, by=user)
    return f"{order.reference}: results confirmed against her report.", messages.SUCCESS


def may_confirm_labs(user):
    return user.has_perm(CONFIRM_PERMISSION)


def has_results_to_confirm(order):
    return results_to_confirm(order).exists()


# --- her identity ---------------------------------------------------------------------------


class IdentityForm(forms.Form):
    decision = forms.ChoiceField(
        label="Her ID against the legal name and date of birth she typed",
        choices=[
            ("match", "Matches"),
            ("mismatch", "Does not match: ask her to correct them"),
        ],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label="Note (what differs; kept with the decision)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, data=None, *, order):
        super().__init__(data)
        check = pending_check(order)
        self.fields["decision"].help_text = format_html(
            "She typed: <strong>{}</strong>, born <strong>{}</strong>. Her photo: {}.",
            order.full_name,
            order.date_of_birth.strftime("%b %d, %Y") if order.date_of_birth else "not given",
            file_link(check.photo if check else None),
        )


def pending_check(order):
    return (
        order.identity_checks.filter(decision=IdentityCheck.Decision.PENDING)
        .select_related("photo")
        .first()
    )


def run_identity(order, user, form):
    match = form.cleaned_data["decision"] == "match"
    provider().decide(order, match=match, by=user, note=form.cleaned_data["note"])
    if match:
        return f"{order.reference}: her identity matches.", messages.SUCCESS
    return (
        f"{order.reference}: mismatch recorded; she is asked to correct her details (the order "
        "waits on her, declined after 14 days without an answer), or decline it.",
        messages.WARNING,
    )


def may_decide_identity(user):
    return user.has_perm("orders.decide_identity")


def has_pending_identity(order):
    return order.identity_checks.filter(decision=IdentityCheck.Decision.PENDING).exists()


# --- on the sign-off page -------------------------------------------------------------------


def labs_context(order):
    """Her lab requests and results (newest first) and her identity, for the sign-off page."""
    results = LabResult.objects.filter(order=order).select_related("report")
    identity = provider().status(order)
    return {
        "lab_requests": list(order.lab_requests.all()),
        "lab_results": [
            (LAB_TESTS[r.test][0], r, LAB_TESTS[r.test][2], file_link(r.report)) for r in results
        ],
        "identity": identity,
        "identity_label": (
            IdentityCheck.Decision(identity).label if identity else "No ID photo uploaded yet"
        ),
    }
