"""Her check-in, answered from her order page (``clinic.services.checkins``). A check-in of
another patient's order, or one already answered, is a 404 like one that does not exist."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from clinic.checkin import open_checkin
from clinic.renewal import EMERGENCY
from clinic.services.checkins import answer_checkin
from orders.services import OrderError
from patients.views import _order_page, her_order, patient_required


@require_POST
@patient_required
def checkin(request, public_id, checkin_id):
    order = her_order(request, public_id)
    open_one, form = open_checkin(order, request.POST)
    if open_one is None or open_one.pk != checkin_id:
        raise Http404("No such check-in.")
    if not form.is_valid():
        return _order_page(request, order, status=400, checkin=open_one, checkin_form=form)
    try:
        stopped = answer_checkin(open_one, form, by=request.user)
    except OrderError as error:
        messages.error(request, error.message)
        return redirect(order)
    if form.emergency:
        messages.error(request, EMERGENCY)
    if stopped:
        names = ", ".join(line.treatment_name for line in stopped)
        messages.error(
            request,
            f"Stop taking {names} now: it is not safe in pregnancy. Nothing more of it ships, "
            "what you paid for it and did not receive is refunded, and we emailed you what to "
            "do. Talk to your obstetrician or doctor.",
        )
    if form.reports_side_effect:
        messages.warning(
            request,
            "Your side effect holds your next box, and nothing is charged, until your clinician "
            "has looked at it. If it gets worse, stop the medicine and call your doctor.",
        )
    messages.success(request, "Thank you: your clinician reviews your check-in.")
    return redirect(order)
