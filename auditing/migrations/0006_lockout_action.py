"""Adds the LOCKOUT action (sign-in paused after repeated failures; decision 0011).

The allowed actions are a CHECK constraint on the audit table, which grows without bound. Re-adding
it the usual way would scan every row while holding the table's exclusive lock, stopping every audit
writer for as long as the scan takes. On PostgreSQL the new constraint is added NOT VALID (new rows are
checked at once) and validated in a second, separate statement, which scans without blocking writers;
so this migration is not atomic. Other databases get Django's plain remove and add.
"""

from django.db import migrations, models

PREVIOUS = [
    "CREATE",
    "UPDATE",
    "DELETE",
    "LOGIN",
    "LOGOUT",
    "LOGIN_FAILED",
    "PAYMENT",
    "REFUND",
    "SUSPEND",
    "ACTIVATE",
    "EXPORT",
]
ACTIONS = [
    "CREATE",
    "UPDATE",
    "DELETE",
    "LOGIN",
    "LOGOUT",
    "LOGIN_FAILED",
    "LOCKOUT",
    "PAYMENT",
    "REFUND",
    "SUSPEND",
    "ACTIVATE",
    "EXPORT",
]
CHOICES = [
    ("CREATE", "Create"),
    ("UPDATE", "Update"),
    ("DELETE", "Delete"),
    ("LOGIN", "Login"),
    ("LOGOUT", "Logout"),
    ("LOGIN_FAILED", "Failed login"),
    ("LOCKOUT", "Sign-in lockout"),
    ("PAYMENT", "Payment"),
    ("REFUND", "Refund"),
    ("SUSPEND", "Suspend"),
    ("ACTIVATE", "Activate"),
    ("EXPORT", "Export"),
]
NAME = "auditing_action_valid"


def _constraint(actions):
    return models.CheckConstraint(condition=models.Q(action__in=actions), name=NAME)


def _replace_check(apps, schema_editor, old, new):
    model = apps.get_model("auditing", "AuditLog")
    if schema_editor.connection.vendor != "postgresql":
        schema_editor.remove_constraint(model, _constraint(old))
        schema_editor.add_constraint(model, _constraint(new))
        return
    table = schema_editor.quote_name(model._meta.db_table)
    allowed = ", ".join(schema_editor.quote_value(action) for action in new)
    # Each statement commits on its own (the migration is not atomic): the exclusive lock of the first
    # is held only for the catalogue change, and the validating scan lets writers carry on.
    schema_editor.execute(
        f"ALTER TABLE {table} DROP CONSTRAINT {NAME}, ADD CONSTRAINT {NAME} CHECK (action IN ({allowed})) NOT VALID"
    )
    schema_editor.execute(f"ALTER TABLE {table} VALIDATE CONSTRAINT {NAME}")


def widen(apps, schema_editor):
    _replace_check(apps, schema_editor, PREVIOUS, ACTIONS)


def narrow(apps, schema_editor):
    # Fails (at the validation) while LOCKOUT rows exist, which an append-only trail keeps: as it should.
    _replace_check(apps, schema_editor, ACTIONS, PREVIOUS)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("auditing", "0005_append_only_chain_and_capture"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveConstraint(model_name="auditlog", name=NAME),
                migrations.AlterField(
                    model_name="auditlog",
                    name="action",
                    field=models.CharField(choices=CHOICES, max_length=16),
                ),
                migrations.AddConstraint(model_name="auditlog", constraint=_constraint(ACTIONS)),
            ],
            database_operations=[migrations.RunPython(widen, narrow)],
        ),
    ]
