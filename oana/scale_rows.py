"""The rows that hang off each order of a large clinic (``oana.scale``): lines, answers,
payments, the timeline, threads, the access log, Stripe events, holds, renewal answers and
the task queue's results; then what points at those (prescriptions, shipments, refunds,
messages, check-ins). Proportions are a clinic's, roughly: every paid order has answers and
a payment per month, a fifth write to the care team, a few dispute or report a problem."""

import uuid
from datetime import timedelta

from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from orders.models import (
    AdverseEvent,
    CheckIn,
    Hold,
    Message,
    Order,
    OrderEvent,
    OrderLine,
    Payment,
    Prescription,
    QuestionnaireAccess,
    QuestionnaireResponse,
    Refund,
    RenewalResponse,
    Shipment,
    Thread,
    WebhookEvent,
)

S = Order.Status
APPROVED_LINES = {S.APPROVED, S.SHIPPED, S.PAST_DUE, S.RENEWAL_DUE, S.RENEWAL_REVIEW}
SHIPS = APPROVED_LINES | {S.CANCELLED}
TASK_PATHS = (
    "orders.emails.send_order_email",
    "payments.services.refunds.submit_refund",
    "payments.services.subscriptions.sync_billing",
)


def rows_for(clinic, orders):
    """{model: [rows]} for what points only at the orders."""
    rows = {
        model: []
        for model in (
            OrderLine,
            QuestionnaireResponse,
            Payment,
            OrderEvent,
            Thread,
            QuestionnaireAccess,
            WebhookEvent,
            Hold,
            RenewalResponse,
            DBTaskResult,
        )
    }
    for order in orders:
        rng, always = order.rng, order.showcase
        decided = order.reviewed_at is not None and order.status != S.DECLINED
        decision = OrderLine.Decision.APPROVED if decided else OrderLine.Decision.PENDING
        if order.status == S.DECLINED:
            decision = OrderLine.Decision.DECLINED
        order.line_rows = [
            OrderLine(
                order=order,
                plan=plan,
                treatment_name=plan.treatment.name,
                treatment_slug=plan.treatment.slug,
                plan_name=plan.name,
                unit_amount_cents=plan.amount_cents,
                decision=decision,
                decline_reason="Not suitable with her answers." if not decided else "",
            )
            for plan in order.plans
        ]
        rows[OrderLine] += order.line_rows
        events = rows[OrderEvent]
        events.append(_event(order, "created", order.created_at, to_status=S.PENDING_PAYMENT))
        order.payment_rows = []
        if order.paid_at is None:
            continue
        flagged = rng.random() < 0.12 or (always and order.index % 3 != 0)
        rows[QuestionnaireResponse].append(
            QuestionnaireResponse(
                order=order,
                answers=clinic.answers,
                flags=clinic.flags if flagged else [],
                has_red_flags=flagged,
                rules_version="scale",
                created_at=order.created_at,
                updated_at=order.created_at,
            )
        )
        events.append(_event(order, "paid", order.paid_at, S.PENDING_PAYMENT, S.AWAITING_REVIEW))
        for month in range(order.months):
            paid = order.paid_at + timedelta(days=30 * month)
            if paid > clinic.now:
                break
            payment = Payment(
                order=order,
                kind=Payment.Kind.INITIAL if month == 0 else Payment.Kind.RENEWAL,
                stripe_invoice_id=f"in_{uuid.uuid4().hex}",
                stripe_payment_intent_id=f"pi_{uuid.uuid4().hex[:24]}",
                stripe_charge_id=f"ch_{uuid.uuid4().hex[:24]}",
                stripe_subscription_id=order.stripe_subscription_id,
                amount_cents=order.total_cents,
                paid_at=paid,
                created_at=paid,
            )
            order.payment_rows.append(payment)
            rows[WebhookEvent].append(
                WebhookEvent(
                    stripe_event_id=f"evt_{uuid.uuid4().hex}",
                    type="invoice.paid",
                    received_at=paid,
                    processed_at=paid,
                    result="payment recorded",
                    payload={"id": payment.stripe_invoice_id, "object": "invoice"},
                )
            )
        rows[Payment] += order.payment_rows
        if order.reviewed_at is not None:
            kind = "declined" if order.status == S.DECLINED else "approved"
            events.append(_event(order, kind, order.reviewed_at, S.AWAITING_REVIEW, order.status))
            events[-1].actor = order.reviewed_by
            rows[QuestionnaireAccess].append(
                QuestionnaireAccess(
                    order=order,
                    user=order.reviewed_by,
                    username=order.reviewed_by.username,
                    where="review",
                    viewed_at=order.reviewed_at - timedelta(minutes=4),
                )
            )
        if order.status in (S.CANCELLED, S.REFUNDED):
            moment = order.cancelled_at or order.paid_at + timedelta(days=2)
            events.append(_event(order, order.status.value, moment, S.APPROVED, order.status))
        if order.status == S.NEEDS_INFORMATION:
            events.append(_event(order, "asked", order.asked_at, S.AWAITING_REVIEW, order.status))
        if rng.random() < 0.2 or always:
            medical = rng.random() < 0.6 or order.index % 2 == 0
            last = order.paid_at + timedelta(days=rng.uniform(1, 20))
            answered = rng.random() < 0.8
            order.thread_rows = [
                Thread(
                    order=order,
                    topic=Thread.Topic.MEDICAL if medical else Thread.Topic.ORDER,
                    created_at=order.paid_at + timedelta(hours=6),
                    last_patient_message_at=last,
                    last_staff_message_at=last + timedelta(hours=3) if answered else None,
                    care_team_read_at=last + timedelta(hours=2) if answered else None,
                    patient_read_at=last + timedelta(hours=5) if answered else None,
                )
            ]
            rows[Thread] += order.thread_rows
        roll = rng.random()
        order.hold_rows = []
        if (roll < 0.006 or always) and order.payment_rows and order.status == S.SHIPPED:
            charge = order.payment_rows[0].stripe_charge_id
            order.hold_rows = [_hold(order, Hold.Kind.DISPUTE, "A dispute was opened.", charge)]
        elif (roll < 0.009 and order.status in APPROVED_LINES) or (
            always and order.status == S.PAST_DUE
        ):
            order.hold_rows = [_hold(order, Hold.Kind.PATIENT_REPORT, "She reported nausea.", "")]
        rows[Hold] += order.hold_rows
        if order.status in (S.RENEWAL_REVIEW, S.SHIPPED) and (
            order.status == S.RENEWAL_REVIEW or order.months > 11
        ):
            rows[RenewalResponse].append(
                RenewalResponse(
                    order=order,
                    answers=clinic.answers,
                    submitted_at=order.paid_at + timedelta(days=330),
                )
            )
        if rng.random() < 0.4 or always:
            rows[DBTaskResult].append(_task(rng, order, failed=always or rng.random() < 0.02))
    return rows


def second_rows(clinic, orders):
    """{model: [rows]} for what points at the lines, payments and threads made first."""
    rows = {model: [] for model in (Prescription, Shipment, Refund, Message, CheckIn, AdverseEvent)}
    for order in orders:
        rng = order.rng
        approved = order.status in SHIPS and order.reviewed_at is not None
        if approved:
            rows[Prescription] += [
                _prescription(order, line, medicine)
                for line in order.line_rows
                for medicine in line.plan.treatment.medicines.all()
            ]
            for n, payment in enumerate(order.payment_rows):
                shipped = n < len(order.payment_rows) - 1 or order.status != S.APPROVED
                moment = max(payment.paid_at, order.reviewed_at) + timedelta(days=1)
                rows[Shipment].append(
                    Shipment(
                        order=order,
                        kind=Shipment.Kind.INITIAL if n == 0 else Shipment.Kind.REFILL,
                        payment=payment,
                        status=Shipment.Status.SHIPPED if shipped else Shipment.Status.PENDING,
                        carrier="USPS" if shipped else "",
                        tracking_number=f"9400{rng.randrange(10**17)}" if shipped else "",
                        shipped_at=moment if shipped else None,
                        created_at=moment - timedelta(hours=20),
                        **order.address_dict(),
                    )
                )
        if order.status in (S.REFUNDED, S.DECLINED) and order.payment_rows:
            payment = order.payment_rows[-1]
            rows[Refund].append(
                Refund(
                    order=order,
                    payment=payment,
                    amount_cents=payment.amount_cents,
                    reason="Declined by the clinician."
                    if order.status == S.DECLINED
                    else "She asked for her money back.",
                    stripe_refund_id=f"re_{uuid.uuid4().hex[:24]}",
                    status=Refund.Status.SUCCEEDED,
                    created_at=payment.paid_at + timedelta(days=1),
                    settled_at=payment.paid_at + timedelta(days=1, minutes=2),
                )
            )
        holds = getattr(order, "hold_rows", ())
        if any(hold.kind == Hold.Kind.PATIENT_REPORT for hold in holds):
            rows[AdverseEvent].append(
                AdverseEvent(
                    order=order,
                    line=order.line_rows[0],
                    source=AdverseEvent.Source.REPORT,
                    medicine=order.line_rows[0].treatment_name,
                    severity=AdverseEvent.Severity.MODERATE,
                    description="Nausea most mornings since the second week.",
                    reported_at=holds[0].opened_at,
                )
            )
        if order.status == S.SHIPPED and (rng.random() < 0.1 or order.showcase):
            due = order.paid_at + timedelta(days=28)
            answered = rng.random() < 0.7
            rows[CheckIn].append(
                CheckIn(
                    order=order,
                    kind=CheckIn.Kind.ROUTINE,
                    due_on=due.date(),
                    asked_at=due,
                    answered_at=due + timedelta(days=1) if answered else None,
                    answers=clinic.answers if answered else {},
                    reviewed_at=due + timedelta(days=2)
                    if answered and rng.random() < 0.8
                    else None,
                    reviewed_by=order.reviewed_by if answered else None,
                )
            )
    for thread in _threads(orders):
        rows[Message].append(
            Message(
                thread=thread,
                author=None,
                from_patient=True,
                body="I have a question about my treatment.",
                created_at=thread.last_patient_message_at,
            )
        )
        if thread.last_staff_message_at:
            rows[Message].append(
                Message(
                    thread=thread,
                    author=thread.order.reviewed_by or clinic.clinicians[0],
                    from_patient=False,
                    body="Thank you: take it with food, and write again if it persists.",
                    created_at=thread.last_staff_message_at,
                )
            )
    return rows


def _threads(orders):
    for order in orders:
        yield from getattr(order, "thread_rows", ())


def _event(order, kind, moment, from_status="", to_status=""):
    return OrderEvent(
        order=order,
        kind=kind,
        from_status=from_status,
        to_status=to_status,
        actor_label="" if kind in ("approved", "declined") else "Stripe webhook",
        message="",
        created_at=moment,
    )


def _hold(order, kind, reason, stripe_object_id):
    return Hold(
        order=order,
        kind=kind,
        reason=reason,
        stripe_object_id=stripe_object_id,
        opened_at=order.paid_at + timedelta(days=3),
    )


def _prescription(order, line, medicine):
    return Prescription(
        order=order,
        line=line,
        medicine=medicine,
        medicine_name=medicine.name,
        strength=medicine.default_strength or "500 mg",
        directions=medicine.default_directions or "Take one tablet daily.",
        quantity=medicine.default_quantity or 30,
        quantity_unit=medicine.quantity_unit or "tablets",
        refills=11,
        refills_used=min(11, max(0, order.months - 1)),
        legacy=True,
        prescriber=order.reviewed_by,
        prescriber_name=f"{order.reviewed_by.first_name} {order.reviewed_by.last_name}, MD",
        prescriber_credentials="MD",
        patient_name=order.full_name,
        patient_date_of_birth=order.date_of_birth,
        written_at=order.reviewed_at,
    )


def _task(rng, order, *, failed):
    finished = order.created_at + timedelta(minutes=1)
    return DBTaskResult(
        status=TaskResultStatus.FAILED if failed else TaskResultStatus.SUCCESSFUL,
        enqueued_at=order.created_at,
        started_at=finished,
        finished_at=finished,
        args_kwargs={"args": [order.pk, "paid"], "kwargs": {}},
        task_path=rng.choice(TASK_PATHS),
        backend_name="default",
        run_after=order.created_at,
        exception_class_path="smtplib.SMTPServerDisconnected" if failed else "",
        traceback="Traceback (most recent call last):\n  ...\nSMTPServerDisconnected"
        if failed
        else "",
        worker_ids=["scale"],
    )
