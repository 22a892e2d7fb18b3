"""The medical questionnaire: hard stops explain themselves, concerns are flagged."""

from datetime import date

import pytest

from orders.models import Order
from orders.questionnaire import QuestionnaireForm
from tests.orders.factories import answers, make_plan
from treatments.models import Treatment

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 25)


def form_for(plans, **data):
    return QuestionnaireForm(
        data=answers(**data), treatments=[p.treatment for p in plans], today=TODAY
    )


def test_valid_answers_have_no_stops_or_flags():
    form = form_for([make_plan()], metformin_alcohol="no")
    assert form.is_valid(), form.errors
    assert form.stops == [] and form.flags == []
    assert form.answers()["date_of_birth"] == {"question": "Date of birth", "answer": "1990-04-12"}
    assert "email" not in form.answers()


@pytest.mark.parametrize(
    ("born", "ok"), [("2008-11-25", True), ("2008-11-26", False), ("2015-01-01", False)]
)
def test_under_18_is_a_hard_stop(born, ok):
    form = form_for([make_plan()], date_of_birth=born, metformin_alcohol="no")
    assert form.is_valid() is ok
    if not ok:
        assert "18 or older" in form.errors["date_of_birth"][0]


def test_future_birth_date_is_refused():
    form = form_for([make_plan()], date_of_birth="2030-01-01", metformin_alcohol="no")
    assert not form.is_valid()
    assert "in the future" in form.errors["date_of_birth"][0]


@pytest.mark.parametrize("status", ["pregnant", "breastfeeding", "trying"])
def test_pregnancy_stops_each_treatment_unsafe_in_pregnancy_by_name(status):
    unsafe = make_plan("Spironolactone", 1400, unsafe_in_pregnancy=True)
    safe = make_plan("Metformin HCL Lotion 20%", 4300, form=Treatment.Form.TOPICAL)
    form = form_for(
        [unsafe, safe],
        pregnancy=status,
        metformin_alcohol="no",
        spironolactone_potassium="no",
        spironolactone_high_potassium="no",
    )
    assert not form.is_valid()
    assert [stop["treatment"] for stop in form.stops] == ["Spironolactone"]
    stop = form.stops[0]
    assert "not safe during pregnancy" in stop["why"]
    assert "Remove it from your cart" in stop["instead"]
    assert "Spironolactone" in form.errors["pregnancy"][0]
    assert any(flag["key"] == "pregnancy" for flag in form.flags)


def test_pregnancy_with_only_safe_treatments_is_flagged_not_stopped():
    safe = make_plan("Metformin HCL Lotion 20%", 4300, form=Treatment.Form.TOPICAL)
    form = form_for([safe], pregnancy="breastfeeding", metformin_alcohol="no")
    assert form.is_valid(), form.errors
    assert form.flags == [{"key": "pregnancy", "message": "Pregnancy status: I am breastfeeding."}]


def test_glp1_asks_its_own_questions_thyroid_cancer_stops_pancreatitis_flags():
    glp1 = make_plan(
        "Oral GLP-1 & Metformin pack",
        19900,
        active_ingredients="Oral semaglutide (GLP-1), metformin",
    )
    base = dict(metformin_alcohol="no", glp1_gallbladder="no")
    form = form_for([glp1], glp1_thyroid_cancer="no", glp1_pancreatitis="yes", **base)
    assert {"glp1_thyroid_cancer", "glp1_pancreatitis", "glp1_gallbladder"} <= set(form.fields)
    assert form.is_valid(), form.errors
    assert [f["key"] for f in form.flags] == ["glp1_pancreatitis"]

    form = form_for([glp1], glp1_thyroid_cancer="yes", glp1_pancreatitis="no", **base)
    assert not form.is_valid()
    assert form.stops[0]["treatment"] == "Oral GLP-1 & Metformin pack"
    assert "medullary thyroid cancer" in form.stops[0]["why"]
    assert "medullary thyroid cancer" in form.errors["glp1_thyroid_cancer"][0]


def test_oral_minoxidil_flags_low_blood_pressure_and_heart_disease():
    minoxidil = make_plan("Oral Minoxidil", 2500, active_ingredients="Minoxidil")
    form = form_for([minoxidil], minoxidil_low_blood_pressure="yes", minoxidil_heart="yes")
    assert form.is_valid(), form.errors
    assert [f["key"] for f in form.flags] == ["minoxidil_low_blood_pressure", "minoxidil_heart"]


def test_spironolactone_flags_potassium_raising_medicines_but_topical_is_not_asked():
    oral = make_plan("Spironolactone", 1400)
    topical = make_plan("Topical Spironolactone", 2900, form=Treatment.Form.TOPICAL)
    form = form_for([oral], spironolactone_potassium="yes", spironolactone_high_potassium="no")
    assert form.is_valid(), form.errors
    assert [f["key"] for f in form.flags] == ["spironolactone_potassium"]
    assert "spironolactone_potassium" not in form_for([topical]).fields


def test_kidney_disease_and_allergies_are_flagged():
    form = form_for(
        [make_plan()], kidney_liver="yes", allergies="Penicillin", metformin_alcohol="no"
    )
    assert form.is_valid()
    assert form.flags == [
        {"key": "kidney_liver", "message": "Kidney or liver disease."},
        {"key": "allergies", "message": "Allergies: Penicillin"},
    ]


def test_every_field_has_a_label():
    plans = [
        make_plan("Oral GLP-1 & Metformin pack", 19900, active_ingredients="GLP-1, Metformin"),
        make_plan("Oral Minoxidil", 2500),
        make_plan("Spironolactone", 1400),
    ]
    form = form_for(plans)
    assert len(form.fields) == 7 + 3 + 1 + 2 + 2
    assert all(field.label for field in form.fields.values())


# --- The page --------------------------------------------------------------------------------


def test_checkout_page_shows_questions_with_labels(client):
    plan = make_plan("Oral Minoxidil", 2500)
    client.post("/cart/add/", {"plan": plan.pk})
    response = client.get("/checkout/")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<label for="id_email">Email</label>' in html
    assert "<legend>Do you have heart disease" in html
    assert "For Oral Minoxidil" in html


def test_checkout_with_empty_cart_sends_back_to_the_cart(client):
    response = client.get("/checkout/")
    assert response.status_code == 302 and response["Location"] == "/cart/"


def test_hard_stop_on_the_page_names_the_treatment_keeps_answers_and_makes_no_order(client):
    plan = make_plan("Spironolactone", 1400, unsafe_in_pregnancy=True)
    client.post("/cart/add/", {"plan": plan.pk})
    data = answers(
        pregnancy="trying",
        medicines="Vitamin D 1000 IU",
        spironolactone_potassium="no",
        spironolactone_high_potassium="no",
    )
    response = client.post("/checkout/", data)
    html = response.content.decode()
    assert response.status_code == 400
    assert "We can't continue with your order" in html
    assert "<strong>Spironolactone:</strong> Spironolactone is not safe during pregnancy" in html
    assert "Remove Spironolactone from my cart" in html
    assert "Vitamin D 1000 IU" in html  # answers kept
    assert 'value="trying" id="id_pregnancy_3" required aria-invalid="true" checked' in html
    assert Order.objects.count() == 0


def test_missing_answers_show_errors_next_to_fields(client):
    client.post("/cart/add/", {"plan": make_plan().pk})
    response = client.post("/checkout/", {"email": "not-an-email", "full_name": "Jane"})
    html = response.content.decode()
    assert response.status_code == 400
    assert 'class="field field--error" id="field-email"' in html
    assert 'id="id_email_error"' in html and "Enter a valid email address." in html
    assert 'value="Jane"' in html
    assert Order.objects.count() == 0
