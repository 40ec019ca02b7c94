"""Every audit row names its entity as it read when the row was written: ``entity_label``.

A deleted user, a renamed role, a closed ticket: the trail still says "Jonas Schneider", "Support agents",
"TCK-000120 · Refund not received", from the row itself, not from a lookup that fails once the row is gone.

- Captured rows: the capture function reads the label from the changed row (the new values; the old
  ones for a delete), joining the non-empty values of the columns ``auditing.capture.label_columns``
  names for the table (a fifth trigger argument, installed after every ``migrate``) with " · ".
- Recorded events (``auditing.services.audit_record``) pass the object's label themselves.
- The label is part of the row's hashed content, so it is as tamper-evident as the rest. Rows without
  one (every row written before this migration) hash exactly as before: the label joins the content
  only when it is not empty, so no sealed row changes its hash.

Not reversible on PostgreSQL: rows written since carry labels inside their hashes.
"""

from django.db import migrations, models

LABEL_COLUMN = "ALTER TABLE auditing_auditlog ADD COLUMN entity_label varchar(200) NOT NULL DEFAULT ''"

CONTENT_FUNCTIONS = """
-- 0007's content, with the entity's label appended when there is one (rows without a label hash as before).
CREATE FUNCTION auditing_content(
    id bigint, action text, actor_id bigint, actor_label text, entity_type text, entity_id text, changes jsonb,
    ip_address inet, user_agent text, request_id text, created_at timestamptz, database_role text,
    entity_label text
) RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT (jsonb_build_array(
        id, action, actor_id, actor_label, entity_type, entity_id, changes,
        host(ip_address), user_agent, request_id, (extract(epoch FROM created_at) * 1000000)::bigint, database_role
    ) || CASE WHEN entity_label = '' THEN '[]'::jsonb ELSE jsonb_build_array(entity_label) END)::text
$$;
CREATE OR REPLACE FUNCTION auditing_auditlog_content(r auditing_auditlog) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT auditing_content(r.id, r.action, r.actor_id, r.actor_label, r.entity_type, r.entity_id, r.changes,
                            r.ip_address, r.user_agent, r.request_id, r.created_at, r.database_role, r.entity_label)
$$;
DROP FUNCTION auditing_content(bigint, text, bigint, text, text, text, jsonb, inet, text, text, timestamptz, text);
"""

# As 0008, plus the label: TG_ARGV[4] lists the columns that name a row (text[]; absent on triggers installed
# before this migration, until the next ``migrate`` reinstalls them).
CAPTURE_INSERT = """
        INSERT INTO auditing_auditlog (id, action, actor_id, actor_label, entity_type, entity_id, changes,
                                       ip_address, user_agent, request_id, created_at, database_role,
                                       entity_label, row_hash)
        SELECT r.id, action, actor_id, actor_label, entity, r.entity_id, r.changes, ip, agent, request, moment,
               session_user, r.label,
               auditing_row_hash(auditing_content(r.id, action, actor_id, actor_label, entity, r.entity_id,
                                                  r.changes, ip, agent, request, moment, session_user, r.label))
        FROM (SELECT nextval('auditing_auditlog_id_seq') AS id, d.entity_id, d.changes,
                     left(array_to_string(array_remove(d.h -> labels, ''), ' · '), 200) AS label
              FROM ({diffs}) d) r;"""

INSERTED_DIFFS = """
            SELECT n.h, n.h -> pk AS entity_id, coalesce(
                       (SELECT jsonb_object_agg(f.key, jsonb_build_array(NULL, CASE WHEN f.key = ANY(secret)
                                                                              THEN redacted
                                                                              ELSE to_jsonb(f.value) END))
                        FROM each(n.h - ignored) f WHERE f.value IS NOT NULL), '{}') AS changes
            FROM (SELECT hstore(t) AS h FROM new_rows t OFFSET 0) n"""

UPDATED_DIFFS = """
            SELECT n.h, n.h -> pk AS entity_id, diff.changes
            FROM (SELECT hstore(t) AS h FROM old_rows t OFFSET 0) o
            JOIN (SELECT hstore(t) AS h FROM new_rows t OFFSET 0) n ON n.h -> pk = o.h -> pk
            CROSS JOIN LATERAL (
                SELECT jsonb_object_agg(k, CASE WHEN k = ANY(secret) THEN jsonb_build_array(redacted, redacted)
                                                ELSE jsonb_build_array(o.h -> k, n.h -> k) END) AS changes
                FROM unnest(akeys((n.h - o.h) - ignored)) k
            ) diff
            -- An update that changes nothing (or only ignored columns) leaves no row.
            WHERE diff.changes IS NOT NULL"""

DELETED_DIFFS = """
            SELECT o.h, o.h -> pk AS entity_id, coalesce(
                       (SELECT jsonb_object_agg(f.key, jsonb_build_array(CASE WHEN f.key = ANY(secret)
                                                                         THEN redacted
                                                                         ELSE to_jsonb(f.value) END, NULL))
                        FROM each(o.h - ignored) f WHERE f.value IS NOT NULL), '{}') AS changes
            FROM (SELECT hstore(t) AS h FROM old_rows t OFFSET 0) o"""

# TG_ARGV: entity type ("billing.payment"), primary-key column, columns left out of diffs (e.g.
# updated_at), secret columns (recorded as changed, never with their values), columns naming the row.
CAPTURE_FUNCTION = """
CREATE OR REPLACE FUNCTION auditing_capture() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    entity text := TG_ARGV[0];
    pk text := TG_ARGV[1];
    ignored text[] := TG_ARGV[2]::text[];
    secret text[] := TG_ARGV[3]::text[];
    labels text[] := coalesce(TG_ARGV[4], '{{}}')::text[];
    redacted jsonb := '"[redacted]"';
    context jsonb;
    actor_id bigint;
    actor_label text;
    ip inet;
    agent text;
    request text;
    moment timestamptz := clock_timestamp();
    action text := CASE TG_OP WHEN 'INSERT' THEN 'CREATE' WHEN 'UPDATE' THEN 'UPDATE' ELSE 'DELETE' END;
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

    -- Who and from where, pushed by the application (auditing.db_context); a session without it is
    -- someone at a database prompt, recorded as such. (Plain expressions: no query runs for these.)
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
    -- Rows are read as hstore (column => text): finding the changed columns is then one C operator
    -- (new - old), several times cheaper than comparing JSON documents column by column. Values are
    -- therefore recorded as PostgreSQL prints them ("t" for true, "120.00", timestamps in UTC).
    -- (The statement that fired this trigger wrote rows, so the transaction already has its id.)
    IF TG_OP = 'INSERT' THEN{inserted}
    ELSIF TG_OP = 'UPDATE' THEN{updated}
    ELSE{deleted}
    END IF;
    RETURN NULL;
END
$$;
""".format(
    inserted=CAPTURE_INSERT.format(diffs=INSERTED_DIFFS),
    updated=CAPTURE_INSERT.format(diffs=UPDATED_DIFFS),
    deleted=CAPTURE_INSERT.format(diffs=DELETED_DIFFS),
)

ENTITY_LABEL = models.CharField(blank=True, db_default="", editable=False, max_length=200)


def entity_label_add(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        schema_editor.add_field(apps.get_model("auditing", "AuditLog"), _field())
        return
    with connection.cursor() as cursor:  # no parameters: the functions' own "%" placeholders stay as they are
        cursor.execute(LABEL_COLUMN)
        cursor.execute(CONTENT_FUNCTIONS)
        cursor.execute(CAPTURE_FUNCTION)


def entity_label_irreversible(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        raise migrations.exceptions.IrreversibleError(
            "auditing 0009 is not reversible on PostgreSQL: rows written since carry their labels in their hashes."
        )
    schema_editor.remove_field(apps.get_model("auditing", "AuditLog"), _field())


def _field():
    field = ENTITY_LABEL.clone()
    field.set_attributes_from_name("entity_label")
    return field


class Migration(migrations.Migration):
    dependencies = [
        ("auditing", "0008_capture_in_one_statement"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AddField(model_name="auditlog", name="entity_label", field=ENTITY_LABEL)],
        ),
        migrations.RunPython(entity_label_add, entity_label_irreversible, elidable=False),
    ]
