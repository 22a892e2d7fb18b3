from django.apps import AppConfig


class ClinicConfig(AppConfig):
    """The medical side: the questionnaire (questions as data), interactions, clinician
    profiles and licensing, review and sign-off, prescriptions and renewals. Its tables still
    belong to the ``orders`` app label (``orders.models``)."""

    name = "clinic"
    verbose_name = "Clinic"

    def ready(self):
        from .care_team import watch_clinicians

        watch_clinicians()
