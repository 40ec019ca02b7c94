"""Service levels (decision 0020): the ticket's deadlines, its waits on the client and breach flags, the
next deadline as a column PostgreSQL computes, and the desk's holidays.

Adding the stored generated column rewrites the tickets table under its lock (quick at today's sizes;
decision 0014 says what to do past them); the two indexes are built without blocking writers, so this
migration is not atomic.
"""

from django.conf import settings
from django.db import migrations, models

import core.large_tables


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("support", "0007_assignee_grants_in_the_database"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="SupportHoliday",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("day", models.DateField(unique=True, verbose_name="day")),
                ("name", models.CharField(max_length=100, verbose_name="name")),
            ],
            options={
                "verbose_name": "support holiday",
                "verbose_name_plural": "support holidays",
                "ordering": ["day"],
            },
        ),
        migrations.AddField(
            model_name="supportticket",
            name="first_response_breached_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="first response breached at"),
        ),
        migrations.AddField(
            model_name="supportticket",
            name="first_response_due_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="first response due at"),
        ),
        migrations.AddField(
            model_name="supportticket",
            name="resolution_breached_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="resolution breached at"),
        ),
        migrations.AddField(
            model_name="supportticket",
            name="resolution_due_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="resolution due at"),
        ),
        migrations.AddField(
            model_name="supportticket",
            name="waiting_on_client_since",
            field=models.DateTimeField(blank=True, null=True, verbose_name="waiting on the client since"),
        ),
        migrations.AddField(
            model_name="supportticket",
            name="sla_paused_seconds",
            field=models.PositiveIntegerField(db_default=0, default=0, verbose_name="business seconds paused"),
        ),
        migrations.AddField(
            model_name="supportticket",
            name="sla_due_at",
            field=models.GeneratedField(
                db_persist=True,
                expression=models.Case(
                    models.When(
                        models.Q(("first_response_at__isnull", True), ("status__in", ["OPEN", "IN_PROGRESS"])),
                        then=models.F("first_response_due_at"),
                    ),
                    models.When(
                        models.Q(("status__in", ["OPEN", "IN_PROGRESS"]), ("waiting_on_client_since__isnull", True)),
                        then=models.F("resolution_due_at"),
                    ),
                    default=None,
                ),
                output_field=models.DateTimeField(blank=True, null=True),
                verbose_name="next deadline",
            ),
        ),
        core.large_tables.AddIndexConcurrently(
            model_name="supportticket",
            index=models.Index(
                condition=models.Q(("sla_due_at__isnull", False)),
                fields=["sla_due_at"],
                name="support_ticket_sla_due_idx",
            ),
        ),
        core.large_tables.AddIndexConcurrently(
            model_name="supportticket",
            index=models.Index(fields=["requester", "-created_at"], name="support_ticket_requester_idx"),
        ),
    ]
