"""Staff roles: one Django group per job, with exactly the permissions that job needs.

This module is the single place that says who may do what in the admin. A data migration
creates the groups, and ``sync_roles`` runs again after every ``migrate`` (``post_migrate``)
so a permission added later reaches its group without another migration. Superusers have
every permission and belong to no group.

Health data: only Clinicians hold ``orders.view_questionnaire``; every other role sees
orders without the medical answers.
"""

from django.apps import apps as global_apps

CRUD = ("add", "change", "delete", "view")


def _crud(app_label, *models):
    return [f"{app_label}.{action}_{model}" for model in models for action in CRUD]


# Role key (for ``create_staff_user --role``) -> (group name, permissions "app.codename").
ROLES = {
    "content-editor": (
        "Content editors",
        _crud("articles", "article", "topic", "faqitem"),
    ),
    "catalog-manager": (
        "Catalog managers",
        [
            *_crud("treatments", "category", "treatment", "plan", "testimonial"),
            "treatments.view_pricechange",
        ],
    ),
    "clinician": (
        "Clinicians",
        [
            "orders.view_order",
            "orders.review_order",
            "orders.view_questionnaireresponse",
            "orders.view_questionnaire",
        ],
    ),
    "fulfillment": (
        "Fulfillment",
        [
            "orders.view_order",
            "orders.view_shipment",
            "orders.ship_order",
        ],
    ),
    "support": (
        "Support",
        [
            "orders.view_order",
            "orders.view_payment",
            "orders.view_refund",
            "orders.view_shipment",
            "orders.view_webhookevent",
            "orders.refund_order",
        ],
    ),
}

GROUP_NAMES = {key: name for key, (name, _) in ROLES.items()}


def sync_roles(apps=global_apps, *, verbosity=0, stdout=None):
    """Create each role's group and set its permissions to exactly the list above.

    ``apps`` is the app registry (a migration passes its historical one). Permissions that
    do not exist yet are skipped and reported; the next ``migrate`` adds them. Returns the
    list of missing permission names.
    """
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    wanted = {perm for _, perms in ROLES.values() for perm in perms}
    found = {
        f"{app_label}.{codename}": pk
        for pk, app_label, codename in Permission.objects.filter(
            content_type__app_label__in={perm.split(".")[0] for perm in wanted}
        ).values_list("pk", "content_type__app_label", "codename")
    }
    missing = sorted(wanted - set(found))
    for name, perms in ROLES.values():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set([found[perm] for perm in perms if perm in found])
    if missing and verbosity and stdout is not None:
        stdout.write(f"Roles: permissions not created yet: {', '.join(missing)}\n")
    return missing


def create_all_permissions(apps=global_apps):
    """Make sure every model's permissions exist (they are normally made after migrating)."""
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None


def sync_roles_after_migrate(sender, app_config=None, using="default", apps=global_apps, **kwargs):
    """``post_migrate`` receiver (connected for the orders app only)."""
    from django.db import router

    if not router.allow_migrate_model(using, apps.get_model("auth", "Group")):
        return
    sync_roles(apps)
