"""Create the staff groups (roles) with their permissions; see orders/roles.py."""

from django.db import migrations


def create_groups(apps, schema_editor):
    from orders.roles import create_all_permissions, sync_roles

    create_all_permissions(apps)
    sync_roles(apps)


def remove_groups(apps, schema_editor):
    from orders.roles import GROUP_NAMES

    apps.get_model("auth", "Group").objects.filter(name__in=GROUP_NAMES.values()).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0002_questionnaire_access_log"),
        ("articles", "__latest__"),
        ("treatments", "__latest__"),
        ("auth", "__latest__"),
        ("contenttypes", "__latest__"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
