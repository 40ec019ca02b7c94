"""Caching of each user's resolved permissions, validated against a generation the database keeps.

The database holds one *permission generation*: a random value in the single row of
``accounts_permission_generation``. Its own triggers replace it, in the writing transaction, after
any change that can alter someone's permissions: an insert, update, delete or truncate of roles,
permissions, role grants and role assignments (for assignments, only an update of who, which role or
the expiry), and a change of a user's ``status``, ``is_active``, ``is_superuser`` or ``is_staff``
(not ``last_login``, so signing in invalidates nothing). Whatever makes the change (a service, a
queryset ``update()``, raw SQL, psql, a restore) is covered.

A cached entry records the generation it was computed under and is used only while the database
still shows that generation and no contributing role has expired. The backend asks once per request
(the answer is memoised on the request's user object): one primary-key read and one cache read.

* A row, not a sequence: the new value becomes visible to others only when the change commits, so
  no process can read the new generation while still seeing the old grants and cache them under it.
* Random, not a counter: a restore that brings back an old value also brings back the data cached
  under it, and no later bump can ever land on a value that older entries were cached under.
* The triggers are statement-level on PostgreSQL: one bump per statement, and they fire after the
  audit capture triggers, so the generation row is locked after the audit chain lock that recording
  the same change took (no new waits, no lock-order deadlock). SQLite has only row triggers.
  See decision 0007.
"""

from django.core.cache import cache
from django.db import connections
from django.utils import timezone

from accounts.selectors import ResolvedPermissions, user_permissions_resolve

ENTRY_TTL_SECONDS = 60 * 60 * 24
GENERATION_TABLE = "accounts_permission_generation"
# The tables whose rows decide permissions, each with the columns whose update counts (None: any).
TRACKED_TABLES: dict[str, tuple[str, ...] | None] = {
    "accounts_role": None,
    "accounts_permission": None,
    "accounts_rolepermission": None,
    "accounts_userrole": ("user_id", "role_id", "expires_at"),  # not the expiry job's book-keeping
    "accounts_user": ("status", "is_active", "is_superuser", "is_staff"),  # not last_login
}
# Adding or deleting an account changes no grant by itself: its assignments are accounts_userrole rows.
UPDATES_ONLY = frozenset({"accounts_user"})
# Trigger names sort after ``auditing_capture_*``: PostgreSQL fires a table's triggers alphabetically.
TRIGGER_PREFIX = "rbac_generation"

_RANDOM_VALUE = {"postgresql": "gen_random_uuid()::text", "sqlite": "lower(hex(randomblob(16)))"}
_READ = "SELECT value FROM accounts_permission_generation WHERE id = 1"
_BUMP = (
    "INSERT INTO accounts_permission_generation (id, value) VALUES (1, {random}) "
    "ON CONFLICT (id) DO UPDATE SET value = excluded.value"
)


def _entry_key(user_id: int) -> str:
    return f"rbac:permissions:{user_id}"


def permission_generation(using: str = "default") -> str | None:
    """The database's current permission generation, as this transaction sees it.

    ``None`` when the database keeps none (a vendor without the triggers, or the row deleted by hand):
    then nothing may be cached.
    """
    connection = connections[using]
    if connection.vendor not in _RANDOM_VALUE:
        return None
    with connection.cursor() as cursor:
        cursor.execute(_READ)
        row = cursor.fetchone()
    return row[0] if row else None


def invalidate_all(using: str = "default") -> None:
    """Renews the permission generation, so no cached entry is used again.

    For writes the triggers do not see (a restore with triggers disabled). Runs in the caller's
    transaction, if any: other processes see the new generation when it commits.
    """
    connection = connections[using]
    if connection.vendor in _RANDOM_VALUE:
        with connection.cursor() as cursor:
            cursor.execute(_BUMP.format(random=_RANDOM_VALUE[connection.vendor]))


def cached_permissions(user_id: int) -> ResolvedPermissions:
    """The user's permissions, from the cache when computed under the current generation and not yet
    expired, else resolved (one query) and cached.

    The generation is read before resolving: an entry may then hold grants newer than its generation,
    never older ones.
    """
    generation = permission_generation()
    now = timezone.now()
    if generation is None:
        return user_permissions_resolve(user_id=user_id, at=now)
    key = _entry_key(user_id)
    entry = cache.get(key)
    if entry is not None:
        entry_generation, resolved = entry
        if entry_generation == generation and resolved.holds_at(now):
            return resolved
    resolved = user_permissions_resolve(user_id=user_id, at=now)
    cache.set(key, (generation, resolved), timeout=ENTRY_TTL_SECONDS)
    return resolved


# The generation's table and functions are created by migration accounts 0003; its triggers are
# (re)created here, after that migration and again after every migrate (SQLite drops a table's triggers
# whenever Django rebuilds the table to alter it).


def generation_triggers_install(connection) -> bool:
    """(Re)creates every generation trigger; idempotent. False when the table is absent (migrated back)."""
    if connection.vendor not in _RANDOM_VALUE or GENERATION_TABLE not in connection.introspection.table_names():
        return False
    statements = _postgresql_triggers() if connection.vendor == "postgresql" else _sqlite_triggers()
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
    return True


def _events(table: str, vendor: str) -> tuple[str, ...]:
    if table in UPDATES_ONLY:
        return ("update",)
    return ("insert", "update", "delete", "truncate") if vendor == "postgresql" else ("insert", "update", "delete")


def _postgresql_triggers() -> list[str]:
    # The functions they run are versioned in migrations (accounts 0003), never rewritten from here.
    statements = []
    transitions = {
        "insert": "REFERENCING NEW TABLE AS new_rows",
        "update": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
        "delete": "REFERENCING OLD TABLE AS old_rows",
        "truncate": "",
    }
    for table, columns in TRACKED_TABLES.items():
        for event in _events(table, "postgresql"):
            name = f"{TRIGGER_PREFIX}_{event}"
            argument = f"'{', '.join(('id', *columns))}'" if event == "update" and columns else ""
            statements += [
                f"CREATE OR REPLACE TRIGGER {name} AFTER {event.upper()} ON {table} {transitions[event]} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION accounts_permission_generation_on_change({argument})",
                # Like the audit trail's guards: fire in sessions that replay rows too (replicas, restores).
                f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {name}",
            ]
    return statements


def _sqlite_triggers() -> list[str]:
    bump = _BUMP.format(random=_RANDOM_VALUE["sqlite"])
    statements = []
    for table, columns in TRACKED_TABLES.items():
        for event in _events(table, "sqlite"):
            name = f"{TRIGGER_PREFIX}_{table}_{event}"  # SQLite trigger names are per database
            if event == "update" and columns:
                changed = " OR ".join(f"OLD.{column} IS NOT NEW.{column}" for column in columns)
                when = f"UPDATE OF {', '.join(columns)} ON {table} FOR EACH ROW WHEN {changed}"
            else:
                when = f"{event.upper()} ON {table} FOR EACH ROW"
            statements += [f"DROP TRIGGER IF EXISTS {name}", f"CREATE TRIGGER {name} AFTER {when} BEGIN {bump}; END"]
    return statements


def generation_triggers_drop(connection) -> None:
    """Drops every generation trigger (migrating back below accounts 0003)."""
    if connection.vendor == "postgresql":
        statements = [
            f"DROP TRIGGER IF EXISTS {TRIGGER_PREFIX}_{event} ON {table}"
            for table in TRACKED_TABLES
            for event in _events(table, "postgresql")
        ]
    else:
        statements = [
            f"DROP TRIGGER IF EXISTS {TRIGGER_PREFIX}_{table}_{event}"
            for table in TRACKED_TABLES
            for event in _events(table, "sqlite")
        ]
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
