"""The clinic's admin: the review queue, questionnaire answers and the log of who saw them
(``review``), clinician profiles (``clinicians``), the interaction rules and the two-clinician
review of changes to them (``clinical_data``), adverse events (``adverse_events``). Importing
them registers them."""

from clinic.admin import (  # noqa: F401  (registers the admins)
    adverse_events,
    clinical_data,
    clinicians,
    review,
)
