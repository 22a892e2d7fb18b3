"""A large, realistic clinic built in bulk: ``manage.py seed_scale`` and the tests that pin
the staff and patient pages' query counts at two sizes both call ``build_clinic``.

Rows are made in memory and written with ``bulk_create`` in batches: patients with accounts,
orders in every lifecycle state in realistic proportions over two years, their lines,
payments, refunds, shipments, prescriptions, renewal answers, threads and messages,
questionnaire answers (encrypted like real ones: the encrypted fields encrypt each value),
holds, check-ins, the health-data access log, Stripe events and the task queue's results.

It never runs in production (the command refuses when DEBUG is off): the people, addresses
and answers are made up, and every email ends in ``.invalid``.
"""

import random
import secrets
import uuid
from contextlib import contextmanager
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from oana.roles import GROUP_NAMES
from orders.models import (
    AdverseEvent,
    CheckIn,
    ClinicianLicence,
    ClinicianProfile,
    Hold,
    Message,
    Order,
    OrderEvent,
    OrderLine,
    PatientAccount,
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
from treatments.models import Plan

S = Order.Status

# How a clinic's orders are spread over the lifecycle (most are shipped refills or over).
# What waits for a clinician is a day's worth or two: a few hundred orders at 100,000.
STATUS_WEIGHTS = {
    S.SHIPPED: 42,
    S.CANCELLED: 17,
    S.APPROVED: 3,
    S.AWAITING_REVIEW: 0.4,
    S.PENDING_PAYMENT: 8,
    S.DECLINED: 8,
    S.REFUNDED: 7,
    S.PAST_DUE: 4,
    S.NEEDS_INFORMATION: 1,
    S.RENEWAL_DUE: 5,
    S.RENEWAL_REVIEW: 0.5,
}
REVIEWED = {S.APPROVED, S.SHIPPED, S.PAST_DUE, S.RENEWAL_DUE, S.RENEWAL_REVIEW}
FIRST_NAMES = "Ana Maria Joan Lee Grace Ines Rosa Elena Sofia Chloe Nora Ruth Ada Mei Lina".split()
LAST_NAMES = "Lee Garcia Smith Chen Patel Okafor Novak Silva Kim Brown Rossi Haddad Ivanova".split()
STATES = "CA NY TX FL WA IL MA CO OR GA".split()
DAYS = 730
BATCH = 2000
# The patient whose account holds many orders (the account and order pages are pinned for her).
BUSY_PATIENT_EMAIL = "busy-patient@scale.invalid"
BUSY_PATIENT_ORDERS = 50


@contextmanager
def own_timestamps(*models):
    """``bulk_create`` keeps the times we give (``auto_now``/``auto_now_add`` would stamp every
    row with now): the clinic is spread over two years."""
    fields = [
        field
        for model in models
        for field in model._meta.concrete_fields
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
    ]
    saved = [(field, field.auto_now, field.auto_now_add) for field in fields]
    for field in fields:
        field.auto_now = field.auto_now_add = False
    try:
        yield
    finally:
        for field, auto_now, auto_now_add in saved:
            field.auto_now, field.auto_now_add = auto_now, auto_now_add


def bulk(model, rows):
    """Insert ``rows`` (their pks are set): PostgreSQL's COPY when it is there, several times
    faster than INSERTs for a hundred thousand orders, else ``bulk_create``."""
    if connection.vendor == "postgresql":  # pragma: postgres only
        copy_rows(model, rows)
    else:  # pragma: sqlite only
        model.objects.bulk_create(rows, batch_size=BATCH)
    return rows


def copy_rows(model, rows):  # pragma: postgres only
    """COPY ``rows`` into ``model``'s table, their ids taken from its sequence first (COPY
    returns none). Values are prepared by each field, as a save would (encrypted fields
    encrypt); ``own_timestamps`` times are given on every row."""
    if not rows:
        return
    meta, quote = model._meta, connection.ops.quote_name
    fields = meta.concrete_fields
    with connection.cursor() as cursor:
        if meta.pk.get_internal_type() in ("AutoField", "BigAutoField"):
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [meta.db_table, meta.pk.column, len(rows)],
            )
            for row, (pk,) in zip(rows, cursor.fetchall(), strict=True):
                row.pk = pk
        columns = ", ".join(quote(field.column) for field in fields)
        with cursor.cursor.copy(f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(
                    [
                        field.get_db_prep_save(getattr(row, field.attname), connection)
                        for field in fields
                    ]
                )
        for row in rows:
            row._state.adding, row._state.db = False, connection.alias


def catalog_plans():
    """Active plans with their medicines (the seed catalog is loaded when there is none)."""
    plans = list(Plan.objects.select_related("treatment").prefetch_related("treatment__medicines"))
    plans = [plan for plan in plans if plan.treatment.medicines.all()]
    if not plans:
        from treatments.seed import load_catalog

        load_catalog()
        return catalog_plans()
    return plans


def make_clinicians(count, now):
    """``count`` clinicians (staff, in the Clinician group) licensed in the states used."""
    User = get_user_model()
    tag = secrets.token_hex(3)
    users = bulk(
        User,
        [
            User(
                username=f"scale-clinician-{tag}-{n}",
                email=f"clinician-{tag}-{n}@scale.invalid",
                first_name=FIRST_NAMES[n % len(FIRST_NAMES)],
                last_name=f"Clinician {n}",
                is_staff=True,
                password="!",  # unusable: they never sign in
            )
            for n in range(count)
        ],
    )
    group = Group.objects.get(name=GROUP_NAMES["clinician"])
    group.user_set.add(*users)
    profiles = bulk(
        ClinicianProfile,
        [
            ClinicianProfile(
                user=user,
                display_name=f"Dr. {user.first_name} {user.last_name}",
                credentials="MD",
                npi=f"{random.randrange(10**9, 10**10)}",
            )
            for user in users
        ],
    )
    expires = (now + timedelta(days=3650)).date()
    bulk(
        ClinicianLicence,
        [
            ClinicianLicence(profile=profile, state=state, number=f"L-{state}", expires_on=expires)
            for profile in profiles
            for state in STATES
        ],
    )
    return users


def make_patients(count, rng, now):
    """``count`` patients with accounts; the first is the busy patient."""
    User = get_user_model()
    tag = secrets.token_hex(3)
    users = []
    for n in range(count):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        joined = now - timedelta(days=rng.uniform(0, DAYS))
        email = BUSY_PATIENT_EMAIL if n == 0 else f"{first}.{last}.{tag}{n}@scale.invalid"
        users.append(
            User(
                username=f"patient-{tag}-{n}",
                email=email.lower(),
                first_name=first,
                last_name=last,
                password="!",
                date_joined=joined,
                last_login=joined,
            )
        )
    if User.objects.filter(email=BUSY_PATIENT_EMAIL).exists():
        users[0].email = f"busy-{tag}@scale.invalid"
    bulk(User, users)
    with own_timestamps(PatientAccount):
        bulk(
            PatientAccount,
            [
                PatientAccount(
                    user=user, stripe_customer_id=f"cus_{user.pk}", created_at=user.date_joined
                )
                for user in users
            ],
        )
    return users


class Clinic:
    """Everything one build needs to make orders: the catalog, staff, patients, a seeded
    random source and the rows of the batch being made."""

    def __init__(self, *, seed, now, plans, clinicians, patients):
        self.seed, self.now, self.plans = seed, now, plans
        self.clinicians, self.patients = clinicians, patients
        self.statuses = list(STATUS_WEIGHTS)
        self.weights = list(STATUS_WEIGHTS.values())
        # Stored as the questionnaire stores them: {key: {"question", "answer"}}.
        self.answers = {
            "pregnant": {"question": "Are you pregnant or planning to be?", "answer": "No"},
            "medications": {"question": "What medicines do you take?", "answer": "None"},
            "blood_pressure": {"question": "Your blood pressure, if known", "answer": "150/95"},
        }
        self.flags = [{"key": "blood_pressure", "message": "High blood pressure reported"}]

    def owner(self, index, rng):
        """The busy patient owns the first ``BUSY_PATIENT_ORDERS`` orders; the others are
        spread over everyone."""
        if index < BUSY_PATIENT_ORDERS or len(self.patients) == 1:
            return self.patients[0]
        return self.patients[1 + rng.randrange(len(self.patients) - 1)]

    def order(self, index):
        # Each order has its own random source: order n is the same in a clinic of 10
        # orders as in one of 1,000 (the tests compare the same pages at both sizes).
        rng = random.Random(f"{self.seed}-{index}")
        patient = self.owner(index, rng)
        status = rng.choices(self.statuses, self.weights)[0]
        showcase = index < len(self.statuses)
        if showcase:  # the first orders: one in each state, with every kind of row
            status = self.statuses[index]
        created = self.now - timedelta(days=rng.uniform(0, DAYS), minutes=rng.randrange(1440))
        if status in (S.AWAITING_REVIEW, S.NEEDS_INFORMATION, S.PENDING_PAYMENT):
            created = self.now - timedelta(hours=rng.uniform(1, 96))  # the queue is recent
        plans = rng.sample(self.plans, k=1 if rng.random() < 0.8 else min(2, len(self.plans)))
        paid = None if status == S.PENDING_PAYMENT else created + timedelta(minutes=5)
        reviewed_at = reviewer = None
        # A cancellation before review is refunded and declined within minutes: cancelled
        # orders were approved first (but one of the showcase's, for the review queue).
        if (
            status in REVIEWED
            or status == S.DECLINED
            or (status == S.CANCELLED and not showcase)
            or (status in (S.CANCELLED, S.REFUNDED) and rng.random() < 0.7)
        ):
            reviewed_at = paid + timedelta(hours=rng.lognormvariate(2.2, 0.8))
            reviewer = rng.choice(self.clinicians)
        subtotal = sum(plan.amount_cents for plan in plans)
        state = rng.choice(STATES)
        order = Order(
            email=patient.email,
            full_name=f"{patient.first_name} {patient.last_name}",
            date_of_birth=created.date() - timedelta(days=365 * rng.randint(20, 70)),
            residence_state=state,
            status=status,
            subtotal_cents=subtotal,
            total_cents=subtotal,
            stripe_customer_id=f"cus_{patient.pk}",
            stripe_subscription_id="" if paid is None else f"sub_{uuid.uuid4().hex[:20]}",
            subscription_status={S.CANCELLED: "canceled", S.PAST_DUE: "past_due"}.get(
                status, "active" if paid else ""
            ),
            reviewed_by=reviewer,
            reviewed_at=reviewed_at,
            review_note="Approved: take with food." if reviewed_at else "",
            created_at=created,
            updated_at=reviewed_at or paid or created,
            paid_at=paid,
            cancelled_at=created + timedelta(days=40) if status == S.CANCELLED else None,
            patient=patient,
            current_period_end=(paid + timedelta(days=30)) if paid else None,
            asked_at=created + timedelta(hours=3) if status == S.NEEDS_INFORMATION else None,
            status_before_past_due=S.SHIPPED if status == S.PAST_DUE else "",
            ship_name=f"{patient.first_name} {patient.last_name}",
            ship_line1=f"{rng.randint(1, 9999)} Main Street",
            ship_city="Springfield",
            ship_state=state,
            ship_postal_code=f"{rng.randint(10000, 99999)}",
            ship_country="US",
        )
        order.plans, order.rng, order.showcase, order.index = plans, rng, showcase, index
        # Months paid for: a few for most, up to a year for the long-running ones.
        order.months = 0 if paid is None else max(1, min(12, int(rng.expovariate(1 / 3)) + 1))
        return order


def build_clinic(orders=100_000, *, patients=None, clinicians=8, seed=1, log=None):
    """Add a clinic of ``orders`` orders (and ``patients`` patients, a third of the orders by
    default; ``clinicians`` clinicians) to the database; the same ``seed`` makes the same
    clinic. Returns a dict of how many rows of each kind were written."""
    rng = random.Random(seed)
    now = timezone.now()
    patients = patients or max(1, orders // 3)
    with transaction.atomic():
        plans = catalog_plans()
        staff = make_clinicians(clinicians, now)
        people = make_patients(patients, rng, now)
    clinic = Clinic(seed=seed, now=now, plans=plans, clinicians=staff, patients=people)
    counts = {"patients": patients, "clinicians": clinicians}
    for start in range(0, orders, BATCH):
        with transaction.atomic():
            made = make_batch(clinic, range(start, min(orders, start + BATCH)))
        for name, number in made.items():
            counts[name] = counts.get(name, 0) + number
        if log:
            log(f"{min(orders, start + BATCH)} / {orders} orders")
    # Fresh statistics (both databases know ANALYZE): without them PostgreSQL took a table of
    # 60,000 rows for 2,000 and picked nested loops that took seconds (docs/performance.md).
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return counts


def make_batch(clinic, indexes):
    """One batch of orders and everything that hangs off them, in a few bulk inserts."""
    from oana import scale_rows

    with own_timestamps(
        Order,
        OrderEvent,
        Payment,
        Refund,
        Shipment,
        Thread,
        Message,
        QuestionnaireResponse,
        QuestionnaireAccess,
        RenewalResponse,
        WebhookEvent,
        Hold,
        CheckIn,
        AdverseEvent,
        DBTaskResult,
    ):
        orders = bulk(Order, [clinic.order(index) for index in indexes])
        rows = scale_rows.rows_for(clinic, orders)
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
        ):
            bulk(model, rows[model])
        # What points at rows made above (lines, payments, threads) goes in second.
        second = scale_rows.second_rows(clinic, orders)
        for model in (Prescription, Shipment, Refund, Message, CheckIn, AdverseEvent):
            bulk(model, second[model])
    counts = {"orders": len(orders)}
    for model, made in (*rows.items(), *second.items()):
        counts[model._meta.verbose_name_plural] = len(made)
    return counts
