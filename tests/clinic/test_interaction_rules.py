"""Finding 5 of issue 17: interactions and duplicates by ingredients and classes, not typed
words; every medicine the vocabulary does not know is flagged; no such order reads "No red
flags"; each order records the rules it was checked against."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clinic.flags import Grade
from clinic.questionnaire import QuestionnaireForm
from orders.models import InteractionRule, Order
from tests.support.factories import answers, make_plan
from tests.support.staff import sign_in, staff

pytestmark = pytest.mark.django_db

SPIRONOLACTONE = "Spironolactone"
GLP1 = "Oral GLP-1 & Metformin pack"
METFORMIN = "Oral Metformin ER"

ALREADY_SPIRONOLACTONE = "Already takes spironolactone"
EPLERENONE = "Eplerenone (Inspra) with spironolactone"
ACE_ARB = "ACE inhibitor or ARB with spironolactone"
DROSPIRENONE = "Drospirenone (a potassium-sparing progestin) with spironolactone"
NSAID = "NSAID with spironolactone"
SECOND_GLP1 = "Already takes a GLP-1"
LOW_SUGAR = "Insulin or a sulfonylurea with a GLP-1: risk of low blood sugar"
DOUBLE_METFORMIN = "Already takes metformin"


def form_for(names, **data):
    return QuestionnaireForm(
        data=answers(**data),
        treatments=[make_plan(name, 1000).treatment for name in names],
        today=date(2026, 11, 25),
    )


def flags_for(treatment, typed):
    form = form_for([treatment], no_medicines="", medicine_1_name=typed)
    assert form.is_valid(), form.errors
    return form.flags


# Every example of finding 5: what she typed, what she orders, the flag the clinician reads.
FINDING_5 = [
    ("Aldactone", SPIRONOLACTONE, Grade.INTERACTION, ALREADY_SPIRONOLACTONE),
    ("CaroSpir", SPIRONOLACTONE, Grade.INTERACTION, ALREADY_SPIRONOLACTONE),
    ("Inspra", SPIRONOLACTONE, Grade.CONTRAINDICATION, EPLERENONE),
    ("Hyzaar", SPIRONOLACTONE, Grade.INTERACTION, ACE_ARB),
    ("Micardis", SPIRONOLACTONE, Grade.INTERACTION, ACE_ARB),
    ("Zestoretic", SPIRONOLACTONE, Grade.INTERACTION, ACE_ARB),
    ("Nextstellis", SPIRONOLACTONE, Grade.INTERACTION, DROSPIRENONE),
    ("Celebrex", SPIRONOLACTONE, Grade.INTERACTION, NSAID),
    ("Mobic", SPIRONOLACTONE, Grade.INTERACTION, NSAID),
    ("Naprosyn", SPIRONOLACTONE, Grade.INTERACTION, NSAID),
    ("Voltaren", SPIRONOLACTONE, Grade.INTERACTION, NSAID),
    ("Toradol", SPIRONOLACTONE, Grade.INTERACTION, NSAID),
    ("Motrin", SPIRONOLACTONE, Grade.INTERACTION, NSAID),
    ("Lisinipril", SPIRONOLACTONE, Grade.INTERACTION, ACE_ARB),
    ("spirolactone", SPIRONOLACTONE, Grade.INTERACTION, ALREADY_SPIRONOLACTONE),
    ("Soliqua", GLP1, Grade.INTERACTION, SECOND_GLP1),
    ("Soliqua", GLP1, Grade.INTERACTION, LOW_SUGAR),
    ("Xultophy", GLP1, Grade.INTERACTION, SECOND_GLP1),
    ("Xultophy", GLP1, Grade.INTERACTION, LOW_SUGAR),
    ("Humalog", GLP1, Grade.INTERACTION, LOW_SUGAR),
    ("Tresiba", GLP1, Grade.INTERACTION, LOW_SUGAR),
    ("Toujeo", GLP1, Grade.INTERACTION, LOW_SUGAR),
    ("Novolog", GLP1, Grade.INTERACTION, LOW_SUGAR),
    ("Levemir", GLP1, Grade.INTERACTION, LOW_SUGAR),
    ("Humulin N", GLP1, Grade.INTERACTION, LOW_SUGAR),
    ("ozempik", GLP1, Grade.INTERACTION, SECOND_GLP1),
    ("Mounjaro", GLP1, Grade.INTERACTION, SECOND_GLP1),
    ("Janumet", METFORMIN, Grade.INTERACTION, DOUBLE_METFORMIN),
    ("Xigduo XR", METFORMIN, Grade.INTERACTION, DOUBLE_METFORMIN),
    ("Synjardy", METFORMIN, Grade.INTERACTION, DOUBLE_METFORMIN),
    ("metformine", METFORMIN, Grade.INTERACTION, DOUBLE_METFORMIN),
]


@pytest.mark.parametrize(("typed", "treatment", "grade", "reason"), FINDING_5)
def test_each_example_of_finding_5_is_flagged(typed, treatment, grade, reason):
    flags = flags_for(treatment, typed)
    assert any(
        f["grade"] == grade
        and f["message"].startswith(f"Interaction: takes {typed}.")
        and reason in f["message"]
        for f in flags
    ), flags


def test_a_close_misspelling_says_what_it_was_read_as():
    [flag] = flags_for(SPIRONOLACTONE, "Lisinoprel")
    assert flag["message"].startswith("Interaction: takes Lisinoprel (read as lisinopril). ")


def test_one_flag_per_reason_even_when_two_ingredients_share_it():
    flags = flags_for("Oral Minoxidil", "Zestoretic")  # lisinopril and HCTZ: both lower BP
    assert [f["message"] for f in flags] == [
        "Interaction: takes Zestoretic. Blood-pressure medicine with oral minoxidil: blood "
        "pressure can drop too far."
    ]


def test_a_medicine_without_a_rule_for_the_classes_ordered_is_not_flagged():
    assert flags_for("Oral Minoxidil", "Lantus") == []
    assert flags_for(SPIRONOLACTONE, "Zyzal") == []  # levocetirizine: an antihistamine


@pytest.mark.parametrize(
    ("plans", "medicines"),
    [
        (
            [SPIRONOLACTONE, "Topical Spironolactone"],
            "Spironolactone (oral, in Spironolactone) and Spironolactone scalp solution "
            "(topical, in Topical Spironolactone), each a potassium-sparing anti-androgen.",
        ),
        (
            [METFORMIN, "Metformin HCL Lotion 20%"],
            "Metformin ER (oral, in Oral Metformin ER) and Metformin HCl lotion 20% (topical, "
            "in Metformin HCL Lotion 20%), each a biguanide (metformin).",
        ),
    ],
)
def test_two_routes_of_one_medicine_in_a_cart_are_duplicate_therapy(plans, medicines):
    form = form_for(plans)
    assert form.is_valid(), form.errors
    assert form.flags == [
        {
            "key": "duplicate_therapy",
            "message": f"Duplicate therapy in the cart: {medicines}",
            "grade": "interaction",
        }
    ]


def test_a_medicine_the_vocabulary_does_not_know_is_flagged_by_name():
    form = form_for(
        [SPIRONOLACTONE],
        no_medicines="",
        medicine_1_name="Blorbazine",
        medicine_1_dose="2 a day",
        medicine_2_name="Lisinopril and Frobnicol",
        medicine_3_name="Vitamin D3 2000 IU",
    )
    assert form.is_valid(), form.errors
    assert form.flags == [
        {
            "key": "medicine_not_recognised",
            "message": "“Blorbazine 2 a day”: not in our medicine list, so not checked for "
            "interactions. Check it by hand.",
            "grade": "unrecognised",
        },
        {
            "key": "medicine_not_recognised",
            "message": "“Lisinopril and Frobnicol”: read as lisinopril, but “frobnicol” is not "
            "in our medicine list. Check it by hand.",
            "grade": "unrecognised",
        },
        {
            "key": "interaction",
            "message": "Interaction: takes Lisinopril and Frobnicol. ACE inhibitor or ARB "
            "with spironolactone: risk of high potassium.",
            "grade": "interaction",
        },
    ]


def test_without_rules_in_the_database_every_medicine_is_to_check_by_hand():
    form = form_for([SPIRONOLACTONE], no_medicines="", medicine_1_name="Lisinopril")
    InteractionRule.objects.all().delete()
    assert form.is_valid(), form.errors
    assert form.flags == [
        {
            "key": "interaction_rules_missing",
            "message": "No interaction rules are loaded: check every medicine she takes by hand.",
            "grade": "unrecognised",
        }
    ]


def test_the_rules_are_read_once_whatever_she_typed():
    def queries_for(**medicines):
        form = form_for([SPIRONOLACTONE, METFORMIN], no_medicines="", **medicines)
        with CaptureQueriesContext(connection) as queries:
            assert form.is_valid(), form.errors
        return len(queries)

    one = queries_for(medicine_1_name="Aldactone")
    five = queries_for(
        medicine_1_name="Aldactone",
        medicine_2_name="Hyzaar",
        medicine_3_name="Janumet",
        medicine_4_name="Blorbazine",
        medicine_5_name="Advil",
    )
    assert one == five


def test_the_medicine_names_offer_suggestions_and_take_any_text():
    form = form_for([SPIRONOLACTONE])
    first, second = str(form["medicine_1_name"]), str(form["medicine_2_name"])
    assert 'list="medicine-names"' in first and 'list="medicine-names"' in second
    assert first.count('<datalist id="medicine-names">') == 1
    assert '<option value="Aldactone"></option>' in first
    assert '<option value="Hyzaar"></option>' in first
    assert "<datalist" not in second  # one list on the page, every row points at it


# --- Through checkout and the clinician's pages -------------------------------------------


@pytest.mark.usefixtures("test_mode")
def test_an_order_with_an_unrecognised_medicine_never_reads_no_red_flags(client):
    plan = make_plan(METFORMIN, 2200)
    client.post("/cart/add/", {"plan": plan.pk})
    client.post("/checkout/", {"step": "1"})  # a draft: the medicines step can be opened
    page = client.get("/checkout/?step=4").content.decode()
    assert page.count('<datalist id="medicine-names">') == 1
    assert page.count('list="medicine-names"') == 1  # one row until she adds another
    response = client.post(
        "/checkout/", answers(no_medicines="", medicine_1_name="Glorbitol", medicine_1_dose="5")
    )
    assert response.status_code == 302  # free text is accepted
    client.post(
        response["Location"],
        {
            "action": "pay",
            "name": "Jane Patient",
            "line1": "1 Main St",
            "city": "Albany",
            "state": "NY",
            "postal_code": "12207",
        },
    )
    order = Order.objects.get()
    assert order.status == Order.Status.AWAITING_REVIEW
    assert order.questionnaire.has_red_flags
    version = order.questionnaire.rules_version
    assert version.startswith("2026-12-05.1+") and len(version) == len("2026-12-05.1+") + 12

    sign_in(client, staff("clinician"))
    html = client.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()
    assert "No red flags" not in html
    assert "Not recognised: check by hand:</strong> “Glorbitol 5”: not in our medicine list" in html
    assert f"Checked against clinical rules {version}" in html
    queue = client.get(reverse("admin:orders_reviewqueueorder_changelist")).content.decode()
    assert order.reference in queue and "Not recognised: check by hand" in queue
    assert "No red flags" not in queue.split("<tbody>")[1]
