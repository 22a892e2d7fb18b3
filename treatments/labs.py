"""Lab requirements of a medicine, as data (``Medicine.dosing["labs"]``): changed only through
the two-clinician review of its prescribing data (``clinic.medicine_data``), seeded from
``content/catalog.toml``. Oral medicines only: a topical's ``labs`` are refused.

Each requirement is a table:

- ``test``: a key of ``LAB_TESTS``;
- ``within_days``: before a start, a confirmed result taken at most this many days earlier;
- ``every_days``: after the start, a new result at least this often (0: never again);
- ``recheck_day``: one more result due this many days after the start (0: none);
- ``min`` / ``max``: the range a result must be in to start or continue (either may be left
  out); outside it the decision is held, with the value and the range shown;
- ``risk_factors_only``: only for a patient with a risk factor (``clinic.labs.RISK_FACTORS``);
- ``reminder_days``: not a requirement but a reminder on long use (B12 on metformin): a caution
  flag once she has taken it this long with no result since;
- ``source``: the label section or guideline (docs/clinicians.md lists them).
"""

from dataclasses import dataclass
from decimal import Decimal

# key -> (name, unit, the normal range a lab prints: shown beside her value)
LAB_TESTS = {
    "egfr": ("eGFR", "mL/min/1.73m\u00b2", "60 or more"),
    "potassium": ("Potassium", "mmol/L", "3.5\u20135.0"),
    "creatinine": ("Creatinine", "mg/dL", "0.5\u20131.1 (women)"),
    "b12": ("Vitamin B12", "pg/mL", "200\u2013900"),
}


class LabRequirementError(ValueError):
    pass


@dataclass(frozen=True)
class LabRequirement:
    test: str
    within_days: int = 0
    every_days: int = 0
    recheck_day: int = 0
    min: Decimal | None = None
    max: Decimal | None = None
    risk_factors_only: bool = False
    reminder_days: int = 0
    source: str = ""

    @property
    def name(self):
        return LAB_TESTS[self.test][0]

    @property
    def unit(self):
        return LAB_TESTS[self.test][1]

    @property
    def range_label(self):
        low = f"{self.min}" if self.min is not None else ""
        high = f"{self.max}" if self.max is not None else ""
        if low and high:
            return f"{low}\u2013{high} {self.unit}"
        return f"{'at least ' + low if low else 'at most ' + high} {self.unit}"

    def in_range(self, value):
        return (self.min is None or value >= self.min) and (self.max is None or value <= self.max)


def _days(data, key):
    value = data.get(key, 0)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise LabRequirementError(f"Lab requirement {key} must be a whole number of days.")
    return value


def _bound(data, key):
    if data.get(key) is None:
        return None
    try:
        return Decimal(str(data[key]))
    except ArithmeticError as error:
        raise LabRequirementError(f"Lab requirement {key} must be a number.") from error


def parse_labs(data, *, oral):
    """The ``LabRequirement``s of ``data`` (a list of tables); ``LabRequirementError`` saying
    what is wrong."""
    if not data:
        return ()
    if not oral:
        raise LabRequirementError("Lab requirements are for oral medicines only.")
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise LabRequirementError("Give the lab requirements as a list of tables.")
    found = []
    for item in data:
        if item.get("test") not in LAB_TESTS:
            raise LabRequirementError(f"A lab test is one of {', '.join(LAB_TESTS)}.")
        requirement = LabRequirement(
            test=item["test"],
            within_days=_days(item, "within_days"),
            every_days=_days(item, "every_days"),
            recheck_day=_days(item, "recheck_day"),
            min=_bound(item, "min"),
            max=_bound(item, "max"),
            risk_factors_only=bool(item.get("risk_factors_only", False)),
            reminder_days=_days(item, "reminder_days"),
            source=str(item.get("source", "")),
        )
        if not (requirement.within_days or requirement.reminder_days):
            raise LabRequirementError(
                "A lab requirement needs within_days (before a start) or reminder_days."
            )
        found.append(requirement)
    return tuple(found)
