from django.apps import AppConfig


class TreatmentsConfig(AppConfig):
    name = "treatments"
    verbose_name = "Treatments catalog"

    def ready(self):
        from core.cache import watch

        # Every change to the catalog retires what the public pages cached of it.
        watch(self)
