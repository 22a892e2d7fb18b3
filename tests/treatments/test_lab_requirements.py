"""Lab requirements are data on oral medicines (treatments/labs.py), checked like the rest of
the prescribing data, so a proposal with a wrong one is refused before a second clinician
reads it."""

from decimal import Decimal

import pytest

from treatments.dosing import Dosing, DosingError
from treatments.labs import LabRequirement, LabRequirementError, parse_labs
from treatments.seed import read_catalog

TABLET = {"form": "tablet", "strengths": [500], "counts": [1], "frequencies": ["once_daily"]}
TABLET["max_daily"] = 500
LOTION = {
    "form": "lotion",
    "strengths": [20],
    "counts": [1],
    "frequencies": ["once_daily"],
    "max_daily": 2,
    "pack_size": 60,
    "amount_unit": "mL",
}


def test_only_the_oral_metformin_and_spironolactone_carry_labs():
    labs = {
        m["slug"]: [lab.test for lab in Dosing.parse(m["dosing"]).labs]
        for m in read_catalog()["medicines"]
    }
    assert {slug: tests for slug, tests in labs.items() if tests} == {
        "metformin-er": ["egfr", "b12"],
        "spironolactone-oral": ["potassium", "creatinine"],
    }


def test_a_topical_with_labs_is_refused():
    with pytest.raises(DosingError, match="oral medicines only"):
        Dosing.parse({**LOTION, "labs": [{"test": "egfr", "within_days": 365}]})


@pytest.mark.parametrize(
    ("labs", "message"),
    [
        ({"test": "egfr"}, "list of tables"),
        (["egfr"], "list of tables"),
        ([{"test": "sodium", "within_days": 1}], "one of egfr"),
        ([{"test": "egfr", "within_days": -1}], "whole number of days"),
        ([{"test": "egfr", "within_days": True}], "whole number of days"),
        ([{"test": "egfr", "within_days": 30, "max": "high"}], "must be a number"),
        ([{"test": "egfr"}], "needs within_days"),
    ],
)
def test_a_wrong_requirement_is_refused(labs, message):
    with pytest.raises(LabRequirementError, match=message):
        parse_labs(labs, oral=True)
    with pytest.raises(DosingError, match=message):
        Dosing.parse({**TABLET, "labs": labs})


def test_the_range_reads_as_a_clinician_writes_it():
    both = LabRequirement("potassium", within_days=1, min=Decimal("3.5"), max=Decimal("5.0"))
    assert both.range_label == "3.5\u20135.0 mmol/L"
    assert LabRequirement("egfr", min=Decimal(45)).range_label == "at least 45 mL/min/1.73m\u00b2"
    assert LabRequirement("creatinine", max=Decimal("1.3")).range_label == "at most 1.3 mg/dL"
    assert both.in_range(Decimal("4.2")) and not both.in_range(Decimal("5.1"))
    assert not both.in_range(Decimal("3.4"))
    assert parse_labs(None, oral=False) == ()
