"""Flags are graded and the clinician reads the most serious first."""

from clinic.flags import Grade, grade_of, make_flag, ranked
from orders.admin.common import render_flags


def test_flags_rank_contraindications_then_interactions_then_unrecognised_then_cautions():
    caution = make_flag("bmi", "Underweight: BMI 17.9.")
    interaction = make_flag("interaction", "Takes lisinopril.", Grade.INTERACTION)
    stop_grade = make_flag("kidney", "eGFR 30-44 with metformin.", Grade.CONTRAINDICATION)
    unknown = make_flag("medicine", "Zorblax: not recognised.", Grade.UNRECOGNISED)
    older = {"key": "liver", "message": "Liver disease: mild."}  # stored before grades
    flags = [caution, older, interaction, unknown, stop_grade]
    assert ranked(flags) == [stop_grade, interaction, unknown, caution, older]


def test_a_flag_with_a_grade_nobody_knows_reads_as_a_caution():
    assert grade_of({"key": "x", "grade": "made-up"}) is Grade.CAUTION
    assert grade_of({"key": "x"}) is Grade.CAUTION


def test_the_flag_list_names_each_grade_and_puts_the_worst_first():
    class Answers:
        flags = [
            make_flag("bmi", "Underweight: BMI 17.9."),
            make_flag("bp", "Blood pressure 88/56.", Grade.CONTRAINDICATION),
        ]

    html = render_flags(Answers())
    assert html.index("Contraindication:</strong> Blood pressure 88/56.") < html.index(
        "Caution:</strong> Underweight"
    )
    assert 'class="flag-contraindication"' in html
