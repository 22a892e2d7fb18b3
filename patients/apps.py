from django.apps import AppConfig


class PatientsConfig(AppConfig):
    """Her account (emailed-code sign-in glue, her order pages and subscription controls) and
    messages with the care team. Its tables still belong to the ``orders`` app label."""

    name = "patients"
    verbose_name = "Patients"

    def ready(self):
        from patients import accounts  # noqa: F401  (links her orders when she signs in)
