"""Once created the staff groups; now a no-op kept because existing databases applied it.

The groups and their permissions are owned by ``oana/roles.py``, whose ``post_migrate``
receiver syncs them after every ``migrate``. The dependencies are named migrations, never
``__latest__``: a ``__latest__`` dependency moves when its app gains a migration, and a
database that applied this one would then fail with ``InconsistentMigrationHistory``.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0002_questionnaire_access_log"),
        ("articles", "0001_initial"),
        ("treatments", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = []
