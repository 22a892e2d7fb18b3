from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class OanaAdminConfig(AdminConfig):
    """Django's admin, with our staff site (password and second factor) as ``admin.site``."""

    default_site = "oana.admin_site.OanaAdminSite"


class OanaConfig(AppConfig):
    """The project itself: site-wide views, staff roles and management commands."""

    name = "oana"
    verbose_name = "Oana"

    def ready(self):
        from django.db.models.signals import post_migrate

        from . import checks, retries  # noqa: F401  (register the system checks, the retries)
        from .roles import sync_roles_after_migrate

        # The staff groups follow oana/roles.py after every migrate (no migration needed
        # when a role gains a permission).
        post_migrate.connect(sync_roles_after_migrate, dispatch_uid="oana.sync_roles")
