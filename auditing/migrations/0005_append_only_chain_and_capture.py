"""PostgreSQL functions and triggers behind the audit trail (decision 0009).

- ``auditing_content(...)`` / ``auditing_auditlog_content(row)``: the canonical text a row's hash covers.
- ``auditing_chain_head()``: at a transaction's first audit row, takes the chain lock (held to commit)
  and reads the last row's hash; afterwards, the head this transaction left.
- ``auditing_auditlog_chain()``: BEFORE INSERT on audit rows that arrive without a hash
  (``audit_record``, COPY): numbers the row after the lock, so ids follow the chain, and sets
  ``row_hash = sha256(previous row_hash || content)``.
- ``auditing_refuse_rewrite()``: refuses UPDATE and DELETE on the audit table, whoever asks.
- ``auditing_capture()``: the statement-level trigger that ``auditing.capture`` installs on every
  domain table; it turns the statement's transition tables into CREATE/UPDATE/DELETE audit rows,
  chains them in one loop and inserts them with their hashes.

Rows written before this migration are hashed into the chain here, before the table becomes
append-only. Other databases (the SQLite first-run default) get none of this.
"""

from django.db import migrations

# Big enough to be nobody else's advisory lock key: the chain's serialisation point.
CHAIN_LOCK_KEY = 7_310_553_001
GENESIS = "0" * 64  # the predecessor of the first row (also auditing.chain.GENESIS)

CONTENT_FUNCTIONS = """
CREATE OR REPLACE FUNCTION auditing_content(
    id bigint, action text, actor_id bigint, actor_label text, entity_type text, entity_id text, changes jsonb,
    ip_address inet, user_agent text, request_id text, created_at timestamptz
) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    -- A JSON array: unambiguous whatever a field contains, and identical however the session is set up.
    SELECT jsonb_build_array(
        id, action, actor_id, actor_label, entity_type, entity_id, changes,
        host(ip_address), user_agent, request_id, (extract(epoch FROM created_at) * 1000000)::bigint
    )::text
$$;
CREATE OR REPLACE FUNCTION auditing_auditlog_content(r auditing_auditlog) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT auditing_content(r.id, r.action, r.actor_id, r.actor_label, r.entity_type, r.entity_id, r.changes,
                            r.ip_address, r.user_agent, r.request_id, r.created_at)
$$;
"""

CHAIN_HEAD_FUNCTION = """
CREATE OR REPLACE FUNCTION auditing_chain_head() RETURNS text LANGUAGE plpgsql AS $$
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
    RETURN previous;
END
$$;
"""

CHAIN_FUNCTION = """
CREATE OR REPLACE FUNCTION auditing_auditlog_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    previous text := auditing_chain_head();
BEGIN
    -- The id default was drawn before the lock; draw again so ids follow the chain order.
    NEW.id := nextval('{sequence}');
    -- The new head, kept transaction-locally: gone at commit or rollback, and undone with a
    -- rolled-back savepoint. (An assignment, not PERFORM: plpgsql's fast path for expressions.)
    NEW.row_hash := set_config('auditing.chain_head',
        encode(sha256(convert_to(previous || auditing_auditlog_content(NEW), 'UTF8')), 'hex'), true);
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
    action text := CASE TG_OP WHEN 'INSERT' THEN 'CREATE' WHEN 'UPDATE' THEN 'UPDATE' ELSE 'DELETE' END;
    entity_ids text[];
    diffs jsonb[];
    ids bigint[];
    hashes text[];
    previous text;
BEGIN
    -- Set by demo-data seeding only, which writes its own (synthetic) history.
    IF current_setting('auditing.capture', true) = 'paused' THEN
        RETURN NULL;
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

    -- Chain the rows here, in one loop, rather than in a trigger per row.
    previous := auditing_chain_head();
    FOR i IN 1 .. array_length(entity_ids, 1) LOOP
        ids[i] := nextval('{sequence}');
        previous := encode(sha256(convert_to(previous || auditing_content(
            ids[i], action, actor_id, actor_label, entity, entity_ids[i], diffs[i], ip, agent, request, moment
        ), 'UTF8')), 'hex');
        hashes[i] := previous;
    END LOOP;
    previous := set_config('auditing.chain_head', previous, true);

    INSERT INTO auditing_auditlog (id, action, actor_id, actor_label, entity_type, entity_id, changes,
                                   ip_address, user_agent, request_id, created_at, row_hash)
    SELECT u.id, action, actor_id, actor_label, entity, u.entity_id, u.changes, ip, agent, request, moment, u.hash
    FROM unnest(ids, entity_ids, diffs, hashes) AS u(id, entity_id, changes, hash);
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
-- Rows the capture function already chained arrive with their hash; only the others need the trigger.
CREATE TRIGGER auditing_auditlog_chain BEFORE INSERT ON auditing_auditlog
    FOR EACH ROW WHEN (coalesce(NEW.row_hash, '') = '') EXECUTE FUNCTION auditing_auditlog_chain();
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
DROP FUNCTION IF EXISTS auditing_chain_head();
DROP FUNCTION IF EXISTS auditing_auditlog_content(auditing_auditlog);
DROP FUNCTION IF EXISTS auditing_content(bigint, text, bigint, text, text, text, jsonb, inet, text, text, timestamptz);
"""


def install(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        # hstore ships with PostgreSQL and is a trusted extension: a database owner may create it.
        cursor.execute("CREATE EXTENSION IF NOT EXISTS hstore")
        cursor.execute("SELECT pg_get_serial_sequence('auditing_auditlog', 'id')")
        (sequence,) = cursor.fetchone()
        cursor.execute(CONTENT_FUNCTIONS)
        cursor.execute(CHAIN_HEAD_FUNCTION.format(lock_key=CHAIN_LOCK_KEY, genesis=GENESIS))
        cursor.execute(CHAIN_FUNCTION.format(sequence=sequence))
        cursor.execute(REFUSE_FUNCTION)
        cursor.execute(CAPTURE_FUNCTION.format(sequence=sequence))
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
