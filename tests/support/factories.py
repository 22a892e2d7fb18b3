"""Small factories for order tests: our own catalog rows, never the seed."""

import itertools
from datetime import date, timedelta

from django.utils import timezone
from django.utils.text import slugify

from clinic.clinical_data import seed_interaction_rules
from clinic.questions import QUESTION_SETS, Choice, Number
from legal.seed import seed_legal_documents
from orders.cart import Cart
from orders.models import ClinicianLicence, ClinicianProfile, Order
from orders.services.checkout import place_order
from payments.gateways.facts import CompletedCheckout, PaidInvoice
from payments.services.payments import complete_checkout
from treatments.models import Category, Medicine, Plan, Treatment

_seq = itertools.count(1)
SUBSCRIPTION = "sub_1Pgc6rB7WZ01zgkWNy0Cn5nw"


# Test medicines (slug -> name, route, drug classes), like the seed catalog's.
MEDICINES = {
    "metformin-er": ("Metformin ER", "oral", ["biguanide"]),
    "spironolactone-oral": ("Spironolactone", "oral", ["potassium_sparing_antiandrogen"]),
    "spironolactone-topical": (
        "Spironolactone scalp solution",
        "topical",
        ["potassium_sparing_antiandrogen"],
    ),
    "semaglutide-oral": ("Semaglutide (oral GLP-1)", "oral", ["glp1_agonist"]),
    "metformin-lotion": ("Metformin HCl lotion 20%", "topical", ["biguanide"]),
    "eflornithine-cream": ("Eflornithine cream 12%", "topical", ["odc_inhibitor"]),
    "minoxidil-oral": ("Minoxidil (low dose)", "oral", ["vasodilator"]),
}

# What a treatment of this name contains when a test does not say (the seed's packs).
CONTAINS = {
    "Oral Metformin ER": ["metformin-er"],
    "Spironolactone": ["spironolactone-oral"],
    "Topical Spironolactone": ["spironolactone-topical"],
    "Oral GLP-1 & Metformin pack": ["semaglutide-oral", "metformin-er"],
    "Metformin & Spironolactone pack": ["metformin-er", "spironolactone-oral"],
    "Metformin HCL Lotion 20%": ["metformin-lotion"],
    "Eflornithine 12%": ["eflornithine-cream"],
    "Oral Minoxidil": ["minoxidil-oral"],
}

LICENSED_STATES = ["NY", "CA", "TX"]


# What a clinician is offered to confirm on the Approve page, as the catalog's medicines have.
PRESCRIPTION_DEFAULTS = {
    "default_strength": "500 mg",
    "default_directions": "Take one tablet daily with dinner.",
    "default_quantity": 30,
    "default_refills": 5,
}


# A medicine of the tests' own: 500 mg tablets, one to four once daily, at most 2,000 mg/day.
GENERIC_DOSING = {
    "form": "tablet",
    "strengths": [500],
    "counts": [1, 2, 3, 4],
    "frequencies": ["once_daily"],
    "max_daily": 2000,
    "how": "by mouth with dinner",
    "indication": "As on the label",
}


def catalog_dosing(slug):
    """The seed catalog's prescribing data for the medicine ``slug``."""
    from treatments.seed import read_catalog

    [data] = [m for m in read_catalog()["medicines"] if m["slug"] == slug]
    return data["dosing"]


def medicine(slug):
    name, route, classes = MEDICINES[slug]
    found, _ = Medicine.objects.get_or_create(
        slug=slug,
        defaults={
            "name": name,
            "route": route,
            "drug_classes": classes,
            **PRESCRIPTION_DEFAULTS,
            "dosing": catalog_dosing(slug),
        },
    )
    return found


def license_in(profile, states, *, expires_on=None):
    """Give ``profile`` a licence in each of ``states`` (replacing her others), valid a year
    unless ``expires_on`` says otherwise."""
    expires_on = expires_on or timezone.localdate() + timedelta(days=365)
    ClinicianLicence.objects.filter(profile=profile).delete()
    ClinicianLicence.objects.bulk_create(
        ClinicianLicence(
            profile=profile, state=state, number=f"{state}-{profile.pk}-001", expires_on=expires_on
        )
        for state in states
    )
    return profile


def jpeg(width=800, height=600, color=(200, 120, 160)):
    """An uploaded JPEG of ``width`` x ``height`` (a photo staff upload in the admin)."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, "JPEG")
    return SimpleUploadedFile("photo.jpg", buffer.getvalue(), content_type="image/jpeg")


def care_team_of(count, *, states=None):
    """``count`` active clinicians, each licensed in ``states`` (default LICENSED_STATES), for
    the public care team (the query counts are the same for any number)."""
    from django.contrib.auth import get_user_model

    profiles = []
    start = ClinicianProfile.objects.count()
    for n in range(start, start + count):
        user = get_user_model().objects.create(
            username=f"team-clinician-{n}", email=f"team{n}@oana.example"
        )
        profile = ClinicianProfile.objects.create(
            user=user,
            display_name=f"Dr. Clinician Number{n}",
            credentials="MD",
            npi=f"{2000000000 + n}",
            bio=f"Clinician {n} of the care team.",
        )
        profiles.append(license_in(profile, states or LICENSED_STATES))
    return profiles


def licensed_clinician(states=None, *, username="licensed-clinician", npi="1000000001"):
    """A clinician licensed in ``states`` (default: New York, California, Texas): checkout
    only serves states where one is licensed."""
    from django.contrib.auth import get_user_model

    user, _ = get_user_model().objects.get_or_create(
        username=username, defaults={"email": f"{username}@oana.example"}
    )
    profile, created = ClinicianProfile.objects.get_or_create(
        user=user,
        defaults={"display_name": "Dr. Ana Lee", "credentials": "MD", "npi": npi},
    )
    if created:
        license_in(profile, states or LICENSED_STATES)
    return profile


def make_plan(
    name="Oral Metformin ER",
    amount_cents=2200,
    *,
    active_ingredients="",
    form=Treatment.Form.ORAL,
    plan_name="Monthly",
    medicines=None,
):
    """A treatment with one plan; its medicines are ``medicines`` (slugs of MEDICINES), by
    default what the seed's treatment of that name contains, or else one medicine of the
    treatment's own name (no drug class), so that every treatment has a medicine as the
    catalog's do. ``medicines=[]``: none.

    Also what any checkout needs: a licensed clinician, the documents she agrees to and the
    interaction rules (the migrations made them, but a transactional test empties the
    database)."""
    licensed_clinician()
    seed_legal_documents()
    seed_interaction_rules()
    n = next(_seq)
    category, _ = Category.objects.get_or_create(
        slug="test-category", defaults={"name": "Test category"}
    )
    treatment = Treatment.objects.create(
        category=category,
        name=name,
        slug=f"{slugify(name)}-{n}",
        active_ingredients=active_ingredients or name,
        form=form,
    )
    if medicines is None and name not in CONTAINS:
        own = Medicine.objects.create(
            slug=f"medicine-{n}",
            name=name,
            route="topical" if form == Treatment.Form.TOPICAL else "oral",
            **PRESCRIPTION_DEFAULTS,
            dosing=GENERIC_DOSING,
        )
        treatment.medicines.set([own])
    else:
        treatment.medicines.set(
            [medicine(slug) for slug in (CONTAINS[name] if medicines is None else medicines)]
        )
    return Plan.objects.create(treatment=treatment, name=plan_name, amount_cents=amount_cents)


# "No" to every drug-class question (a form ignores those of medicines not ordered): the
# answers of a patient with no concerns, shared by every checkout test.
NO_CONCERNS = {
    question.key: "no"
    for question_set in QUESTION_SETS
    for question in question_set.questions
    if not isinstance(question, Choice | Number) or "no" in dict(getattr(question, "choices", ()))
} | {
    # A GLP-1 for her type 2 diabetes: no BMI rule to meet.
    "glp1_indication": "type2_diabetes",
    "glp1_diabetes_type": "type2",
    "glp1_hba1c": "",
}


def answers(**overrides):
    """Questionnaire POST data that passes every question, drug-class ones included."""
    data = {
        **NO_CONCERNS,
        "email": "jane@example.com",
        "full_name": "Jane Patient",
        "date_of_birth": "1990-04-12",
        "state": "NY",
        "sex_at_birth": "female",
        "pregnant": "no",
        "breastfeeding": "no",
        "trying_to_conceive": "no",
        "contraception": "copper_iud",
        "goals": ["pcos"],
        "height_feet": "5",
        "height_inches": "5",
        "weight_lb": "160",
        "bp_systolic": "",
        "bp_diastolic": "",
        "kidney": "60_plus",
        "kidney_measured": "12_months",
        "liver": "no",
        "no_medicines": "on",
        "no_allergies": "on",
        # before paying: telehealth care, the monthly auto-renewal, the privacy notice
        "consent_telehealth": "on",
        "consent_renewal": "on",
        "consent_privacy": "on",
    }
    data.update(overrides)
    return data


class FakeSession(dict):
    modified = False


def make_order(*plans, email="jane@example.com"):
    """A pending order for ``plans``, made through the checkout service."""
    session = FakeSession()
    cart = Cart(session)
    for plan in plans or (make_plan(),):
        cart.add(plan)
    return place_order(
        cart,
        email=email,
        full_name="Jane Patient",
        date_of_birth=date(1990, 4, 12),
        answers={},
        flags=[],
    )


def paid_invoice_for(order, *, invoice_id=None, amount=None, subscription=None):
    """The facts Stripe would give for ``order``'s first invoice (ids derived from the order)."""
    invoice_id = invoice_id or f"in_oana_first_{order.pk}"
    return PaidInvoice(
        invoice_id=invoice_id,
        amount_cents=order.total_cents if amount is None else amount,
        currency=order.currency,
        paid_at=timezone.now(),
        subscription_id=subscription or SUBSCRIPTION,
        payment_intent=f"pi_{invoice_id}",
        charge=f"ch_{invoice_id}",
    )


def completed_checkout(order):
    """The facts of ``order``'s live checkout, paid (what the Stripe adapter would return)."""
    return CompletedCheckout(
        session_id=order.stripe_checkout_session_id or f"cs_oana_{order.pk}",
        order_ids=(order.pk,),
        customer_id=f"cus_oana_{order.pk}",
        subscription_id=SUBSCRIPTION,
        invoice_id=f"in_oana_first_{order.pk}",
        amount_total_cents=order.total_cents,
        currency=order.currency,
        paid=True,
        shipping={
            "ship_name": "Jane Patient",
            "ship_line1": "45 Maple Avenue",
            "ship_line2": "Apt 3B",
            "ship_city": "Brooklyn",
            "ship_state": "NY",
            "ship_postal_code": "11201",
            "ship_country": "US",
        },
    )


def pay(order, **invoice_changes):
    """``order``'s live checkout completes (what the webhook handler does once Stripe has
    confirmed it): paid, awaiting review, first payment recorded. Returns the fresh order."""
    if not order.stripe_checkout_session_id:
        Order.objects.filter(pk=order.pk).update(stripe_checkout_session_id=f"cs_oana_{order.pk}")
        order.refresh_from_db()
    complete_checkout(
        order,
        checkout=completed_checkout(order),
        invoice=paid_invoice_for(order, **invoice_changes),
        period_end=timezone.now() + timedelta(days=30),
    )
    return Order.objects.get(pk=order.pk)


def make_paid_order(*plans, **kwargs):
    return pay(make_order(*plans, **kwargs))
