"""Adds the DOWNLOAD action (a private file read through the download view; decision 0019).

The allowed actions are a CHECK constraint on the partitioned audit table, replaced ``NOT VALID`` and
then validated (decision 0014), as 0006 did; so this migration is not atomic.
"""

from django.db import migrations, models

import core.large_tables

ACTIONS = [
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
    ("RECOMPUTE", "Recompute"),
    ("DOWNLOAD", "Download"),
]


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("auditing", "0010_verbose_names_translatable"),
    ]

    operations = [
        migrations.AlterField(
            model_name="auditlog",
            name="action",
            field=models.CharField(choices=ACTIONS, max_length=16, verbose_name="action"),
        ),
        # Backwards fails at the validation while DOWNLOAD rows exist, which an append-only trail keeps.
        core.large_tables.ReplaceCheckConstraint(
            model_name="auditlog",
            constraint=models.CheckConstraint(
                condition=models.Q(action__in=[value for value, _ in ACTIONS]), name="auditing_action_valid"
            ),
        ),
    ]
