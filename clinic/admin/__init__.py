"""The clinic's admin: the review queue, questionnaire answers and the log of who saw them
(``review``), clinician profiles (``clinicians``). Importing them registers them."""

from clinic.admin import clinicians, review  # noqa: F401  (registers the admins)
