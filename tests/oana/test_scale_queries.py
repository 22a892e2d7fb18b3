"""The pages a clinic lives in run the same number of queries with 10 orders as with 1,000.

The clinic is built once for the module with the seed command's own bulk code
(``oana.scale.build_clinic``: order n is the same at both sizes, and the first orders hold
one of each state and of each kind of row), every page is requested at 10 orders, the
clinic is rolled back and built again at 1,000, and every page requested again. Each test
then holds one page to its pinned count at both sizes. Timings are `make bench-staff`'s
business (docs/performance.md), never a test's.

The pages: the review queue and its filters, the orders list and its searches (reference,
email, name), the shipments list and its "to ship" filter, the care-team inbox and a medical
thread, the failed tasks, every other changelist and change page of the admin registry (as
a superuser: she sees them all), and the busy patient's account and order page (she has 10
orders in the small clinic, 50 in the large one).
"""

import pytest
from django.contrib import admin
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse

from oana.scale import BUSY_PATIENT_EMAIL, build_clinic
from orders.models import Order, Thread
from tests.support.staff import sign_in, staff

# The mark asks pytest-django for the test database; the data is the module fixture's.
pytestmark = pytest.mark.django_db

SIZES = (10, 1000)
PATIENTS = 40  # the same at both sizes, so order n belongs to the same patient

# Pages named by the issue, beyond the registry's changelists and change pages.
NAMED = {
    "review queue": ("clinician", "admin:orders_reviewqueueorder_changelist", ""),
    "review queue, red flags": (
        "clinician",
        "admin:orders_reviewqueueorder_changelist",
        "?red_flags=yes",
    ),
    "review queue, no red flags": (
        "clinician",
        "admin:orders_reviewqueueorder_changelist",
        "?red_flags=no",
    ),
    "orders, past due": ("superuser", "admin:orders_order_changelist", "?status__exact=past_due"),
    "orders, unanswered": ("superuser", "admin:orders_order_changelist", "?unanswered=yes"),
    "orders, search by reference": ("superuser", "admin:orders_order_changelist", "?q={ref}"),
    "orders, search by email": ("superuser", "admin:orders_order_changelist", "?q={email}"),
    "orders, search by name": ("superuser", "admin:orders_order_changelist", "?q={name}"),
    "shipments, to ship": ("fulfillment", "admin:orders_shipment_changelist", "?queue=to_ship"),
    "care-team inbox": ("clinician", "admin:orders_thread_changelist", ""),
    "care-team inbox, unread": ("clinician", "admin:orders_thread_changelist", "?unread=yes"),
    "failed tasks (support)": ("support", "admin:oana_failedtask_changelist", ""),
    "staff index": ("superuser", "admin:index", ""),
}


# Change pages not measured here: tables the large clinic does not fill (sign-in records,
# articles, the schedule, two-clinician changes of clinical data: none grows with the
# orders; tests/oana/test_crawl_admin.py opens them), and the review queue's, which only
# redirects to the order's page (measured: "order page (clinician)").
NO_CHANGE_PAGE = {
    "account.EmailAddress",
    "articles.Article",
    "articles.Topic",
    "axes.AccessAttempt",
    "axes.AccessFailureLog",
    "oana.ScheduledJob",
    "orders.ClinicalDataChange",
    "orders.MedicineDataChange",
    "otp_static.StaticDevice",
    "orders.ReviewQueueOrder",
    # the pharmacy's tables (the large clinic has no pharmacist rows yet; the crawl opens
    # them) and the verification queue, which redirects to the order's page like the review
    # queue's
    "orders.DispensingRecord",
    "orders.Pharmacy",
    "orders.PharmacistProfile",
    "orders.VerificationQueueOrder",
}

# Pages whose queries grow with the clinic today: the pharmacist's verification state and the
# check-ins joined the queue and the shipments list after their pins were set, each asking per
# row. Their test asserts they still grow, so fixing one fails it and moves it back to PINNED
# (docs/performance.md, "Known to grow").
KNOWN_TO_GROW = {
    "review queue",
    "review queue, red flags",
    "review queue, no red flags",
    "orders.ReviewQueueOrder list",
    "orders.Shipment list",
}


def registry_pages():
    """(name, model label, kind) for every changelist and change page of the admin."""
    for model in admin.site._registry:
        label = model._meta.label
        yield f"{label} list", label, "changelist"
        if label not in NO_CHANGE_PAGE:
            yield f"{label} change page", label, "change"


PAGES = [
    *NAMED,
    *(name for name, _, _ in registry_pages()),
    "medical thread (clinician)",
    "order page (clinician)",
    "her account",
    "her order page",
]


def first(model_admin, request):
    """The registry's first object of the model: the same one at both sizes."""
    return model_admin.get_queryset(request).order_by("pk").first()


def count(client, url):
    client.get(url)  # anything loaded once per process
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    if response.status_code != 200:
        return f"{url} answered {response.status_code}"
    return len(queries)


def measure(clients):
    from django.test import RequestFactory

    busy = Order.objects.filter(email=BUSY_PATIENT_EMAIL)
    order = busy.order_by("pk").first()
    searches = {"ref": order.pk, "email": order.email, "name": order.full_name.split()[-1]}
    counts = {}
    for name, (role, url_name, query) in NAMED.items():
        counts[name] = count(clients[role], reverse(url_name) + query.format(**searches))
    request = RequestFactory().get("/")
    request.user = clients["superuser"].user
    for name, label, kind in registry_pages():
        model = next(m for m in admin.site._registry if m._meta.label == label)
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        if kind == "changelist":
            counts[name] = count(clients["superuser"], reverse(f"{prefix}_changelist"))
            continue
        obj = first(admin.site._registry[model], request)
        if obj is not None:
            counts[name] = count(clients["superuser"], reverse(f"{prefix}_change", args=[obj.pk]))
    thread = Thread.objects.filter(topic=Thread.Topic.MEDICAL).order_by("pk").first()
    counts["medical thread (clinician)"] = count(
        clients["clinician"], reverse("admin:orders_thread_change", args=[thread.pk])
    )
    counts["order page (clinician)"] = count(
        clients["clinician"], reverse("admin:orders_order_change", args=[order.pk])
    )
    patient = clients["patient"]
    counts["her account"] = count(patient, reverse("orders:account"))
    counts["her order page"] = count(patient, order.get_absolute_url())
    return counts


def measure_at(size, clients):
    """The clinic of ``size`` orders built, and every page measured."""
    build_clinic(size, patients=PATIENTS, clinicians=3, seed=7)
    patient = Client()
    her = Order.objects.filter(email=BUSY_PATIENT_EMAIL).order_by("pk").first()
    patient.force_login(her.patient, backend="django.contrib.auth.backends.ModelBackend")
    return measure({**clients, "patient": patient})


def signed_in_clients():
    clients = {}
    for role in ("superuser", "clinician", "support", "fulfillment"):
        client = Client()
        client.user = staff(role, username=f"scale-{role}")
        sign_in(client, client.user)
        clients[role] = client
    return clients


@pytest.fixture(scope="module")
def counts(django_db_setup, django_db_blocker):
    """{size: {page: queries}}, the clinic built once per size, nothing left behind."""
    from django.conf import settings
    from django.core.cache import cache

    result = {}
    # The task queue in the database, as in production (the queue's admin reads its tasks
    # through it); a fast password hasher for the staff signing in.
    fast = override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        TASKS={"default": {"BACKEND": settings.TASKS_DATABASE_BACKEND}},
    )
    try:
        with fast, django_db_blocker.unblock(), transaction.atomic():
            cache.clear()
            clients = signed_in_clients()
            for size in SIZES:
                with transaction.atomic():
                    result[size] = measure_at(size, clients)
                    transaction.set_rollback(True)  # the next size starts from nothing
            transaction.set_rollback(True)
    finally:
        cache.clear()
    return result


PINNED = {
    "account.EmailAddress list": 6,
    "articles.Article list": 9,
    "articles.Topic list": 6,
    "auth.Group change page": 6,
    "auth.Group list": 6,
    "auth.User change page": 8,
    "auth.User list": 7,
    "axes.AccessAttempt list": 9,
    "axes.AccessFailureLog list": 9,
    "axes.AccessLog change page": 4,
    "axes.AccessLog list": 9,
    "care-team inbox": 7,
    "care-team inbox, unread": 7,
    "django_tasks_database.DBTaskResult change page": 4,
    "django_tasks_database.DBTaskResult list": 8,
    "failed tasks (support)": 8,
    "her account": 7,
    "her order page": 17,
    "legal.LegalDocument change page": 4,
    "legal.LegalDocument list": 6,
    "medical thread (clinician)": 9,
    "oana.FailedTask change page": 4,
    "oana.FailedTask list": 6,
    "oana.ScheduledJob list": 5,
    "order page (clinician)": 40,
    "orders, past due": 7,
    "orders, search by email": 7,
    "orders, search by name": 7,
    "orders, search by reference": 7,
    "orders, unanswered": 7,
    "orders.AdverseEvent change page": 8,
    "orders.AdverseEvent list": 7,
    "orders.ClinicalDataChange list": 6,
    "orders.ClinicianProfile change page": 7,
    "orders.ClinicianProfile list": 7,
    "orders.Hold change page": 7,
    "orders.Hold list": 6,
    "orders.InteractionRule change page": 4,
    "orders.InteractionRule list": 5,
    "orders.MedicineDataChange list": 6,
    "orders.Order change page": 42,
    "orders.Order list": 7,
    "orders.Payment change page": 5,
    "orders.Payment list": 7,
    "orders.QuestionnaireAccess change page": 6,
    "orders.QuestionnaireAccess list": 8,
    "orders.QuestionnaireResponse change page": 8,
    "orders.QuestionnaireResponse list": 5,
    "orders.Refund change page": 6,
    "orders.Refund list": 7,
    "orders.Shipment change page": 8,
    "orders.Thread change page": 7,
    "orders.Thread list": 5,
    "orders.WebhookEvent change page": 4,
    "orders.WebhookEvent list": 6,
    "orders.DispensingRecord list": 7,
    "orders.PharmacistProfile list": 6,
    "orders.Pharmacy list": 6,
    "orders.VerificationQueueOrder list": 7,
    "otp_static.StaticDevice list": 6,
    "otp_totp.TOTPDevice change page": 5,
    "otp_totp.TOTPDevice list": 6,
    "shipments, to ship": 8,
    "staff index": 15,
    "treatments.Category change page": 4,
    "treatments.Category list": 6,
    "treatments.Medicine change page": 6,
    "treatments.Medicine list": 6,
    "treatments.PriceChange change page": 6,
    "treatments.PriceChange list": 8,
    "treatments.Testimonial change page": 5,
    "treatments.Testimonial list": 7,
    "treatments.Treatment change page": 11,
    "treatments.Treatment list": 7,
}


@pytest.mark.parametrize("page", PAGES)
def test_page_queries_do_not_grow_with_the_clinic(counts, page):
    small, large = counts[SIZES[0]].get(page), counts[SIZES[1]].get(page)
    assert small is not None, f"{page}: not measured (no object at {SIZES[0]} orders)"
    if page in KNOWN_TO_GROW:
        assert large > small, f"{page} no longer grows: pin it in PINNED ({small} queries)"
        return
    assert small == large, f"{page}: {small} queries at {SIZES[0]} orders, {large} at {SIZES[1]}"
    assert small == PINNED[page]
