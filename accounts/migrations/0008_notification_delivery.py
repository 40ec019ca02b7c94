"""Notifications get what delivery needs (decision 0024): attempts, when the next one is due, the lease of the
worker sending one, an idempotency key for the providers, the last error and the provider's reference; the
states say what they imply (a SENT row has its ``sent_at``, a FAILED one its error); indexes serve the
delivery job's claim and the in-app inbox (the inbox's old index is replaced by the two partial ones).

The notifications table is large (decision 0014), so this migration is not atomic:
- the new columns are nullable or have constant defaults (no table rewrite);
- the idempotency key column is added nullable without a default (a volatile default would rewrite the
  table, a constant one would give every row the same key), filled in batches, then made NOT NULL on
  PostgreSQL through a validated ``IS NOT NULL`` CHECK, which lets ``SET NOT NULL`` skip its scan;
- rows already there are brought in line before the CHECKs, which are added NOT VALID then validated;
- the indexes are built and dropped concurrently.
"""

import uuid

from django.db import migrations, models
from django.db.models.functions import Coalesce

import core.large_tables

BATCH = 5_000
FAILED_BEFORE = "Failed before delivery errors were recorded."
KEY_NOT_NULL = "accounts_notification_idempotency_key_not_null"


def _id_ranges(rows):
    bounds = rows.aggregate(low=models.Min("id"), high=models.Max("id"))
    if bounds["low"] is None:
        return
    for start in range(bounds["low"], bounds["high"] + 1, BATCH):
        yield start, start + BATCH


def bring_rows_in_line(apps, schema_editor):
    # The database being migrated, which need not be the default one (migrate --database).
    rows = apps.get_model("accounts", "Notification").objects.using(schema_editor.connection.alias)
    rows.filter(status="FAILED", error="").update(error=FAILED_BEFORE)
    # The last change of a row marked SENT is the best record left of when it was sent.
    rows.filter(status="SENT", sent_at__isnull=True).update(sent_at=models.F("updated_at"))
    # Each batch of keys commits on its own (the migration is not atomic): no long-held row locks.
    for start, stop in _id_ranges(rows):
        batch = rows.filter(id__gte=start, id__lt=stop, idempotency_key__isnull=True)
        if schema_editor.connection.vendor == "postgresql":
            from django.contrib.postgres.functions import RandomUUID

            batch.update(idempotency_key=RandomUUID())
        else:
            changed = list(batch.only("id"))
            for row in changed:
                row.idempotency_key = uuid.uuid4()
            rows.bulk_update(changed, ["idempotency_key"])


def idempotency_key_not_null(apps, schema_editor):
    model = apps.get_model("accounts", "Notification")
    if schema_editor.connection.vendor == "postgresql":
        table = schema_editor.quote_name(model._meta.db_table)
        schema_editor.execute(
            f"ALTER TABLE {table} ADD CONSTRAINT {KEY_NOT_NULL} CHECK (idempotency_key IS NOT NULL) NOT VALID"
        )
        schema_editor.execute(f"ALTER TABLE {table} VALIDATE CONSTRAINT {KEY_NOT_NULL}")
        schema_editor.execute(f"ALTER TABLE {table} ALTER COLUMN idempotency_key SET NOT NULL")
        schema_editor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {KEY_NOT_NULL}")
        return
    # SQLite (the first run's small database) rebuilds the table.
    new_field = model._meta.get_field("idempotency_key")
    old_field = new_field.clone()
    old_field.null = True
    old_field.set_attributes_from_name("idempotency_key")
    old_field.model = model
    schema_editor.alter_field(model, old_field, new_field)


def idempotency_key_nullable(apps, schema_editor):
    model = apps.get_model("accounts", "Notification")
    if schema_editor.connection.vendor == "postgresql":
        table = schema_editor.quote_name(model._meta.db_table)
        schema_editor.execute(f"ALTER TABLE {table} ALTER COLUMN idempotency_key DROP NOT NULL")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('accounts', '0007_notification_preferences'),
    ]

    operations = [
        migrations.AddField(
            model_name='notification',
            name='attempts',
            field=models.SmallIntegerField(db_default=0, default=0, editable=False, verbose_name='attempts'),
        ),
        migrations.AddField(
            model_name='notification',
            name='error',
            field=models.TextField(blank=True, db_default='', default='', editable=False, help_text='Why the last attempt failed.', verbose_name='error'),
        ),
        migrations.AddField(
            model_name='notification',
            name='provider_reference',
            field=models.CharField(blank=True, db_default='', default='', editable=False, help_text="The message's id at the provider that accepted it.", max_length=200, verbose_name='provider reference'),
        ),
        migrations.AddField(
            model_name='notification',
            name='next_attempt_at',
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name='next attempt at'),
        ),
        migrations.AddField(
            model_name='notification',
            name='lease_token',
            field=models.UUIDField(blank=True, editable=False, null=True, verbose_name='lease token'),
        ),
        migrations.AddField(
            model_name='notification',
            name='lease_expires_at',
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name='lease expires at'),
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.AddField(
                    model_name='notification',
                    name='idempotency_key',
                    field=models.UUIDField(editable=False, null=True, verbose_name='idempotency key'),
                ),
            ],
            state_operations=[
                migrations.AddField(
                    model_name='notification',
                    name='idempotency_key',
                    field=models.UUIDField(default=uuid.uuid4, editable=False, verbose_name='idempotency key'),
                ),
            ],
        ),
        migrations.RunPython(bring_rows_in_line, migrations.RunPython.noop, elidable=False),
        migrations.RunPython(idempotency_key_not_null, idempotency_key_nullable, elidable=False),
        core.large_tables.AddCheckConstraint(
            model_name='notification',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('status', 'SENT'), _negated=True), ('sent_at__isnull', False), _connector='OR'), name='accounts_notification_sent_has_sent_at'),
        ),
        core.large_tables.AddCheckConstraint(
            model_name='notification',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('status', 'FAILED'), _negated=True), models.Q(('error', ''), _negated=True), _connector='OR'), name='accounts_notification_failed_has_error'),
        ),
        core.large_tables.AddCheckConstraint(
            model_name='notification',
            constraint=models.CheckConstraint(condition=models.Q(('attempts__gte', 0)), name='accounts_notification_attempts_valid'),
        ),
        core.large_tables.AddCheckConstraint(
            model_name='notification',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('lease_expires_at__isnull', True), ('lease_token__isnull', True)), models.Q(('lease_expires_at__isnull', False), ('lease_token__isnull', False), ('status', 'PENDING')), _connector='OR'), name='accounts_notification_lease_whole'),
        ),
        core.large_tables.AddIndexConcurrently(
            model_name='notification',
            index=models.Index(models.F('channel'), Coalesce('next_attempt_at', 'created_at'), condition=models.Q(('status', 'PENDING')), name='accounts_notif_due_idx'),
        ),
        core.large_tables.AddIndexConcurrently(
            model_name='notification',
            index=models.Index(models.F('user'), models.OrderBy(models.F('created_at'), descending=True), condition=models.Q(('channel', 'IN_APP'), ('status', 'SENT')), name='accounts_notif_inbox_list_idx'),
        ),
        core.large_tables.AddIndexConcurrently(
            model_name='notification',
            index=models.Index(condition=models.Q(('channel', 'IN_APP'), ('read_at__isnull', True), ('status', 'SENT')), fields=['user'], name='accounts_notif_unread_idx'),
        ),
        core.large_tables.RemoveIndexConcurrently(
            model_name='notification',
            name='accounts_notif_inbox_idx',
        ),
    ]
