"""A database that applied every migration can take the next one (defect: ``__latest__``).

``orders.0003`` once depended on ``("articles", "__latest__")``: the moment articles gained a
migration, that dependency pointed at a migration the database had not applied, and
``migrate`` stopped with ``InconsistentMigrationHistory``. Here a migration is added to
articles and to treatments in a temporary copy of their migration packages, and the test
database (already migrated) migrates to it.
"""

import shutil
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

import articles
import treatments

NEXT_MIGRATION = """
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("{app}", "{latest}")]
    operations = [migrations.RunPython(migrations.RunPython.noop, migrations.RunPython.noop)]
"""


def migrations_with_one_more(tmp_path, app_module, package):
    """A copy of ``app_module``'s migrations plus a new last migration, importable."""
    source = Path(app_module.__file__).parent / "migrations"
    target = tmp_path / package
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
    names = sorted(p.stem for p in target.glob("0*.py"))
    latest = names[-1]
    number = int(latest[:4]) + 1
    (target / f"{number:04d}_next.py").write_text(
        NEXT_MIGRATION.format(app=app_module.__name__, latest=latest)
    )
    return package, f"{number:04d}_next"


@pytest.mark.django_db(transaction=True)  # SQLite's schema editor refuses an open transaction
def test_a_new_migration_in_another_app_migrates_an_existing_database(tmp_path, settings):
    sys.path.insert(0, str(tmp_path))
    try:
        added = {
            app.__name__: migrations_with_one_more(tmp_path, app, f"{app.__name__}_next")
            for app in (articles, treatments)
        }
        settings.MIGRATION_MODULES = {app: package for app, (package, _) in added.items()}
        loader = MigrationLoader(connection)
        loader.check_consistent_history(connection)  # raised InconsistentMigrationHistory
        call_command("migrate", verbosity=0)
        applied = MigrationLoader(connection).applied_migrations
        for app, (_, name) in added.items():
            assert (app, name) in applied
    finally:
        MigrationRecorder.Migration.objects.filter(name__endswith="_next").delete()
        sys.path.remove(str(tmp_path))
        for name in list(sys.modules):
            if name.startswith(("articles_next", "treatments_next")):
                del sys.modules[name]


def test_no_migration_depends_on_latest():
    loader = MigrationLoader(None, ignore_no_migrations=True)
    for (app, name), migration in loader.disk_migrations.items():
        for dependency in migration.dependencies:
            assert dependency[1] != "__latest__", f"{app}.{name} depends on {dependency}"
