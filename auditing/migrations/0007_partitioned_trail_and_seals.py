"""The audit trail without a lock shared between writers: partitioned by month, sealed after commit (decision 0016).

Replaces the hash chain built on the write path (0005: one advisory lock per audited transaction, held to
commit) with evidence added later:

- ``auditing_auditlog`` becomes a table range-partitioned by month of ``created_at``, one partition per
  month (``auditing_auditlog_pYYYY_MM``, created ahead by ``auditing_partitions_ensure``), and a default
  partition for rows dated outside them (a clock far off), so that no write fails for its date. Its primary key
  is ``(id, created_at)``, as PostgreSQL requires of a partitioned table; ids still come from one sequence.
- ``row_hash`` is now the hash of the row's own content (``auditing_row_hash``), computed by whoever writes
  the row (the capture function for captured changes, ``auditing_auditlog_stamp`` for the rest): no row
  reads another, so writers never wait on each other. ``auditing.sealing`` then covers committed rows with
  HMAC-keyed seals (``auditing_auditseal``), in id order, after commit.
- ``auditing_auditlog_stamp`` makes sure a transaction has its id before the row draws its own, which is
  what lets the sealer know that no row at or below the id it read is still being written once every
  transaction running then has ended.
- UPDATE, DELETE and TRUNCATE are refused on the trail (every partition) and on the seals, whoever asks.
- Only a member of the audit table's owner role may pause capture (``auditing.capture = paused``, for
  demo seeding); anyone else who tries gets an error and writes nothing.

The rows written before this migration are checked against the old chain once more (a broken chain stops
the migration: investigate it first, with ``verify_audit_chain`` of the previous release), then copied into
the partitioned table with their content hashes; the sealer seals them like any other rows. The copy holds
the table's lock while it runs: a one-off of about 80 s per million rows on the 2-core reference machine
(old chain walked once more, rows copied, seven indexes rebuilt), during which audited writers wait.
Not reversible: the old chain cannot be rebuilt without rewriting every row's hash.
"""

from django.conf import settings
from django.db import migrations, models

GENESIS = "0" * 64  # the old chain's predecessor of its first row (migration 0005)

# The old chain walked once more, on the old table, before its rows move (0005's verify query).
OLD_CHAIN_BROKEN_AT = """
SELECT min(id) FROM (
    SELECT id, row_hash,
           encode(sha256(convert_to(coalesce(lag(row_hash) OVER w, %s) || auditing_auditlog_content(a), 'UTF8')), 'hex')
               AS expected
    FROM auditing_auditlog a
    WINDOW w AS (ORDER BY id)
) walk WHERE row_hash IS DISTINCT FROM expected
"""

OLD_CONTENT_DROP = """
DROP FUNCTION auditing_content(bigint, text, bigint, text, text, text, jsonb, inet, text, text, timestamptz);
"""
OLD_FUNCTIONS_DROP = """
DROP FUNCTION auditing_auditlog_chain() CASCADE;
DROP FUNCTION auditing_chain_head();
DROP FUNCTION auditing_auditlog_content(auditing_auditlog_legacy);
"""

ROW_HASH_FUNCTIONS = """
-- 0005's content, and the database role of the session that wrote the row. STABLE, as what it calls
-- (jsonb_build_array, convert_to) is: declared so, PostgreSQL inlines these SQL functions into the capture
-- function's INSERT instead of calling them row by row (a third of the capture's cost, measured).
CREATE OR REPLACE FUNCTION auditing_content(
    id bigint, action text, actor_id bigint, actor_label text, entity_type text, entity_id text, changes jsonb,
    ip_address inet, user_agent text, request_id text, created_at timestamptz, database_role text
) RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS $$
    -- A JSON array: unambiguous whatever a field contains, and identical however the session is set up.
    SELECT jsonb_build_array(
        id, action, actor_id, actor_label, entity_type, entity_id, changes,
        host(ip_address), user_agent, request_id, (extract(epoch FROM created_at) * 1000000)::bigint, database_role
    )::text
$$;
CREATE OR REPLACE FUNCTION auditing_row_hash(content text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT encode(sha256(convert_to(content, 'UTF8')), 'hex')
$$;
CREATE OR REPLACE FUNCTION auditing_auditlog_content(r auditing_auditlog) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT auditing_content(r.id, r.action, r.actor_id, r.actor_label, r.entity_type, r.entity_id, r.changes,
                            r.ip_address, r.user_agent, r.request_id, r.created_at, r.database_role)
$$;
"""

STAMP_FUNCTION = """
CREATE OR REPLACE FUNCTION auditing_auditlog_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- The transaction gets its id (if it has none yet) before the row draws its own: the sealer waits for
    -- every transaction running when it read the id sequence, so it never seals past a row being written.
    PERFORM pg_current_xact_id();
    NEW.id := nextval('{sequence}');
    NEW.database_role := session_user;
    NEW.row_hash := auditing_row_hash(auditing_auditlog_content(NEW));
    RETURN NEW;
END
$$;
"""

REFUSE_FUNCTION = """
CREATE OR REPLACE FUNCTION auditing_refuse_rewrite() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only: % is not allowed on %', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;
"""

# A month's partition is created as a plain table and attached: ATTACH takes a lock that lets writers
# carry on (CREATE TABLE ... PARTITION OF would queue behind them and stop new ones while it waits), and
# the range CHECK it carries spares ATTACH a scan.
PARTITIONS_FUNCTION = """
CREATE OR REPLACE FUNCTION auditing_partitions_ensure(since timestamptz, months_ahead integer) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    month timestamp := date_trunc('month', least(since, now()) AT TIME ZONE 'UTC');
    last_month timestamp := date_trunc('month', now() AT TIME ZONE 'UTC') + make_interval(months => months_ahead);
    partition text;
    lower_bound timestamptz;
    upper_bound timestamptz;
    created integer := 0;
BEGIN
    WHILE month <= last_month LOOP
        partition := 'auditing_auditlog_p' || to_char(month, 'YYYY_MM');
        lower_bound := month AT TIME ZONE 'UTC';
        upper_bound := (month + interval '1 month') AT TIME ZONE 'UTC';
        -- A month whose rows already landed in the default partition (a clock far off) stays there.
        IF to_regclass(partition) IS NULL AND NOT EXISTS (
            SELECT 1 FROM auditing_auditlog_default WHERE created_at >= lower_bound AND created_at < upper_bound
        ) THEN
            EXECUTE format('CREATE TABLE %I (LIKE auditing_auditlog INCLUDING DEFAULTS INCLUDING CONSTRAINTS)',
                           partition);
            EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I CHECK (created_at >= %L AND created_at < %L)',
                           partition, partition || '_range', lower_bound, upper_bound);
            EXECUTE format('ALTER TABLE auditing_auditlog ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
                           partition, lower_bound, upper_bound);
            -- TRUNCATE triggers are not inherited: each partition refuses it itself.
            EXECUTE format('CREATE TRIGGER auditing_auditlog_no_truncate BEFORE TRUNCATE ON %I '
                           'FOR EACH STATEMENT EXECUTE FUNCTION auditing_refuse_rewrite()', partition);
            EXECUTE format('ALTER TABLE %I ENABLE ALWAYS TRIGGER auditing_auditlog_no_truncate', partition);
            created := created + 1;
        END IF;
        month := month + interval '1 month';
    END LOOP;
    RETURN created;
END
$$;
"""

# Rows dated outside every month's partition (a clock set far off, a test travelling in time) land here
# rather than fail the write that made them.
DEFAULT_PARTITION = """
CREATE TABLE auditing_auditlog_default PARTITION OF auditing_auditlog DEFAULT;
CREATE TRIGGER auditing_auditlog_no_truncate BEFORE TRUNCATE ON auditing_auditlog_default
    FOR EACH STATEMENT EXECUTE FUNCTION auditing_refuse_rewrite();
ALTER TABLE auditing_auditlog_default ENABLE ALWAYS TRIGGER auditing_auditlog_no_truncate;
"""

# TG_ARGV: entity type ("billing.payment"), primary-key column, columns left out of diffs (e.g.
# updated_at), secret columns (recorded as changed, never with their values).
CAPTURE_FUNCTION = """
CREATE OR REPLACE FUNCTION auditing_capture() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    entity text := TG_ARGV[0];
    pk text := TG_ARGV[1];
    ignored text[] := TG_ARGV[2]::text[];
    secret text[] := TG_ARGV[3]::text[];
    redacted jsonb := '"[redacted]"';
    context jsonb;
    actor_id bigint;
    actor_label text;
    ip inet;
    agent text;
    request text;
    moment timestamptz := clock_timestamp();
    action text := CASE TG_OP WHEN 'INSERT' THEN 'CREATE' WHEN 'UPDATE' THEN 'UPDATE' ELSE 'DELETE' END;
    entity_ids text[];
    diffs jsonb[];
BEGIN
    -- Demo seeding writes its own (synthetic) history and pauses capture for its transaction. Only the
    -- audit table's owner may: it could switch the triggers off anyway. The application's role cannot.
    IF current_setting('auditing.capture', true) = 'paused' THEN
        IF pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = 'auditing_auditlog'::regclass),
                       'MEMBER') THEN
            RETURN NULL;
        END IF;
        RAISE EXCEPTION 'only the owner of the audit tables can pause audit capture (role %)', current_user
            USING ERRCODE = 'insufficient_privilege';
    END IF;

    -- Rows as hstore (column => text): finding the changed columns is then one C operator
    -- (new - old), several times cheaper than comparing JSON documents column by column. Values are
    -- therefore recorded as PostgreSQL prints them ("t" for true, "120.00", timestamps in UTC).
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(n.h -> pk), array_agg(coalesce(
                   (SELECT jsonb_object_agg(f.key, jsonb_build_array(NULL, CASE WHEN f.key = ANY(secret)
                                                                              THEN redacted
                                                                              ELSE to_jsonb(f.value) END))
                    FROM each(n.h - ignored) f WHERE f.value IS NOT NULL), '{{}}'))
        INTO entity_ids, diffs
        FROM (SELECT hstore(t) AS h FROM new_rows t OFFSET 0) n;
    ELSIF TG_OP = 'UPDATE' THEN
        SELECT array_agg(n.h -> pk), array_agg(diff.changes)
        INTO entity_ids, diffs
        FROM (SELECT hstore(t) AS h FROM old_rows t OFFSET 0) o
        JOIN (SELECT hstore(t) AS h FROM new_rows t OFFSET 0) n ON n.h -> pk = o.h -> pk
        CROSS JOIN LATERAL (
            SELECT jsonb_object_agg(k, CASE WHEN k = ANY(secret) THEN jsonb_build_array(redacted, redacted)
                                            ELSE jsonb_build_array(o.h -> k, n.h -> k) END) AS changes
            FROM unnest(akeys((n.h - o.h) - ignored)) k
        ) diff
        -- An update that changes nothing (or only ignored columns) leaves no row.
        WHERE diff.changes IS NOT NULL;
    ELSE
        SELECT array_agg(o.h -> pk), array_agg(coalesce(
                   (SELECT jsonb_object_agg(f.key, jsonb_build_array(CASE WHEN f.key = ANY(secret)
                                                                         THEN redacted
                                                                         ELSE to_jsonb(f.value) END, NULL))
                    FROM each(o.h - ignored) f WHERE f.value IS NOT NULL), '{{}}'))
        INTO entity_ids, diffs
        FROM (SELECT hstore(t) AS h FROM old_rows t OFFSET 0) o;
    END IF;
    IF entity_ids IS NULL THEN
        RETURN NULL;
    END IF;

    -- Who and from where, pushed by the application (auditing.db_context); a session without it is
    -- someone at a database prompt, recorded as such.
    context := nullif(current_setting('auditing.context', true), '')::jsonb;
    IF context IS NULL THEN
        actor_label := 'database: ' || session_user;
        agent := coalesce(current_setting('application_name', true), '');
        request := '';
    ELSE
        actor_id := (context->>'actor_id')::bigint;
        actor_label := coalesce(context->>'actor_label', '');
        ip := (context->>'ip')::inet;
        agent := coalesce(context->>'user_agent', '');
        request := coalesce(context->>'request_id', '');
    END IF;

    -- One INSERT for the statement's rows, each with the hash of its own content: no lock, no lookup.
    -- (The statement that fired this trigger wrote rows, so the transaction already has its id.)
    INSERT INTO auditing_auditlog (id, action, actor_id, actor_label, entity_type, entity_id, changes,
                                   ip_address, user_agent, request_id, created_at, database_role, row_hash)
    SELECT r.id, action, actor_id, actor_label, entity, r.entity_id, r.changes, ip, agent, request, moment,
           session_user,
           auditing_row_hash(auditing_content(r.id, action, actor_id, actor_label, entity, r.entity_id, r.changes,
                                              ip, agent, request, moment, session_user))
    FROM (SELECT nextval('{sequence}') AS id, u.entity_id, u.changes
          FROM unnest(entity_ids, diffs) AS u(entity_id, changes)) r;
    RETURN NULL;
END
$$;
"""

TRAIL_TRIGGERS = """
CREATE TRIGGER auditing_auditlog_stamp BEFORE INSERT ON auditing_auditlog
    FOR EACH ROW WHEN (NEW.row_hash = '') EXECUTE FUNCTION auditing_auditlog_stamp();
-- Row-level, so every partition inherits it, including one addressed directly.
CREATE TRIGGER auditing_auditlog_append_only BEFORE UPDATE OR DELETE ON auditing_auditlog
    FOR EACH ROW EXECUTE FUNCTION auditing_refuse_rewrite();
CREATE TRIGGER auditing_auditlog_no_truncate BEFORE TRUNCATE ON auditing_auditlog
    FOR EACH STATEMENT EXECUTE FUNCTION auditing_refuse_rewrite();
-- Fire even in sessions that switch ordinary triggers off (session_replication_role = replica).
ALTER TABLE auditing_auditlog ENABLE ALWAYS TRIGGER auditing_auditlog_stamp;
ALTER TABLE auditing_auditlog ENABLE ALWAYS TRIGGER auditing_auditlog_append_only;
ALTER TABLE auditing_auditlog ENABLE ALWAYS TRIGGER auditing_auditlog_no_truncate;
"""

SEAL_TRIGGERS = """
CREATE TRIGGER auditing_auditseal_append_only BEFORE UPDATE OR DELETE ON auditing_auditseal
    FOR EACH STATEMENT EXECUTE FUNCTION auditing_refuse_rewrite();
CREATE TRIGGER auditing_auditseal_no_truncate BEFORE TRUNCATE ON auditing_auditseal
    FOR EACH STATEMENT EXECUTE FUNCTION auditing_refuse_rewrite();
ALTER TABLE auditing_auditseal ENABLE ALWAYS TRIGGER auditing_auditseal_append_only;
ALTER TABLE auditing_auditseal ENABLE ALWAYS TRIGGER auditing_auditseal_no_truncate;
"""

# How many months of partitions exist ahead of today (auditing.partitions keeps it so).
MONTHS_AHEAD = 3

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
]
ACTION_CONSTRAINT = models.CheckConstraint(
    condition=models.Q(action__in=[value for value, _ in ACTIONS]), name="auditing_action_valid"
)
ACTOR = models.ForeignKey(
    blank=True,
    db_constraint=False,
    db_index=False,
    null=True,
    on_delete=models.deletion.DO_NOTHING,
    related_name="audit_events",
    to=settings.AUTH_USER_MODEL,
)
DATABASE_ROLE = models.CharField(blank=True, db_default="", editable=False, max_length=63)
COLUMNS = (
    "id, action, actor_id, actor_label, entity_type, entity_id, changes, ip_address, user_agent, request_id, created_at"
)


def partition_the_trail(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        _plain_schema_change(apps, schema_editor, forwards=True)
        return
    with connection.cursor() as cursor:
        # Writers wait here for the few seconds of the copy rather than write into the table being replaced.
        cursor.execute("LOCK TABLE auditing_auditlog IN ACCESS EXCLUSIVE MODE")
        cursor.execute(OLD_CHAIN_BROKEN_AT, [GENESIS])
        (broken_id,) = cursor.fetchone()
        if broken_id is not None:
            raise RuntimeError(
                f"The audit trail's hash chain is broken at row #{broken_id}: its rows are not moved into the "
                "sealed trail. Investigate first (verify_audit_chain of the previous release)."
            )
        # Django's indexes, to build again on the partitioned table; not the full index on actor_id that
        # the foreign key had (the partial actor index serves its lookups).
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'auditing_auditlog' "
            "AND indexname <> 'auditing_auditlog_pkey' AND indexname NOT LIKE 'auditing_auditlog_actor_id_%%' "
            "ORDER BY indexname"
        )
        indexes = cursor.fetchall()
        cursor.execute(
            "SELECT coalesce(min(created_at), now()), coalesce(max(id), 0) FROM auditing_auditlog"
        )
        oldest, last_id = cursor.fetchone()
        cursor.execute("SELECT last_value FROM " + _identity_sequence(cursor))
        (last_id_drawn,) = cursor.fetchone()

        cursor.execute("ALTER TABLE auditing_auditlog RENAME TO auditing_auditlog_legacy")
        cursor.execute("ALTER INDEX auditing_auditlog_pkey RENAME TO auditing_auditlog_legacy_pkey")
        cursor.execute(OLD_FUNCTIONS_DROP)
        # PostgreSQL 15 has no identity columns on partitioned tables: ids come from a sequence the table owns.
        cursor.execute(
            "CREATE TABLE auditing_auditlog (LIKE auditing_auditlog_legacy INCLUDING DEFAULTS) "
            "PARTITION BY RANGE (created_at)"
        )
        cursor.execute("ALTER TABLE auditing_auditlog ADD COLUMN database_role varchar(63) NOT NULL DEFAULT ''")
        cursor.execute(
            "ALTER TABLE auditing_auditlog ADD CONSTRAINT auditing_auditlog_pkey PRIMARY KEY (id, created_at)"
        )
        check = ACTION_CONSTRAINT.constraint_sql(apps.get_model("auditing", "AuditLog"), schema_editor)
        cursor.execute(f"ALTER TABLE auditing_auditlog ADD {check}")
        cursor.execute(ROW_HASH_FUNCTIONS)
        cursor.execute(REFUSE_FUNCTION)
        cursor.execute(PARTITIONS_FUNCTION)
        cursor.execute(DEFAULT_PARTITION)
        cursor.execute("SELECT auditing_partitions_ensure(%s, %s)", [oldest, MONTHS_AHEAD])

        cursor.execute(
            f"INSERT INTO auditing_auditlog ({COLUMNS}, row_hash) "  # noqa: S608 (constants)
            f"SELECT {COLUMNS}, auditing_row_hash(auditing_content({COLUMNS}, '')) "
            "FROM auditing_auditlog_legacy ORDER BY id"
        )
        cursor.execute("DROP TABLE auditing_auditlog_legacy")
        cursor.execute(OLD_CONTENT_DROP)
        # Django's indexes again, under their names, now on every partition.
        for _name, definition in indexes:
            cursor.execute(definition)
        cursor.execute("CREATE SEQUENCE auditing_auditlog_id_seq OWNED BY auditing_auditlog.id")
        cursor.execute("SELECT setval('auditing_auditlog_id_seq', %s)", [max(last_id, last_id_drawn, 1)])
        cursor.execute("ALTER TABLE auditing_auditlog ALTER COLUMN id SET DEFAULT nextval('auditing_auditlog_id_seq')")
        sequence = "auditing_auditlog_id_seq"

        cursor.execute(STAMP_FUNCTION.format(sequence=sequence))
        cursor.execute(CAPTURE_FUNCTION.format(sequence=sequence))
        cursor.execute(TRAIL_TRIGGERS)
        cursor.execute(SEAL_TRIGGERS)


def _identity_sequence(cursor) -> str:
    cursor.execute("SELECT pg_get_serial_sequence('auditing_auditlog', 'id')")
    return cursor.fetchone()[0]


def _actor_index_name(schema_editor) -> str:
    """The name Django gave the foreign key's own index on actor_id (auditing 0004)."""
    with schema_editor.connection.cursor() as cursor:
        indexes = schema_editor.connection.introspection.get_constraints(cursor, "auditing_auditlog")
    names = [name for name, index in indexes.items() if index["index"] and index["columns"] == ["actor_id"]]
    return schema_editor.quote_name(names[0]) if names else '"auditing_auditlog_actor_id_none"'


def cannot_unpartition(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        raise migrations.exceptions.IrreversibleError(
            "auditing 0007 is not reversible on PostgreSQL: the old hash chain would need every row rewritten."
        )
    _plain_schema_change(apps, schema_editor, forwards=False)


def _plain_schema_change(apps, schema_editor, *, forwards: bool) -> None:
    """Elsewhere (the first-run SQLite database, small and unpartitioned) the CHECK is replaced and the
    column added the plain way."""
    model = apps.get_model("auditing", "AuditLog")
    role = model._meta.get_field("database_role")
    if forwards:
        schema_editor.add_field(model, role)
        schema_editor.execute("DROP INDEX IF EXISTS " + _actor_index_name(schema_editor))
    else:
        schema_editor.remove_field(model, role)
    old = models.CheckConstraint(
        condition=models.Q(action__in=[value for value, _ in ACTIONS if value != "RECOMPUTE"]),
        name="auditing_action_valid",
    )
    schema_editor.remove_constraint(model, old if forwards else ACTION_CONSTRAINT)
    schema_editor.add_constraint(model, ACTION_CONSTRAINT if forwards else old)


class Migration(migrations.Migration):
    atomic = True

    dependencies = [("auditing", "0006_lockout_action"), migrations.swappable_dependency(settings.AUTH_USER_MODEL)]

    operations = [
        migrations.CreateModel(
            name="AuditSeal",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "first_id",
                    models.BigIntegerField(help_text="The previous seal's last row id (exclusive)"),
                ),
                ("last_id", models.BigIntegerField(help_text="The last row id this seal covers (inclusive)")),
                ("row_count", models.PositiveIntegerField()),
                ("digest", models.CharField(max_length=64)),
                ("row_index", models.BinaryField()),
                ("previous_mac", models.CharField(max_length=64)),
                ("mac", models.CharField(max_length=64)),
                ("key_id", models.CharField(help_text="Which AUDIT_SEAL_KEYS entry signed it", max_length=32)),
                ("sealed_at", models.DateTimeField()),
            ],
            options={
                "ordering": ["-id"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("last_id__gt", models.F("first_id"))), name="auditing_seal_range"
                    ),
                    models.UniqueConstraint(fields=("last_id",), name="auditing_seal_last_id_uniq"),
                ],
            },
        ),
        migrations.CreateModel(
            name="AuditVerification",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("full", models.BooleanField(default=False)),
                ("started_at", models.DateTimeField()),
                ("finished_at", models.DateTimeField()),
                ("ok", models.BooleanField()),
                ("first_seal_id", models.BigIntegerField(blank=True, null=True)),
                ("last_seal_id", models.BigIntegerField(blank=True, help_text="The last seal checked", null=True)),
                ("last_seal_mac", models.CharField(blank=True, max_length=64)),
                ("rows_checked", models.PositiveBigIntegerField(default=0)),
                ("problem", models.TextField(blank=True)),
                ("broken_row_id", models.BigIntegerField(blank=True, null=True)),
            ],
            options={
                "ordering": ["-id"],
                "indexes": [models.Index(fields=["ok", "-id"], name="auditing_verify_ok_idx")],
            },
        ),
        # The new action and its constraint exist in the partitioned table built below; here only Django's
        # record of them changes (SQLite, which has no partitions, gets the constraint the plain way).
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="auditlog",
                    name="action",
                    field=models.CharField(choices=ACTIONS, max_length=16),
                ),
                migrations.RemoveConstraint(model_name="auditlog", name="auditing_action_valid"),
                migrations.AddConstraint(model_name="auditlog", constraint=ACTION_CONSTRAINT),
                migrations.AddField(model_name="auditlog", name="database_role", field=DATABASE_ROLE),
                migrations.AlterField(model_name="auditlog", name="actor", field=ACTOR),
            ],
        ),
        migrations.RunPython(partition_the_trail, cannot_unpartition, elidable=False),
    ]
