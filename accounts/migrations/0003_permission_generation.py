"""The permission generation: a one-row table the database renews, by its own triggers, in the same
transaction as any change that can alter someone's permissions (decision 0007,
``accounts.permission_cache``). PostgreSQL and SQLite; other databases cache nothing.

No model: the row is derived data, so it is neither audited (``auditing.capture`` covers models only)
nor emptied by the test runner's flush.
"""

from django.db import migrations


def install(apps, schema_editor):
    from accounts.permission_cache import generation_install

    generation_install(schema_editor.connection)


def uninstall(apps, schema_editor):
    from accounts.permission_cache import generation_uninstall

    generation_uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_role_expiry_bookkeeping"),
    ]

    operations = [migrations.RunPython(install, uninstall, elidable=False)]
