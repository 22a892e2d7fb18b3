from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = "Orders"

    def ready(self):
        from . import accounts, checks  # noqa: F401  (registers the sign-in receiver, checks)
