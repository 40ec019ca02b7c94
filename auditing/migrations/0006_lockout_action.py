"""Adds the LOCKOUT action (sign-in paused after repeated failures; decision 0011).

The allowed actions are a CHECK constraint on the audit table, a large table (decision 0014). Django's
own RemoveConstraint + AddConstraint would scan every row while holding the table's exclusive lock,
stopping every audit writer, and so every audited write, for as long as the scan takes.
``ReplaceCheckConstraint`` adds the new condition NOT VALID and validates it in a second statement that
lets writers carry on; so this migration is not atomic. The next action is added the same way.
"""

from django.db import migrations, models

import core.large_tables


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("auditing", "0005_append_only_chain_and_capture"),
    ]

    operations = [
        migrations.AlterField(
            model_name="auditlog",
            name="action",
            field=models.CharField(
                choices=[
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
                ],
                max_length=16,
            ),
        ),
        # Backwards fails at the validation while LOCKOUT rows exist, which an append-only trail keeps.
        core.large_tables.ReplaceCheckConstraint(
            model_name="auditlog",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    action__in=[
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
                ),
                name="auditing_action_valid",
            ),
        ),
    ]
