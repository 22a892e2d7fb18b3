"""Issue 17: label contraindications are stops (with what to do instead), holds for the
clinician carry the drug's own reason, breastfeeding follows each label's lactation section,
GLP-1 medicines need an indication, and a stop is kept with the person, not the browser."""

from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from clinic.questionnaire import QuestionnaireForm
from clinic.stop_records import earlier_stops, person_key, record_stops
from clinic.stops import BREASTFEEDING, PREGNANCY_STOPS
from oana.retention import prune
from orders.models import Order, StopRecord
from tests.support.factories import MEDICINES, answers, make_plan, medicine
from tests.support.staff import sign_in, staff

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 25)


def form_for(plans, **data):
    return QuestionnaireForm(
        data=answers(**data), treatments=[p.treatment for p in plans], today=TODAY
    )


def flags_of(form, key):
    form.is_valid()
    return [(f["message"], f["grade"]) for f in form.flags if f["key"] == key]


# --- Label contraindications are stops ---------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "field", "why"),
    [
        ("Spironolactone", {"antiandrogen_addisons": "yes"}, "antiandrogen_addisons", "Addison"),
        (
            "Spironolactone",
            {"antiandrogen_high_potassium": "recent"},
            "antiandrogen_high_potassium",
            "must not be used with high potassium",
        ),
        (
            "Spironolactone",
            {"antiandrogen_eplerenone": "yes"},
            "antiandrogen_eplerenone",
            "must not be taken with eplerenone",
        ),
        ("Spironolactone", {"kidney": "below_30"}, "kidney", "eGFR below 30"),
        ("Spironolactone", {"kidney": "dialysis"}, "kidney", "eGFR below 30"),
        (
            "Oral Minoxidil",
            {"vasodilator_pericardial_effusion": "yes"},
            "vasodilator_pericardial_effusion",
            "fluid around the heart",
        ),
        (
            "Oral Minoxidil",
            {"vasodilator_heart_failure": "yes"},
            "vasodilator_heart_failure",
            "must not be used with heart failure",
        ),
        (
            "Oral Minoxidil",
            {"vasodilator_heart_attack_angina": "recent"},
            "vasodilator_heart_attack_angina",
            "within 12 months of a heart attack or angina",
        ),
        (
            "Oral Minoxidil",
            {"bp_systolic": "88", "bp_diastolic": "56"},
            "bp_systolic",
            "Yours is 88/56, below 90/60",
        ),
        (
            "Oral Minoxidil",
            {"bp_systolic": "118", "bp_diastolic": "58"},
            "bp_systolic",
            "Yours is 118/58, below 90/60",
        ),
        ("Oral Metformin ER", {"liver": "severe"}, "liver", "cirrhosis or liver failure"),
        (
            "Oral GLP-1 & Metformin pack",
            {"glp1_diabetes_type": "type1", "glp1_indication": "weight"},
            "glp1_diabetes_type",
            "not for type 1 diabetes",
        ),
    ],
)
def test_each_label_contraindication_stops_with_what_to_do_instead(name, data, field, why):
    form = form_for([make_plan(name, 1000)], **data)
    assert not form.is_valid()
    [stop] = [s for s in form.stops if why in s["why"]]
    assert stop["instead"].startswith("Remove it from your cart")
    assert why in form.errors[field][0]
    assert field in form.stop_answers


def test_blood_pressure_of_90_over_60_is_not_a_stop():
    form = form_for([make_plan("Oral Minoxidil", 2500)], bp_systolic="90", bp_diastolic="60")
    assert form.is_valid(), form.errors


def test_low_blood_pressure_without_oral_minoxidil_stays_a_caution():
    form = form_for([make_plan("Spironolactone", 1400)], bp_systolic="88", bp_diastolic="56")
    assert form.is_valid()
    assert flags_of(form, "blood_pressure") == [("Low blood pressure: 88/56.", "caution")]


@pytest.mark.parametrize(
    ("name", "key", "reason"),
    [
        (
            "Spironolactone",
            "antiandrogen_high_potassium",
            "High potassium more than 12 months ago (spironolactone requested): hyperkalemia is "
            "a contraindication (label 4); check potassium first.",
        ),
        (
            "Oral Minoxidil",
            "vasodilator_heart_attack_angina",
            "Heart attack or angina more than 12 months ago (oral minoxidil requested): label "
            "boxed warning: angina may be exacerbated.",
        ),
    ],
)
def test_the_same_event_more_than_12_months_ago_holds_for_the_clinician(name, key, reason):
    form = form_for([make_plan(name, 1000)], **{key: "earlier"})
    assert form.is_valid(), form.errors
    assert flags_of(form, key) == [(reason, "contraindication")]


def test_topical_spironolactone_with_a_contraindication_of_the_tablets_holds_instead():
    pack = make_plan("Topical Spironolactone", 2900)
    form = form_for([pack], antiandrogen_addisons="yes", antiandrogen_eplerenone="yes")
    assert form.is_valid(), form.errors
    assert [f["grade"] for f in form.flags] == ["contraindication", "contraindication"]
    assert "Addison's disease (topical spironolactone requested)" in form.flags[0]["message"]
    # A pack of tablets and solution: the tablets stop, the solution holds.
    both = make_plan("Both", 4000, medicines=["spironolactone-oral", "spironolactone-topical"])
    solution = make_plan("Solution", 2900, medicines=["spironolactone-topical"])
    form = form_for([both, solution], antiandrogen_high_potassium="recent")
    assert not form.is_valid()
    assert [s["treatment"] for s in form.stops] == ["", "Both"]  # "" is the duplicate stop
    assert flags_of(form, "antiandrogen_high_potassium")[0][1] == "contraindication"


# --- Kidney: her eGFR band, with the drug's own reason -------------------------------------------


def test_egfr_30_to_44_holds_a_metformin_start_with_the_label_reason():
    form = form_for([make_plan("Oral Metformin ER", 2200)], kidney="30_44")
    assert form.is_valid(), form.errors
    assert flags_of(form, "kidney") == [
        (
            "eGFR 30-44 with metformin: metformin label: starting at eGFR 30-45 is not "
            "recommended (2.3 Recommendations for use in renal impairment).",
            "contraindication",
        )
    ]


def test_an_unknown_egfr_holds_metformin_but_nothing_else():
    form = form_for([make_plan("Oral Metformin ER", 2200)], kidney="unknown", kidney_measured="")
    assert form.is_valid(), form.errors
    [(message, grade)] = flags_of(form, "kidney")
    assert message.startswith("eGFR not known with metformin") and grade == "contraindication"
    form = form_for([make_plan("Oral Minoxidil", 2500)], kidney="unknown", kidney_measured="")
    assert form.is_valid() and form.flags == []
    # The lotion is not the tablets the label is about: no hold, as before.
    form = form_for([make_plan("Metformin HCL Lotion 20%", 4300)], kidney="30_44")
    assert flags_of(form, "kidney") == [("Kidney function: eGFR 30 to 44.", "caution")]


def test_ckd_stage_1_is_not_lumped_with_3b():
    # eGFR 95 with protein in the urine is stage 1: "60 or more", nothing to hold.
    form = form_for([make_plan("Oral Metformin ER", 2200)], kidney="60_plus")
    assert form.is_valid() and form.flags == []
    form = form_for([make_plan("Oral Metformin ER", 2200)], kidney="45_59")
    assert flags_of(form, "kidney") == [("Kidney function: eGFR 45 to 59.", "caution")]


def test_an_egfr_needs_its_date_and_an_old_one_is_flagged_with_metformin():
    form = form_for([make_plan("Oral Metformin ER", 2200)], kidney_measured="")
    assert form.errors["kidney_measured"] == ["Please say when it was measured."]
    form = form_for([make_plan("Oral Metformin ER", 2200)], kidney_measured="older")
    assert form.is_valid()
    assert flags_of(form, "kidney_measured")[0][1] == "caution"
    assert form.answers()["kidney_measured"]["answer"] == "More than 12 months ago"
    assert form.answers()["kidney"] == {
        "question": "Your latest kidney function result (eGFR)",
        "answer": "60 or more",
    }


@pytest.mark.parametrize("liver", ["mild", "unsure"])
def test_liver_disease_holds_a_metformin_start(liver):
    form = form_for([make_plan("Oral Metformin ER", 2200)], liver=liver)
    assert form.is_valid()
    [(message, grade)] = flags_of(form, "liver")
    assert "metformin label (5.1 Lactic acidosis, hepatic impairment)" in message
    assert grade == "contraindication"


# --- Breastfeeding, as each label's lactation section says --------------------------------------


@pytest.mark.parametrize(
    ("medicines", "stopped", "reason"),
    [
        (["semaglutide-oral"], "advises not to breastfeed", ""),
        (["minoxidil-oral"], "passes into breast milk", ""),
        (["spironolactone-oral"], "", "canrenone passes into breast milk (label 8.2 Lactation)"),
        (["spironolactone-topical"], "", "canrenone passes into breast milk"),
        (["eflornithine-cream"], "", "the label advises caution (Nursing mothers)"),
    ],
)
def test_breastfeeding_follows_each_medicines_lactation_section(medicines, stopped, reason):
    plan = make_plan("Her Treatment", 1400, medicines=medicines)
    form = form_for([plan], breastfeeding="yes")
    if stopped:
        assert not form.is_valid()
        assert stopped in form.stops[0]["why"]
        assert "Her Treatment" in form.errors["breastfeeding"][0]
    else:
        assert form.is_valid(), form.errors
        [(message, grade)] = flags_of(form, "breastfeeding")
        assert reason in message and grade == "caution"


def test_every_class_unsafe_in_pregnancy_has_a_lactation_rule():
    unsafe = [
        slug for slug in MEDICINES if any(c.medicine(medicine(slug)) for c in PREGNANCY_STOPS)
    ]
    assert len(unsafe) == 5
    for slug in unsafe:
        assert any(rule.covers.medicine(medicine(slug)) for rule in BREASTFEEDING), slug


# --- GLP-1: an indication, and the rules of its labels -------------------------------------------


def glp1_form(**data):
    return form_for([make_plan("Oral GLP-1 & Metformin pack", 19900)], **data)


LEAN = {"height_feet": "5", "height_inches": "5", "weight_lb": "132"}  # BMI 22.0
OVERWEIGHT = {"height_feet": "5", "height_inches": "5", "weight_lb": "170"}  # BMI 28.3
OBESE = {"height_feet": "5", "height_inches": "5", "weight_lb": "190"}  # BMI 31.6


def test_a_lean_pcos_patient_asking_for_weight_is_kindly_stopped():
    form = glp1_form(
        glp1_indication="pcos_insulin_resistance", glp1_diabetes_type="no", goals=["weight"], **LEAN
    )
    assert not form.is_valid()
    [stop] = form.stops
    assert "Your BMI is 22.0" in stop["why"]
    assert "could do you more harm than good" in stop["why"]
    assert "metformin-based treatments work at any weight" in stop["instead"]
    assert set(form.stop_answers) == {
        "weight_lb",
        "height_feet",
        "height_inches",
        "glp1_diabetes_type",
    }


@pytest.mark.parametrize(
    ("body", "data", "ok"),
    [
        (OBESE, {}, True),
        (OVERWEIGHT, {}, False),
        (OVERWEIGHT, {"glp1_weight_conditions": ["hypertension"]}, True),
        (OVERWEIGHT, {"glp1_diabetes_type": "prediabetes"}, True),
        (LEAN, {"glp1_weight_conditions": ["sleep_apnoea"]}, False),
        (LEAN, {"glp1_diabetes_type": "type2", "glp1_indication": "type2_diabetes"}, True),
    ],
)
def test_glp1_needs_type_2_diabetes_or_bmi_30_or_27_with_a_condition(body, data, ok):
    form = glp1_form(**{"glp1_indication": "weight", "glp1_diabetes_type": "no", **body, **data})
    assert form.is_valid() is ok, form.errors


def test_glp1_answers_are_recorded_for_the_clinician():
    form = glp1_form(
        glp1_indication="weight",
        glp1_diabetes_type="prediabetes",
        glp1_hba1c="6.1",
        glp1_weight_conditions=["hypertension", "dyslipidaemia"],
        **OVERWEIGHT,
    )
    assert form.is_valid(), form.errors
    stored = form.answers()
    assert stored["glp1_indication"]["answer"] == "Weight"
    assert stored["glp1_hba1c"] == {
        "question": "Your latest HbA1c (%), if you know it",
        "answer": "6.1",
    }
    assert stored["glp1_weight_conditions"]["answer"] == (
        "High blood pressure, High cholesterol or triglycerides"
    )
    form = glp1_form()
    assert form.is_valid()
    assert form.answers()["glp1_hba1c"]["answer"] == "Not known"


def test_glp1_answers_that_do_not_fit_are_refused():
    form = glp1_form(glp1_indication="type2_diabetes", glp1_diabetes_type="no", **OBESE)
    assert "please check your answer" in form.errors["glp1_indication"][0]
    form = glp1_form(glp1_hba1c="45")
    assert "glp1_hba1c" in form.errors
    form = glp1_form(glp1_diabetes_type="other", **OBESE, glp1_indication="weight")
    assert form.is_valid()
    assert form.flags[0]["key"] == "glp1_diabetes_type"


def test_a_missing_weight_leaves_the_glp1_rule_to_the_weight_error():
    form = glp1_form(glp1_indication="weight", glp1_diabetes_type="no", weight_lb="")
    assert list(form.errors) == ["weight_lb"]


# --- A stop is kept with the person, not the browser ---------------------------------------------


def checkout(client, plan, **data):
    client.post("/cart/add/", {"plan": plan.pk})
    return client.post("/checkout/", answers(**data))


def test_a_stop_in_one_browser_is_flagged_when_she_answers_otherwise_in_another(client):
    plan = make_plan("Spironolactone", 1400)
    assert checkout(client, plan, pregnant="yes").status_code == 400
    [record] = StopRecord.objects.all()
    assert record.patient is None
    assert record.person_key == person_key("jane@example.com", date(1990, 4, 12))
    assert (record.answer_key, record.question, record.answer) == (
        "pregnant",
        "Are you pregnant?",
        "Yes",
    )
    # Posting the same stop again records nothing new.
    assert checkout(client, plan, pregnant="yes").status_code == 400
    assert StopRecord.objects.count() == 1

    fresh = Client()
    response = checkout(fresh, plan, pregnant="no", email=" Jane@Example.com ")
    assert response.status_code == 302
    order = Order.objects.get()
    [flag] = order.questionnaire.flags
    when = timezone.localtime(record.created_at).strftime("%b %d, %Y")
    assert flag == {
        "key": "changed_after_stop",
        "message": f"Answer changed after a stop in an earlier questionnaire ({when}): "
        "“Are you pregnant?” was Yes, now No.",
        "grade": "contraindication",
    }
    assert earlier_stops(order) == [record]

    # ...and the clinician reviewing that order sees it on the order's page.
    reviewer = Client()
    sign_in(reviewer, staff("clinician", "dr_lee"))
    html = reviewer.get(f"/admin/orders/order/{order.pk}/change/").content.decode()
    assert "Stops recorded for her (any order, session or browser)" in html
    assert "“Are you pregnant?” Yes." in html
    assert "Spironolactone is not safe during pregnancy" in html


def test_the_same_browser_flags_a_changed_answer_once(client):
    plan = make_plan("Spironolactone", 1400)
    checkout(client, plan, pregnant="yes")
    assert checkout(client, plan, pregnant="no").status_code == 302
    assert [f["key"] for f in Order.objects.get().questionnaire.flags] == ["changed_after_stop"]


def test_an_earlier_stop_of_a_question_not_asked_now_is_still_flagged(client):
    checkout(client, make_plan("Oral Minoxidil", 2500), vasodilator_pericardial_effusion="yes")
    fresh = Client()
    assert checkout(fresh, make_plan("Oral Metformin ER", 2200)).status_code == 302
    [flag] = Order.objects.get().questionnaire.flags
    assert flag["key"] == "earlier_stop" and flag["grade"] == "contraindication"
    assert "“Have you been told you have fluid around the heart" in flag["message"]
    assert "Oral minoxidil must not be used with fluid around the heart" in flag["message"]


def test_another_date_of_birth_is_another_person_and_nothing_else_identifies_her(client):
    plan = make_plan("Spironolactone", 1400)
    checkout(client, plan, pregnant="yes")
    fresh = Client()
    assert checkout(fresh, plan, pregnant="no", date_of_birth="1991-04-12").status_code == 302
    assert Order.objects.get().questionnaire.flags == []
    [record] = StopRecord.objects.all()
    stored = " ".join(str(v) for v in StopRecord.objects.values().get().values())
    assert "jane" not in stored.lower() and "1990" not in stored
    assert record.person_key != person_key("jane@example.com", date(1991, 4, 12))


def test_an_under_age_stop_is_recorded_with_the_date_she_typed(client):
    checkout(client, make_plan(), date_of_birth="2010-01-01")
    [record] = StopRecord.objects.all()
    assert record.answer_key == "date_of_birth" and record.answer == "2010-01-01"
    assert record.person_key == person_key("jane@example.com", date(2010, 1, 1))


def test_nothing_is_recorded_for_someone_who_cannot_be_linked(client):
    checkout(client, make_plan("Spironolactone", 1400), pregnant="yes", email="not an email")
    assert StopRecord.objects.count() == 0


def test_a_signed_in_patients_stop_is_linked_to_her_account():
    from django.contrib.auth import get_user_model

    from orders.models import PatientAccount

    user = get_user_model().objects.create(username="jane", email="jane@example.com")
    PatientAccount.objects.create(user=user)
    form = form_for([make_plan("Spironolactone", 1400)], pregnant="yes")
    assert not form.is_valid()
    assert record_stops(form, user) == 1
    assert StopRecord.objects.get().patient == user
    # Her next questionnaire finds it by her account, whatever email she types.
    later = QuestionnaireForm(
        data=answers(email="other@example.com"),
        treatments=[make_plan("Spironolactone", 1400).treatment],
        today=TODAY,
        patient=user,
    )
    assert later.is_valid(), later.errors
    assert later.flags[0]["key"] == "changed_after_stop"
    order = Order(email="other@example.com", patient=user)
    assert len(earlier_stops(order)) == 1  # no date of birth on the order: by account only


def test_stop_records_are_kept_two_years():
    now = timezone.now()
    old = StopRecord.objects.create(
        person_key="x", answer_key="pregnant", question="q", answer="Yes", stop="s"
    )
    StopRecord.objects.filter(pk=old.pk).update(created_at=now - timedelta(days=731))
    StopRecord.objects.create(
        person_key="y", answer_key="pregnant", question="q", answer="Yes", stop="s"
    )
    assert prune(now)["stop records deleted"] == 1
    assert StopRecord.objects.count() == 1
    assert str(StopRecord.objects.get()).startswith("Stop recorded ")


def test_one_flag_per_earlier_answer_and_none_for_the_same_answer_again(client):
    both = [make_plan("Spironolactone", 1400), make_plan("Oral Minoxidil", 2500)]
    for plan in both:
        client.post("/cart/add/", {"plan": plan.pk})
    assert client.post("/checkout/", answers(trying_to_conceive="yes")).status_code == 400
    assert StopRecord.objects.count() == 2  # one stop per treatment, the same answer
    fresh = Client()
    assert checkout(fresh, both[0]).status_code == 302
    assert [f["key"] for f in Order.objects.get().questionnaire.flags] == ["changed_after_stop"]
    # Still trying, now for a treatment safe in pregnancy: her answer did not change.
    again = Client()
    assert (
        checkout(again, make_plan("Oral Metformin ER", 2200), trying_to_conceive="yes").status_code
        == 302
    )
    latest = Order.objects.latest("created_at").questionnaire.flags
    assert [f["key"] for f in latest] == ["trying_to_conceive"]


def test_the_order_page_says_when_none_is_recorded_and_shows_stops_to_clinicians_only(client):
    checkout(client, make_plan("Oral Metformin ER", 2200))
    order = Order.objects.get()
    reviewer = Client()
    sign_in(reviewer, staff("clinician", "dr_lee"))
    html = reviewer.get(f"/admin/orders/order/{order.pk}/change/").content.decode()
    assert "Stops recorded for her" in html and "None recorded." in html
    support = Client()
    sign_in(support, staff("support", "sam"))
    response = support.get(f"/admin/orders/order/{order.pk}/change/")
    assert response.status_code == 200
    assert "Stops recorded for her" not in response.content.decode()
