"""What staff may do to an order from the admin: one table, read by the order page's buttons,
the review queue's column and the one view that shows and handles every action's form.

Each row names who may do it (a clinician reviews, Support refunds), the lifecycle predicate
that says when (``Order.can_approve()``...), its form, and the verb it calls. The verb asks the
same predicate again under its row lock, so a form sent from a page that went stale (or built
by hand) is refused with the verb's message: a button that is not shown cannot be pressed.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages

from clinic.services.changes import change_prescription, confirm_step_up
from clinic.services.checkins import checkin_flags
from clinic.services.prescriptions import end_treatment, flags_to_renew, renew_prescriptions
from clinic.services.review import approve_order, decline_order
from clinic.services.signoff import questionnaire_flags
from core.money import format_money_exact
from orders.admin.checkins import CheckInReviewForm, checkin_context, review
from orders.admin.common import can_read_answers
from orders.admin.forms import (
    ApproveForm,
    AskForm,
    ChangePrescriptionForm,
    DeclineForm,
    RefundForm,
    RenewForm,
    StepUpForm,
)
from orders.admin.reports import StopForm, has_report, stop
from orders.admin.signoff import signoff_context, signoff_form
from orders.models import Order, OrderLine, Refund
from patients.services.messages import ask_patient
from payments.services.refunds import refund_order


def can_review(user):
    """Clinicians (and superusers): decide on orders, reading the answers they decide on."""
    return user.has_perm("orders.review_order") and can_read_answers(user)


def can_refund(user):
    """Support (and superusers): give money back."""
    return user.has_perm("orders.refund_order")


@dataclass(frozen=True)
class OrderAction:
    name: str  # the URL's last part and the URL name's (admin:orders_order_<name>)
    button: str  # the link on the order page and in the queue
    submit: str  # the form's button
    title: str  # the form page's title; {reference} is the order's
    intro: str
    may: Callable  # (user) -> bool: the role that may do it
    allowed: Callable  # (order) -> bool: the lifecycle predicate
    form: Callable  # (data, order) -> a bound or unbound form
    run: Callable  # (order, user, form) -> (message, level): calls the verb
    danger: bool = False  # the form's button is red
    link_class: str = ""  # the order page's link: clinic-approve (green), clinic-decline (red)
    in_queue: bool = False  # offered in the review queue too
    # The page: the plain form, or the sign-off page (flags to tick, her clinical summary).
    template: str = "admin/orders/order/action_form.html"
    context: Callable | None = None  # (request, order) -> what the template shows beside it


def _signed(form):
    """What a sign-off page's form gives the clinical services: the prescriptions as she set
    them, the flags she considered (with her reasons) and her attestation."""
    return {
        "prescriptions": form.prescriptions(),
        "considered": form.considered(),
        "attested": form.cleaned_data["attest"],
    }


def _approve(order, user, form):
    declined = form.cleaned_data.get("declined_lines") or []
    order = approve_order(
        order,
        by=user,
        note=form.cleaned_data["note"],
        declined_lines=declined,
        declined_medicines=form.chosen_medicines(),
        decline_reason=form.cleaned_data.get("decline_reason", ""),
        **_signed(form),
    )
    done = "the first shipment is queued for Fulfillment and the patient was emailed"
    declined_count = order.lines.filter(decision=OrderLine.Decision.DECLINED).count()
    if declined_count:
        done = f"{declined_count} treatment(s) declined and their share refunded; {done}"
    changed = [line for line in order.lines.all() if line.was_converted]
    if changed:
        done = "; ".join(
            [
                *(
                    f"{line.converted_from_name} is now {line.treatment_name} at "
                    f"{format_money_exact(line.line_total_cents)}/month, the difference refunded"
                    for line in changed
                ),
                done,
            ]
        )
    return f"{order.reference} approved: {done}.", messages.SUCCESS


def _ask(order, user, form):
    ask_patient(order, by=user, question=form.cleaned_data["question"])
    return (
        f"Question sent for {order.reference}: it leaves the queue until she answers, and her "
        "subscription is paused meanwhile.",
        messages.SUCCESS,
    )


def _decline(order, user, form):
    decline_order(order, by=user, reason=form.cleaned_data["reason"])
    return (
        f"{order.reference} declined: everything she paid is being refunded, the subscription "
        "cancelled, and the patient was emailed.",
        messages.SUCCESS,
    )


def _renew(order, user, form):
    renew_prescriptions(order, by=user, **_signed(form))
    return (
        f"{order.reference} renewed: billing and refills resume, and the patient was emailed.",
        messages.SUCCESS,
    )


def _change(order, user, form):
    change_prescription(order, by=user, **_signed(form))
    return f"{order.reference}: prescription changed.", messages.SUCCESS


def _step_up(order, user, form):
    confirm_step_up(
        order, by=user, prescription_ids=[rx.pk for rx in form.cleaned_data["prescriptions"]]
    )
    return (
        f"{order.reference}: the next step starts with her next refill.",
        messages.SUCCESS,
    )


def _end_form(data, order):
    form = DeclineForm(data)
    form.fields["reason"].help_text = "Ending cancels her subscription; nothing is refunded."
    return form


def _end(order, user, form):
    end_treatment(order, by=user, reason=form.cleaned_data["reason"])
    return (
        f"{order.reference}: treatment ended, the subscription cancelled and the patient emailed.",
        messages.SUCCESS,
    )


def _refund_form(data, order):
    return RefundForm(
        data, left_cents=order.refundable_cents(), initial={"token": uuid.uuid4().hex}
    )


def _refund(order, user, form):
    refund = refund_order(
        order,
        by=user,
        amount_cents=form.cleaned_data["amount"],
        reason=form.cleaned_data["reason"],
        # The form's one-time token: the same form sent twice is one refund, never two.
        idempotency_key=f"refund-form-{form.cleaned_data['token']}",
    )
    return refund_outcome(refund)


def refund_outcome(refund):
    """(message, level) telling staff what Stripe answered about ``refund`` so far."""
    amount = format_money_exact(refund.amount_cents)
    if refund.status == Refund.Status.SUCCEEDED:
        return f"Refunded {amount}; the patient was emailed.", messages.SUCCESS
    if refund.status == Refund.Status.FAILED:
        return (
            f"Stripe refused the refund of {amount}, so nothing was refunded: "
            f"{refund.failure_message}",
            messages.ERROR,
        )
    return (
        f"The refund of {amount} is recorded and on its way to Stripe, which has not "
        "confirmed it yet. Do not refund again: it is retried with the same key (never twice) "
        "and the order page shows when it goes through.",
        messages.WARNING,
    )


SIGN_OFF_PAGE = "admin/orders/order/signoff_form.html"
ACTIONS = (
    OrderAction(
        name="approve",
        button="Approve",
        submit="Approve order",
        title="Approve {reference}",
        intro="Approving sends the order to Fulfillment and emails the patient.",
        may=can_review,
        allowed=Order.can_approve,
        form=signoff_form(ApproveForm, questionnaire_flags),
        run=_approve,
        link_class="clinic-approve",
        in_queue=True,
        template=SIGN_OFF_PAGE,
        context=signoff_context,
    ),
    OrderAction(
        name="ask",
        button="Ask the patient",
        submit="Send the question",
        title="Ask the patient about {reference}",
        intro="Ask what you need before deciding: she reads it in her account.",
        may=can_review,
        allowed=Order.can_ask,
        form=lambda data, order: AskForm(data),
        run=_ask,
        in_queue=True,
    ),
    OrderAction(
        name="decline",
        button="Decline and refund",
        submit="Decline and refund",
        title="Decline {reference}",
        intro="Declining refunds everything she paid, cancels the subscription and emails the "
        "patient your reason. Nothing ships.",
        may=can_review,
        allowed=Order.can_decline,
        form=lambda data, order: DeclineForm(data),
        run=_decline,
        link_class="clinic-decline",
        danger=True,
        in_queue=True,
    ),
    OrderAction(
        name="renew",
        button="Renew prescription",
        submit="Renew",
        title="Renew the prescription of {reference}",
        intro="Read her renewal answers on the order page first. Renewing writes new "
        "prescriptions and resumes her monthly billing.",
        may=can_review,
        allowed=Order.can_renew,
        form=signoff_form(RenewForm, flags_to_renew),
        run=_renew,
        link_class="clinic-approve",
        in_queue=True,
        template=SIGN_OFF_PAGE,
        context=signoff_context,
    ),
    OrderAction(
        name="review_checkin",
        button="Review her check-in",
        submit="Mark the check-in reviewed",
        title="Review the check-in of {reference}",
        intro="Read her check-in and tick each flag it raised. A titration's next step waits "
        "for this review: confirm it here, or leave her on her current dose.",
        may=can_review,
        allowed=Order.has_checkin_to_review,
        form=signoff_form(CheckInReviewForm, checkin_flags),
        run=review,
        link_class="clinic-approve",
        in_queue=True,
        template=SIGN_OFF_PAGE,
        context=checkin_context,
    ),
    OrderAction(
        name="end",
        button="End the treatment",
        submit="End the treatment",
        title="End the treatment of {reference}",
        intro="Not renewing ends her subscription and emails her your reason.",
        may=can_review,
        allowed=Order.can_end_treatment,
        form=_end_form,
        run=_end,
        link_class="clinic-decline",
        danger=True,
    ),
    OrderAction(
        name="stop",
        button="Stop a treatment",
        submit="Stop and refund",
        title="Stop a treatment of {reference}",
        intro="She reported a problem (read her medical messages first). Stopping declines "
        "the treatments you choose, refunds their boxes not shipped, closes her report and "
        "emails her to stop taking them.",
        may=can_review,
        allowed=has_report,
        form=lambda data, order: StopForm(data, order=order),
        run=stop,
        link_class="clinic-decline",
        danger=True,
    ),
    OrderAction(
        name="change_prescription",
        button="Change prescription",
        submit="Sign the changed prescription",
        title="Change the prescription of {reference}",
        intro="The same checks as approving: her state, the dose limits. A change keeps at "
        "most the refills left; more is a renewal.",
        may=can_review,
        allowed=Order.can_change_prescription,
        form=signoff_form(ChangePrescriptionForm, flags_to_renew),
        run=_change,
        template=SIGN_OFF_PAGE,
        context=signoff_context,
    ),
    OrderAction(
        name="step_up",
        button="Step up at next refill",
        submit="Confirm the step-up",
        title="Step up the titration of {reference}",
        intro="Her next refill carries the next step of the schedule; until you confirm, she "
        "stays on her current step.",
        may=can_review,
        allowed=Order.can_confirm_step_up,
        form=lambda data, order: StepUpForm(data, order=order),
        run=_step_up,
    ),
    OrderAction(
        name="refund",
        button="Refund",
        submit="Refund",
        title="Refund {reference}",
        intro="The refund goes to the patient's card through Stripe; she is emailed.",
        may=can_refund,
        allowed=Order.can_refund,
        form=_refund_form,
        run=_refund,
        danger=True,
    ),
)
ACTIONS_BY_NAME = {action.name: action for action in ACTIONS}


def actions_for(user, order, *, queue=False):
    """The actions ``user`` may take on ``order`` now (those of the review queue if ``queue``)."""
    return [
        action
        for action in ACTIONS
        if (action.in_queue or not queue) and action.may(user) and action.allowed(order)
    ]
