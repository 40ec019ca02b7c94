"""PostgreSQL functions and triggers behind the audit trail (decision 0009).

- ``auditing_auditlog_content(row)``: the canonical text of an audit row that its hash covers.
- ``auditing_auditlog_chain()``: BEFORE INSERT on each audit row. Takes the chain lock (once per
  transaction, held to commit), numbers the row after it so ids follow the chain, and sets
  ``row_hash = sha256(previous row_hash || content)``.
- ``auditing_refuse_rewrite()``: refuses UPDATE and DELETE on the audit table, whoever asks.
- ``auditing_capture()``: the statement-level trigger that ``auditing.capture`` installs on every
  domain table; it turns the statement's transition tables into CREATE/UPDATE/DELETE audit rows.

Rows written before this migration are hashed into the chain here, before the table becomes
append-only. Other databases (the SQLite first-run default) get none of this.
"""

from django.db import migrations

# Big enough to be nobody else's advisory lock key: the chain's serialisation point.
CHAIN_LOCK_KEY = 7_310_553_001
GENESIS = "0" * 64

CONTENT_FUNCTION = """
CREATE OR REPLACE FUNCTION auditing_auditlog_content(r auditing_auditlog) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    -- A JSON array: unambiguous whatever a field contains, and identical however the session is set up.
    SELECT jsonb_build_array(
        r.id, r.action, r.actor_id, r.actor_label, r.entity_type, r.entity_id, r.changes,
        host(r.ip_address), r.user_agent, r.request_id,
        (extract(epoch FROM r.created_at) * 1000000)::bigint
    )::text
$$;
"""

CHAIN_FUNCTION = """
CREATE OR REPLACE FUNCTION auditing_auditlog_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    previous text := current_setting('auditing.chain_head', true);
BEGIN
    IF previous IS NULL OR previous = '' THEN
        -- A transaction that reads an old snapshot would chain onto a stale head and fork the chain.
        IF current_setting('transaction_isolation') <> 'read committed' THEN
            RAISE EXCEPTION 'audit rows can only be written in READ COMMITTED transactions';
        END IF;
        -- First audit row of this transaction: wait for the writers before us to commit, then read
        -- the head they left. The lock is held to commit, so nobody chains in between.
        PERFORM pg_advisory_xact_lock({lock_key});
        SELECT row_hash INTO previous FROM auditing_auditlog ORDER BY id DESC LIMIT 1;
        previous := coalesce(previous, '{genesis}');
    END IF;
    -- The id default was drawn before the lock; draw again so ids follow the chain order.
    NEW.id := nextval('{sequence}');
    NEW.row_hash := encode(sha256(convert_to(previous || auditing_auditlog_content(NEW), 'UTF8')), 'hex');
    -- Transaction-local: gone at commit or rollback, and undone with a rolled-back savepoint.
    PERFORM set_config('auditing.chain_head', NEW.row_hash, true);
    RETURN NEW;
END
$$;
"""

REFUSE_FUNCTION = """
CREATE OR REPLACE FUNCTION auditing_refuse_rewrite() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only: % is not allowed on %', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;
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
BEGIN
    -- Set by demo-data seeding only, which writes its own (synthetic) history.
    IF current_setting('auditing.capture', true) = 'paused' THEN
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
        actor_label := context->>'actor_label';
        ip := (context->>'ip')::inet;
        agent := context->>'user_agent';
        request := context->>'request_id';
    END IF;

    IF TG_OP = 'INSERT' THEN
        INSERT INTO auditing_auditlog (action, actor_id, actor_label, entity_type, entity_id, changes,
                                       ip_address, user_agent, request_id, created_at, row_hash)
        SELECT 'CREATE', actor_id, actor_label, entity, n.row->>pk,
               coalesce((SELECT jsonb_object_agg(f.key, jsonb_build_array(NULL,
                                    CASE WHEN f.key = ANY(secret) THEN redacted ELSE f.value END))
                         FROM jsonb_each(n.row) f
                         WHERE f.value <> 'null' AND NOT f.key = ANY(ignored)), '{{}}'),
               ip, agent, request, moment, ''
        FROM (SELECT to_jsonb(t) AS row FROM new_rows t) n;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO auditing_auditlog (action, actor_id, actor_label, entity_type, entity_id, changes,
                                       ip_address, user_agent, request_id, created_at, row_hash)
        -- MATERIALIZED: each row becomes JSON once, not once per column compared.
        WITH o AS MATERIALIZED (SELECT to_jsonb(t) AS row FROM old_rows t),
             n AS MATERIALIZED (SELECT to_jsonb(t) AS row FROM new_rows t)
        SELECT 'UPDATE', actor_id, actor_label, entity, n.row->>pk, diff.changes,
               ip, agent, request, moment, ''
        FROM o JOIN n ON n.row->pk = o.row->pk
        CROSS JOIN LATERAL (
            SELECT jsonb_object_agg(f.key, CASE WHEN f.key = ANY(secret)
                                                THEN jsonb_build_array(redacted, redacted)
                                                ELSE jsonb_build_array(o.row->f.key, f.value) END) AS changes
            FROM jsonb_each(n.row) f
            WHERE f.value IS DISTINCT FROM o.row->f.key AND NOT f.key = ANY(ignored)
        ) diff
        -- An update that changes nothing (or only ignored columns) leaves no row.
        WHERE diff.changes IS NOT NULL;
    ELSE
        INSERT INTO auditing_auditlog (action, actor_id, actor_label, entity_type, entity_id, changes,
                                       ip_address, user_agent, request_id, created_at, row_hash)
        SELECT 'DELETE', actor_id, actor_label, entity, o.row->>pk,
               coalesce((SELECT jsonb_object_agg(f.key, jsonb_build_array(
                                    CASE WHEN f.key = ANY(secret) THEN redacted ELSE f.value END, NULL))
                         FROM jsonb_each(o.row) f
                         WHERE f.value <> 'null' AND NOT f.key = ANY(ignored)), '{{}}'),
               ip, agent, request, moment, ''
        FROM (SELECT to_jsonb(t) AS row FROM old_rows t) o;
    END IF;
    RETURN NULL;
END
$$;
"""

BACKFILL = """
DO $$
DECLARE
    previous text := '{genesis}';
    r auditing_auditlog;
BEGIN
    FOR r IN SELECT * FROM auditing_auditlog ORDER BY id LOOP
        previous := encode(sha256(convert_to(previous || auditing_auditlog_content(r), 'UTF8')), 'hex');
        UPDATE auditing_auditlog SET row_hash = previous WHERE id = r.id;
    END LOOP;
END
$$;
"""

TRIGGERS = """
CREATE TRIGGER auditing_auditlog_chain BEFORE INSERT ON auditing_auditlog
    FOR EACH ROW EXECUTE FUNCTION auditing_auditlog_chain();
CREATE TRIGGER auditing_auditlog_append_only BEFORE UPDATE OR DELETE ON auditing_auditlog
    FOR EACH STATEMENT EXECUTE FUNCTION auditing_refuse_rewrite();
-- Fire even in sessions that switch ordinary triggers off (session_replication_role = replica).
ALTER TABLE auditing_auditlog ENABLE ALWAYS TRIGGER auditing_auditlog_chain;
ALTER TABLE auditing_auditlog ENABLE ALWAYS TRIGGER auditing_auditlog_append_only;
"""

REVERSE = """
DROP TRIGGER IF EXISTS auditing_auditlog_append_only ON auditing_auditlog;
DROP TRIGGER IF EXISTS auditing_auditlog_chain ON auditing_auditlog;
DROP FUNCTION IF EXISTS auditing_capture() CASCADE;
DROP FUNCTION IF EXISTS auditing_refuse_rewrite();
DROP FUNCTION IF EXISTS auditing_auditlog_chain();
DROP FUNCTION IF EXISTS auditing_auditlog_content(auditing_auditlog);
"""


def install(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence('auditing_auditlog', 'id')")
        (sequence,) = cursor.fetchone()
        cursor.execute(CONTENT_FUNCTION)
        cursor.execute(CHAIN_FUNCTION.format(lock_key=CHAIN_LOCK_KEY, genesis=GENESIS, sequence=sequence))
        cursor.execute(REFUSE_FUNCTION)
        cursor.execute(CAPTURE_FUNCTION.format())
        cursor.execute(BACKFILL.format(genesis=GENESIS))
        cursor.execute(TRIGGERS)


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(REVERSE)


class Migration(migrations.Migration):
    # The backfill updates rows before the append-only trigger exists; keep it in one transaction.
    atomic = True

    dependencies = [("auditing", "0004_chain_and_actor_history")]

    operations = [migrations.RunPython(install, uninstall, elidable=False)]
