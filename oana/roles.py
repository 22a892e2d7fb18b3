"""Staff roles: one Django group per job, with exactly the permissions that job needs.

The roles span every app, so they live in the project package. This module is the single
place that says who may do what in the admin: ``sync_roles`` runs after every ``migrate``
(``post_migrate``), creating the groups and giving each exactly its permissions, so a
permission added later reaches its group without a migration. Superusers have
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
        [
            *_crud("articles", "article", "topic", "faqitem"),
            # the privacy notice, terms and telehealth consent (never deleted)
            "legal.add_legaldocument",
            "legal.change_legaldocument",
            "legal.view_legaldocument",
        ],
    ),
    "catalog-manager": (
        "Catalog managers",
        [
            *_crud("treatments", "category", "treatment", "plan", "testimonial"),
            "treatments.view_pricechange",
            "treatments.view_medicine",  # read only: clinicians own the medicines
        ],
    ),
    "clinician": (
        "Clinicians",
        [
            "orders.view_order",
            "orders.review_order",
            "orders.view_questionnaireresponse",
            "orders.view_questionnaire",
            "orders.view_thread",
            "orders.read_medical_messages",
            "orders.read_order_messages",
            # where she is treated decides whose licence applies: clinicians release it
            "orders.view_hold",
            "orders.release_clinical_hold",
            # check-ins are reviewed from the order; adverse events followed up in their list
            "orders.view_checkin",
            "orders.view_adverseevent",
            "orders.change_adverseevent",
            "treatments.view_medicine",
            "treatments.add_medicine",
            "treatments.change_medicine",
            # the interaction rules: read them, propose a change, approve another's
            "orders.view_interactionrule",
            "orders.view_clinicaldatachange",
            "orders.add_clinicaldatachange",
            "orders.approve_clinicaldatachange",
            # a medicine's drug classes and prescribing data: the same review
            "orders.view_medicinedatachange",
            "orders.add_medicinedatachange",
        ],
    ),
    # The second reviewer of clinical data in a clinic with one clinician (a medical
    # director or pharmacist-in-charge): reads the rules and approves or rejects changes.
    "medical-director": (
        "Medical directors",
        [
            "orders.view_interactionrule",
            "orders.view_clinicaldatachange",
            "orders.approve_clinicaldatachange",
            "orders.view_medicinedatachange",
            "treatments.view_medicine",
        ],
    ),
    "fulfillment": (
        "Fulfillment",
        [
            "orders.view_order",
            "orders.view_shipment",
            "orders.ship_order",
            "orders.view_hold",
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
            "orders.view_hold",
            "orders.release_hold",
            "orders.view_thread",
            "orders.read_order_messages",
            # Background tasks that failed every attempt (emails, refunds): see and retry.
            "oana.view_failedtask",
            "oana.retry_failedtask",
        ],
    ),
}

GROUP_NAMES = {key: name for key, (name, _) in ROLES.items()}


def sync_roles(apps=global_apps):
    """Create each role's group and set its permissions to exactly the list above.

    ``apps`` is the app registry (a migration passes its historical one). Permissions that
    do not exist yet are skipped; the next ``migrate`` adds them. Returns the list of
    missing permission names.
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
    return missing


def sync_roles_after_migrate(sender, app_config=None, using="default", apps=global_apps, **kwargs):
    """``post_migrate`` receiver: sync the groups once per ``migrate``, after the last app.

    Django sends ``post_migrate`` once per installed app with models, in order, and creates
    each app's permissions in its own receiver; by the last app every permission exists.
    """
    from django.db import router

    last = [config for config in global_apps.get_app_configs() if config.models_module][-1]
    if app_config is None or app_config.label != last.label:
        return
    if not router.allow_migrate_model(using, apps.get_model("auth", "Group")):
        return
    sync_roles(apps)
