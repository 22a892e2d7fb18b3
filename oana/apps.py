from django.apps import AppConfig


class OanaConfig(AppConfig):
    """The project itself: site-wide views, staff roles and management commands."""

    name = "oana"
    verbose_name = "Oana"

    def ready(self):
        from django.db.models.signals import post_migrate

        from .roles import sync_roles_after_migrate

        # The staff groups follow oana/roles.py after every migrate (no migration needed
        # when a role gains a permission).
        post_migrate.connect(sync_roles_after_migrate, dispatch_uid="oana.sync_roles")
