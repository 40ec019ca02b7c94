"""An index of open tickets by age, for the overview's count of overdue tickets (built without blocking
writers: decision 0014)."""

from django.db import migrations, models

import core.large_tables


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("support", "0004_labels_translatable"),
    ]

    operations = [
        core.large_tables.AddIndexConcurrently(
            model_name="supportticket",
            index=models.Index(
                condition=models.Q(("status__in", ["OPEN", "IN_PROGRESS"])),
                fields=["created_at"],
                name="support_ticket_open_age_idx",
            ),
        ),
    ]
