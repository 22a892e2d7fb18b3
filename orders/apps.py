from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = "Orders"

    def ready(self):
        from django.db.models.signals import post_migrate

        from . import checks  # noqa: F401  (registers the system checks)
        from .roles import sync_roles_after_migrate

        # Keep the staff groups' permissions in step with orders/roles.py after each migrate.
        post_migrate.connect(sync_roles_after_migrate, sender=self)
