"""The medical questionnaire: questions chosen from drug classes, stops that explain
themselves, flags for the clinician, the interaction table and the duplicate check."""

from datetime import date

import pytest

from clinic.questionnaire import QuestionnaireForm, bmi
from clinic.questions import QUESTION_SETS
from orders.models import ClinicianProfile, Order
from tests.support.factories import answers, licensed_clinician, make_plan
from treatments.models import Treatment

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 25)


def form_for(plans, stopped=None, **data):
    return QuestionnaireForm(
        data=answers(**data),
        treatments=[p.treatment for p in plans],
        today=TODAY,
        stopped=stopped,
    )


def flag_keys(form):
    return [flag["key"] for flag in form.flags]


def stopped_names(form):
    return [stop["treatment"] for stop in form.stops]


def test_valid_answers_have_no_stops_or_flags():
    form = form_for([make_plan()])
    assert form.is_valid(), form.errors
    assert form.stops == [] and form.flags == []
    stored = form.answers()
    assert stored["date_of_birth"] == {"question": "Date of birth", "answer": "1990-04-12"}
    assert stored["state"] == {"question": "Which state do you live in?", "answer": "New York"}
    assert stored["bmi"] == {"question": "BMI (computed)", "answer": "26.6"}
    assert stored["height_weight"]["answer"] == "5 ft 5 in, 160 lb"
    assert stored["blood_pressure"]["answer"] == "Not known"
    assert stored["current_medicines"]["answer"] == "None"
    assert stored["medicine_allergies"]["answer"] == "None"
    assert stored["goals"]["answer"] == "PCOS symptoms such as irregular periods"
    assert "email" not in stored and "medicine_1_name" not in stored and "weight_lb" not in stored


def test_bmi_is_computed_from_inches_and_pounds():
    assert bmi(65, 160) == 26.6
    assert bmi(70, 120) == 17.2


# --- Questions come from drug classes, never from names ---------------------------------------


def keys_of(form):
    return {key for key in form.fields if "_" in key and key.split("_")[0] in SET_PREFIXES}


SET_PREFIXES = {"biguanide", "antiandrogen", "glp1", "vasodilator", "topical"}


def set_keys(name):
    return {q.key for s in QUESTION_SETS if s.key == name for q in s.questions}


@pytest.mark.parametrize(
    ("medicines", "sets"),
    [
        (["metformin-er"], {"biguanide"}),
        (["metformin-lotion"], {"topical"}),  # metformin on the skin: not the tablet questions
        (["spironolactone-oral"], {"antiandrogen"}),
        (["spironolactone-topical"], {"antiandrogen", "topical"}),
        (["semaglutide-oral", "metformin-er"], {"glp1", "biguanide"}),
        (["minoxidil-oral"], {"vasodilator"}),
        (["eflornithine-cream"], {"topical"}),
        ([], set()),
    ],
)
def test_questions_are_chosen_by_the_medicines_drug_classes_and_routes(medicines, sets):
    # A name that says nothing: only the medicines choose.
    plan = make_plan("Our Monthly Routine", 3000, medicines=medicines)
    form = form_for([plan])
    expected = set().union(*(set_keys(name) for name in sets)) if sets else set()
    assert keys_of(form) == expected
    assert form.is_valid(), form.errors


def test_renaming_a_treatment_does_not_change_its_questions():
    plan = make_plan("Spironolactone", 1400)
    Treatment.objects.filter(pk=plan.treatment_id).update(
        name="Glow Tablets", active_ingredients="", slug="glow"
    )
    plan.treatment.refresh_from_db()
    assert keys_of(form_for([plan])) == set_keys("antiandrogen")
    # ...while a name full of medicine words adds nothing.
    other = make_plan("GLP-1 Metformin Minoxidil", 100, medicines=[])
    assert keys_of(form_for([other])) == set()


def test_each_set_notes_the_treatments_it_is_for():
    pack = make_plan("Hair Plus", 4300, medicines=["minoxidil-oral", "spironolactone-topical"])
    titles = {title: note for title, note, _ in form_for([pack]).sections}
    assert titles["About oral minoxidil"] == "For Hair Plus"
    assert titles["About spironolactone"] == "For Hair Plus"


# --- Eligibility ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("born", "ok"), [("2008-11-25", True), ("2008-11-26", False), ("2015-01-01", False)]
)
def test_under_18_is_a_hard_stop(born, ok):
    form = form_for([make_plan()], date_of_birth=born)
    assert form.is_valid() is ok
    if not ok:
        assert "18 or older" in form.errors["date_of_birth"][0]
        assert form.stop_answers == {"date_of_birth": born}


def test_future_and_ancient_birth_dates_are_refused():
    form = form_for([make_plan()], date_of_birth="2030-01-01")
    assert "in the future" in form.errors["date_of_birth"][0]
    form = form_for([make_plan()], date_of_birth="1899-12-31")
    assert "check the year" in form.errors["date_of_birth"][0]


def test_a_state_without_a_licensed_clinician_is_told_we_cannot_treat_her_yet():
    form = form_for([make_plan()], state="WY")
    assert not form.is_valid()
    assert "We cannot treat patients who live in Wyoming yet" in form.errors["state"][0]
    assert form.stops[0]["treatment"] == ""
    assert form.stop_answers == {"state": "WY"}


def test_states_served_are_the_union_of_active_clinicians_states():
    plan = make_plan()
    licensed_clinician(["WY"], username="dr_wy", npi="1000000002")
    assert form_for([plan], state="WY").is_valid()
    ClinicianProfile.objects.filter(user__username="dr_wy").update(is_active=False)
    assert not form_for([plan], state="WY").is_valid()
    ClinicianProfile.objects.filter(user__username="dr_wy").update(is_active=True)
    ClinicianProfile.objects.get(user__username="dr_wy").user.__class__.objects.filter(
        username="dr_wy"
    ).update(is_active=False)
    assert not form_for([plan], state="WY").is_valid()


def test_an_unknown_state_is_a_bad_choice():
    form = form_for([make_plan()], state="XX")
    assert form.errors["state"] == ["Choose a US state from the list."]


def test_sex_assigned_at_birth_other_than_female_is_flagged():
    form = form_for([make_plan()], sex_at_birth="male")
    assert form.is_valid()
    assert form.flags == [
        {"key": "sex_at_birth", "message": "Sex assigned at birth: Male.", "grade": "caution"}
    ]


@pytest.mark.parametrize("key", ["pregnant", "trying_to_conceive"])
@pytest.mark.parametrize(
    "medicines",
    [
        ["spironolactone-oral"],
        ["spironolactone-topical"],
        ["semaglutide-oral"],
        ["minoxidil-oral"],
        ["eflornithine-cream"],
    ],
)
def test_pregnancy_breastfeeding_or_trying_stops_the_classes_whose_pages_say_so(key, medicines):
    unsafe = make_plan("Unsafe One", 1400, medicines=medicines)
    safe = make_plan("Metformin HCL Lotion 20%", 4300)
    form = form_for([unsafe, safe], **{key: "yes"})
    assert not form.is_valid()
    assert stopped_names(form) == ["Unsafe One"]
    assert "not safe during pregnancy" in form.stops[0]["why"]
    assert "Remove it from your cart" in form.stops[0]["instead"]
    assert "Unsafe One" in form.errors[key][0]
    assert key in flag_keys(form)  # the safe one goes on, flagged


def test_breastfeeding_and_trying_are_separate_answers_both_kept():
    safe = make_plan("Oral Metformin ER", 2200)
    form = form_for([safe], breastfeeding="yes", trying_to_conceive="yes")
    assert form.is_valid(), form.errors
    assert form.flags == [
        {"key": "breastfeeding", "message": "Are you breastfeeding? Yes.", "grade": "caution"},
        {
            "key": "trying_to_conceive",
            "message": "Are you trying to conceive? Yes.",
            "grade": "caution",
        },
    ]
    assert form.answers()["breastfeeding"]["answer"] == "Yes"
    assert form.answers()["trying_to_conceive"]["answer"] == "Yes"


def test_no_contraception_with_a_medicine_unsafe_in_pregnancy_holds_after_her_acknowledgement():
    # Issue 17 changed this rule: from a caution to a hold she must acknowledge.
    form = form_for([make_plan("Spironolactone", 1400)], contraception="none")
    assert not form.is_valid()
    assert form.errors["pregnancy_risk_acknowledged"] == [
        "Please tick this to go on, or choose the contraception you use."
    ]
    form = form_for(
        [make_plan("Spironolactone", 1400)],
        contraception="barrier",
        pregnancy_risk_acknowledged="on",
    )
    assert form.is_valid(), form.errors
    assert form.flags == [
        {
            "key": "contraception",
            "message": "No reliable contraception (condoms or another barrier method) while "
            "ordering Spironolactone, which can harm a developing baby; she ticked that she "
            "understands the risk.",
            "grade": "contraindication",
        }
    ]
    assert form.answers()["pregnancy_risk_acknowledged"]["answer"] == "Yes"
    # Reliable contraception, or a medicine safe in pregnancy: nothing to acknowledge.
    assert form_for([make_plan("Spironolactone", 1400)], contraception="combined").flags == []
    form = form_for([make_plan()], contraception="none")
    assert form.is_valid() and form.flags == []
    assert "pregnancy_risk_acknowledged" not in form.fields


def test_what_she_wants_treated_is_required_and_multiple():
    form = form_for([make_plan()], goals=[])
    assert form.errors["goals"] == ["Choose at least one thing you would like treated."]
    form = form_for([make_plan()], goals=["hair_loss", "acne"])
    assert form.is_valid()
    assert form.answers()["goals"]["answer"] == "Thinning hair or hair loss, Acne"


# --- Common questions -------------------------------------------------------------------------


def test_blood_pressure_both_numbers_or_neither():
    form = form_for([make_plan()], bp_systolic="120")
    assert form.errors["bp_diastolic"] == ["Please give both numbers, or leave both blank."]
    form = form_for([make_plan()], bp_systolic="80", bp_diastolic="90")
    assert form.errors["bp_diastolic"] == ["The bottom number is lower than the top number."]
    form = form_for([make_plan()], bp_systolic="120", bp_diastolic="78")
    assert form.is_valid() and form.flags == []
    assert form.answers()["blood_pressure"]["answer"] == "120/78"
    form = form_for([make_plan()], bp_systolic="999", bp_diastolic="")
    assert "bp_systolic" in form.errors and "bp_diastolic" not in form.errors
    # A number out of range is its own error, not also "give both numbers".
    form = form_for([make_plan()], bp_systolic="120", bp_diastolic="999")
    assert form.errors["bp_diastolic"] == ["Ensure this value is less than or equal to 150."]


@pytest.mark.parametrize(
    ("systolic", "diastolic", "message"),
    [
        ("85", "55", "Low blood pressure: 85/55."),
        ("150", "95", "High blood pressure: 150/95."),
    ],
)
def test_low_and_high_blood_pressure_are_flagged(systolic, diastolic, message):
    form = form_for([make_plan()], bp_systolic=systolic, bp_diastolic=diastolic)
    assert form.is_valid()
    assert form.flags == [{"key": "blood_pressure", "message": message, "grade": "caution"}]


def test_underweight_is_flagged_and_impossible_measures_are_refused():
    form = form_for([make_plan()], height_feet="5", height_inches="10", weight_lb="120")
    assert form.is_valid()
    assert form.flags == [{"key": "bmi", "message": "Underweight: BMI 17.2.", "grade": "caution"}]
    form = form_for([make_plan()], height_feet="12", weight_lb="5")
    assert {"height_feet", "weight_lb"} <= set(form.errors)


def test_medicines_are_a_list_or_none_never_both_or_neither():
    form = form_for([make_plan()], no_medicines="")
    assert form.errors["no_medicines"] == ["List your medicines, or tick this if you have none."]
    form = form_for([make_plan()], medicine_1_name="Vitamin D")
    assert form.errors["no_medicines"] == ["You listed medicines: untick this, or clear the list."]
    form = form_for([make_plan()], no_medicines="", medicine_2_dose="10 mg")
    assert form.errors["medicine_2_name"] == ["Please name it."]
    form = form_for(
        [make_plan()],
        no_medicines="",
        medicine_1_name="Vitamin D",
        medicine_1_dose="1000 IU daily",
        medicine_3_name="Levothyroxine",
    )
    assert form.is_valid(), form.errors
    assert form.answers()["current_medicines"]["answer"] == (
        "Vitamin D, 1000 IU daily; Levothyroxine"
    )


def test_allergies_are_flagged_only_when_relevant_to_the_medicines_ordered():
    form = form_for(
        [make_plan()],
        no_allergies="",
        allergy_1_name="Penicillin",
        allergy_1_reaction="hives",
        allergy_2_name="metformin",
        allergy_3_name="Cream base",
    )
    assert form.is_valid(), form.errors
    assert form.flags == [
        {
            "key": "allergies",
            "message": "Allergy to a medicine ordered: metformin.",
            "grade": "caution",
        }
    ]
    assert form.answers()["medicine_allergies"]["answer"] == (
        "Penicillin, hives; metformin; Cream base"
    )
    form = form_for([make_plan()], no_allergies="")
    assert "no_allergies" in form.errors


@pytest.mark.parametrize(
    ("kidney", "stopped"),
    [("below_30", True), ("dialysis", True), ("45_59", False), ("30_44", False)],
)
def test_severe_kidney_disease_or_dialysis_stops_metformin_oral_or_topical(kidney, stopped):
    # Issue 17: the kidney question asks for her eGFR band (was: none/mild/severe/unsure).
    tablets = make_plan("Oral Metformin ER", 2200)
    lotion = make_plan("Metformin HCL Lotion 20%", 4300)
    other = make_plan("Oral Minoxidil", 2500)
    form = form_for([tablets, lotion, other], kidney=kidney)
    assert form.is_valid() is not stopped
    assert stopped_names(form) == (
        ["Oral Metformin ER", "Metformin HCL Lotion 20%"] if stopped else []
    )
    if stopped:
        assert "eGFR below 30" in form.stops[0]["why"]
    assert "kidney" in flag_keys(form)


def test_liver_disease_is_flagged_with_its_severity():
    # Without metformin in the cart (with it, cirrhosis is a stop: tests/clinic/test_stops.py).
    form = form_for([make_plan("Oral Minoxidil", 2500)], liver="severe")
    assert form.is_valid()
    assert form.flags == [
        {
            "key": "liver",
            "message": "Liver disease: Yes, cirrhosis or liver failure.",
            "grade": "caution",
        }
    ]


# --- Per drug class: stops and flags ----------------------------------------------------------


FLAGS_BY_SET = {
    "biguanide": (
        "Oral Metformin ER",
        [
            "biguanide_lactic_acidosis",
            "biguanide_heart_failure",
            "biguanide_alcohol",
            "biguanide_surgery_contrast",
        ],
    ),
    "antiandrogen": (
        "Spironolactone",
        [
            "antiandrogen_potassium_medicines",
            "antiandrogen_low_blood_pressure",
        ],
    ),
    "glp1": (
        "Oral GLP-1 & Metformin pack",
        [
            "glp1_gallbladder",
            "glp1_insulin_sulfonylurea",
            "glp1_retinopathy",
            "glp1_gastroparesis",
            "glp1_eating_disorder",
            "glp1_depression",
            "glp1_suicidal_thoughts",
            "glp1_surgery_sedation",
            "glp1_pregnancy_planned",
            "glp1_severe_vomiting",
        ],
    ),
    "vasodilator": (
        "Oral Minoxidil",
        [
            "vasodilator_arrhythmia",
            "vasodilator_blood_pressure_medicines",
            "vasodilator_fluid_retention",
            "vasodilator_low_blood_pressure",
        ],
    ),
    "topical": (
        "Eflornithine 12%",
        ["topical_allergy", "topical_broken_skin", "topical_virilization"],
    ),
}


@pytest.mark.parametrize(
    ("name", "key"), [(name, key) for name, keys in FLAGS_BY_SET.values() for key in keys]
)
def test_each_class_question_of_concern_is_a_flag_with_a_reason(name, key):
    form = form_for([make_plan(name, 1000)], **{key: "yes"})
    assert form.is_valid(), form.errors
    assert flag_keys(form) == [key]
    assert form.flags[0]["message"]


@pytest.mark.parametrize(
    ("name", "key", "why"),
    [
        ("Oral GLP-1 & Metformin pack", "glp1_thyroid_cancer", "medullary thyroid cancer"),
        ("Oral GLP-1 & Metformin pack", "glp1_pancreatitis", "after pancreatitis"),
        ("Oral Minoxidil", "vasodilator_pheochromocytoma", "pheochromocytoma"),
    ],
)
def test_labelled_contraindications_are_hard_stops(name, key, why):
    form = form_for([make_plan(name, 1000)], **{key: "yes"})
    assert not form.is_valid()
    assert stopped_names(form) == [name]
    assert why in form.stops[0]["why"]
    assert why in form.errors[key][0]
    assert form.stop_answers == {key: "yes"}


def test_a_stop_names_each_treatment_of_the_class_in_the_cart():
    one = make_plan("Oral Minoxidil", 2500)
    pack = make_plan("Hair Plus Plus", 4300, medicines=["minoxidil-oral", "spironolactone-topical"])
    form = form_for([one, pack], vasodilator_pheochromocytoma="yes")
    assert not form.is_valid()
    # (and the minoxidil in both is a duplicate, stopped on its own)
    assert stopped_names(form) == ["", "Oral Minoxidil", "Hair Plus Plus"]


def test_every_field_has_a_label():
    plans = [
        make_plan("Oral GLP-1 & Metformin pack", 19900),
        make_plan("Oral Minoxidil", 2500),
        make_plan("Topical Spironolactone", 2900),
    ]
    form = form_for(plans)
    assert all(field.label for field in form.fields.values())
    assert set_keys("glp1") <= set(form.fields) and set_keys("topical") <= set(form.fields)


# --- Cross-checks -------------------------------------------------------------------------------


def test_the_same_medicine_twice_in_a_cart_stops_with_a_clear_choice():
    plans = [
        make_plan("Oral Metformin ER", 2200),
        make_plan("Metformin & Spironolactone pack", 3200),
        make_plan("Oral GLP-1 & Metformin pack", 19900),
    ]
    form = form_for(plans)
    assert not form.is_valid()
    [stop] = form.stops
    assert stop["why"] == (
        "Metformin ER is in Oral Metformin ER, Metformin & Spironolactone pack and Oral GLP-1 "
        "& Metformin pack: ordering them together would double it."
    )
    assert stop["instead"] == "Keep the one you want and remove the others from your cart."
    assert stop["treatment_ids"] == [p.treatment_id for p in plans]


@pytest.mark.parametrize(
    ("name", "typed", "reason"),
    [
        ("Spironolactone", "Lisinopril", "ACE inhibitor or ARB with spironolactone"),
        ("Topical Spironolactone", "losartan 50mg", "ACE inhibitor or ARB with spironolactone"),
        ("Spironolactone", "Potassium chloride", "Potassium supplement"),
        ("Spironolactone", "Lithium", "Lithium with spironolactone"),
        ("Spironolactone", "Advil", "NSAID with spironolactone"),
        ("Oral GLP-1 & Metformin pack", "Lantus insulin", "Insulin or a sulfonylurea"),
        ("Oral GLP-1 & Metformin pack", "glipizide", "Insulin or a sulfonylurea"),
        ("Oral GLP-1 & Metformin pack", "Ozempic", "Already takes a GLP-1"),
        ("Oral Minoxidil", "Amlodipine", "Blood-pressure medicine with oral minoxidil"),
        ("Oral Metformin ER", "Topiramate", "lactic acidosis"),
        ("Oral Metformin ER", "Glucophage", "Already takes metformin"),
    ],
)
def test_typed_medicines_that_interact_are_flagged_even_after_no(name, typed, reason):
    form = form_for([make_plan(name, 1000)], no_medicines="", medicine_1_name=typed)
    assert form.is_valid(), form.errors
    [flag] = [f for f in form.flags if f["key"] == "interaction"]
    assert flag["message"].startswith(f"Interaction: takes {typed}.")
    assert reason in flag["message"]


def test_interactions_match_whole_words_and_only_for_classes_ordered():
    form = form_for([make_plan("Oral Minoxidil", 2500)], no_medicines="", medicine_1_name="insulin")
    assert form.flags == []
    form = form_for([make_plan("Spironolactone", 1400)], no_medicines="", medicine_1_name="Zyzal")
    assert form.flags == []  # "yaz" is in the table, but not inside another word


def test_a_drospirenone_pill_interacts_with_spironolactone():
    form = form_for([make_plan("Spironolactone", 1400)], contraception="drospirenone")
    assert form.is_valid()
    assert "Drospirenone (a potassium-sparing progestin)" in form.flags[0]["message"]


# --- A stop cannot be talked away silently ------------------------------------------------------


def test_an_answer_changed_after_a_stop_is_the_first_red_flag():
    plan = make_plan("Oral Minoxidil", 2500)
    form = form_for(
        [plan],
        stopped={"vasodilator_pheochromocytoma": "yes", "state": "WY"},
        vasodilator_arrhythmia="yes",
    )
    assert form.is_valid(), form.errors
    assert form.flags[:2] == [
        {
            "key": "changed_after_stop",
            "message": "Answer changed after a stop: “Which state do you live in?” was "
            "Wyoming, now New York.",
            "grade": "contraindication",
        },
        {
            "key": "changed_after_stop",
            "message": "Answer changed after a stop: “Do you have a pheochromocytoma (a tumour "
            "of the adrenal gland)?” was Yes, now No.",
            "grade": "contraindication",
        },
    ]
    assert form.flags[-1]["key"] == "vasodilator_arrhythmia"


def test_an_unchanged_answer_or_a_question_no_longer_asked_is_not_flagged():
    plan = make_plan("Oral Metformin ER", 2200)
    form = form_for([plan], stopped={"pregnant": "no", "vasodilator_pheochromocytoma": "yes"})
    assert form.is_valid() and form.flags == []
    form = form_for([plan], stopped={"date_of_birth": "2010-01-01"})
    assert form.is_valid()
    assert form.flags[0]["message"] == (
        "Answer changed after a stop: “Date of birth” was 2010-01-01, now 1990-04-12."
    )


# --- The page -----------------------------------------------------------------------------------


def test_checkout_page_shows_questions_with_labels(client):
    plan = make_plan("Oral Minoxidil", 2500)
    client.post("/cart/add/", {"plan": plan.pk})
    client.post("/checkout/", {"step": "1"})  # a draft: every step can be opened
    html = "".join(client.get(f"/checkout/?step={n}").content.decode() for n in range(1, 6))
    assert '<label for="id_email">Email</label>' in html
    assert '<label for="id_state">Which state do you live in?</label>' in html
    assert "<legend>What would you like treated?</legend>" in html
    assert '<label for="id_medicine_1_name">Medicine 1: name</label>' in html
    assert "<legend>Do you have a pheochromocytoma" in html
    assert "For Oral Minoxidil" in html


def test_checkout_with_empty_cart_sends_back_to_the_cart(client):
    response = client.get("/checkout/")
    assert response.status_code == 302 and response["Location"] == "/cart/"


def test_hard_stop_on_the_page_names_the_treatment_keeps_answers_and_makes_no_order(client):
    plan = make_plan("Spironolactone", 1400)
    client.post("/cart/add/", {"plan": plan.pk})
    data = answers(trying_to_conceive="yes", no_medicines="", medicine_1_name="Vitamin D 1000 IU")
    response = client.post("/checkout/", data)
    html = response.content.decode()
    assert response.status_code == 400
    assert "We can't continue with your order" in html
    assert "<strong>Spironolactone:</strong> Spironolactone is not safe during pregnancy" in html
    assert "Remove Spironolactone from my cart" in html
    assert 'value="yes" id="id_trying_to_conceive_1" required aria-invalid="true" checked' in html
    assert "Vitamin D 1000 IU" in client.get("/checkout/?step=4").content.decode()  # kept
    assert Order.objects.count() == 0


def test_the_duplicate_stop_offers_to_remove_each_treatment(client):
    plans = [make_plan("Oral Metformin ER", 2200), make_plan("Oral GLP-1 & Metformin pack", 19900)]
    for plan in plans:
        client.post("/cart/add/", {"plan": plan.pk})
    html = client.post("/checkout/", answers()).content.decode()
    assert "Metformin ER is in Oral GLP-1 &amp; Metformin pack and Oral Metformin ER" in html
    assert "Remove Oral Metformin ER from my cart" in html
    assert "Remove Oral GLP-1 &amp; Metformin pack from my cart" in html


def test_changing_a_stopped_answer_on_the_page_places_the_order_with_the_red_flag(client):
    plan = make_plan("Spironolactone", 1400)
    client.post("/cart/add/", {"plan": plan.pk})
    assert client.post("/checkout/", answers(pregnant="yes")).status_code == 400
    # An unrelated mistake in between does not lose what stopped her.
    assert client.post("/checkout/", answers(pregnant="no", email="x")).status_code == 400
    response = client.post("/checkout/", answers(pregnant="no"))
    assert response.status_code == 302
    flags = Order.objects.get().questionnaire.flags
    assert flags[0] == {
        "key": "changed_after_stop",
        "message": "Answer changed after a stop: “Are you pregnant?” was Yes, now No.",
        "grade": "contraindication",
    }
    # Placed: the next order starts clean.
    assert "checkout_answers" not in client.session


def test_the_order_records_the_state_she_lives_in(client, test_mode):
    client.post("/cart/add/", {"plan": make_plan().pk})
    assert client.post("/checkout/", answers(state="CA")).status_code == 302
    order = Order.objects.get()
    assert order.residence_state == "CA"
    assert order.questionnaire.answers["state"]["answer"] == "California"


def test_missing_answers_show_errors_next_to_fields(client):
    client.post("/cart/add/", {"plan": make_plan().pk})
    response = client.post("/checkout/", {"email": "not-an-email", "full_name": "Jane"})
    html = response.content.decode()
    assert response.status_code == 400
    assert 'class="field field--error" id="field-email"' in html
    assert 'id="id_email_error"' in html and "Enter a valid email address." in html
    assert 'value="Jane"' in html
    assert Order.objects.count() == 0


def test_saved_goals_come_back_ticked(client):
    client.post("/cart/add/", {"plan": make_plan().pk})
    client.post("/checkout/", {**answers(goals=["acne", "weight"]), "email": "bad"})
    html = client.get("/checkout/?step=5").content.decode()
    assert 'value="acne" id="id_goals_5" checked' in html
    assert 'value="weight" id="id_goals_2" checked' in html


def test_the_product_pages_pregnancy_notice_and_the_stops_are_one_rule():
    """A product page and its questions agree: the page's "not for use if you are pregnant"
    notice and the pregnancy stop both follow the medicines' drug classes."""
    from treatments.seed import load_catalog

    load_catalog()
    licensed_clinician()
    for treatment in Treatment.objects.all():
        form = form_for([make_plan_for(treatment)], pregnant="yes")
        assert (not form.is_valid()) is treatment.unsafe_in_pregnancy, treatment.slug
    assert not Treatment.objects.get(slug="oral-metformin-er").unsafe_in_pregnancy
    assert Treatment.objects.get(slug="hairless-hype").unsafe_in_pregnancy


def make_plan_for(treatment):
    from treatments.models import Plan

    return Plan.objects.filter(treatment=treatment).first()
