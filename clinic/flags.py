"""Red flags and their grades: what the clinician reads first, most serious first.

A flag is stored with the questionnaire as ``{"key", "message", "grade"}`` (flags stored
before grades existed have no ``grade`` and read as cautions). The grades, in the order the
sign-off page shows them:

- ``contraindication``: the label says not to use the medicine, or to use it only after the
  clinician has weighed it (a "hold for the clinician"); she must give a written reason to
  approve against it.
- ``interaction``: a medicine she takes, or another in her cart, interacts with one ordered.
- ``unrecognised``: a medicine she typed that the vocabulary does not know: check by hand.
- ``caution``: an answer worth reading before signing.
"""

from enum import StrEnum


class Grade(StrEnum):
    CONTRAINDICATION = "contraindication"
    INTERACTION = "interaction"
    UNRECOGNISED = "unrecognised"
    CAUTION = "caution"

    @property
    def label(self):
        return GRADE_LABELS[self]


GRADE_LABELS = {
    Grade.CONTRAINDICATION: "Contraindication",
    Grade.INTERACTION: "Interaction",
    Grade.UNRECOGNISED: "Not recognised: check by hand",
    Grade.CAUTION: "Caution",
}
RANK = {grade: rank for rank, grade in enumerate(Grade)}


def make_flag(key, message, grade=Grade.CAUTION):
    return {"key": key, "message": message, "grade": str(Grade(grade))}


def grade_of(flag):
    """A stored flag's grade; one stored before grades existed is a caution."""
    try:
        return Grade(flag.get("grade") or Grade.CAUTION)
    except ValueError:
        return Grade.CAUTION


def ranked(flags):
    """Flags most serious first; within a grade, in the order they were raised."""
    return sorted(flags or [], key=lambda flag: RANK[grade_of(flag)])
