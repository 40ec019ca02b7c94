"""PostgreSQL databases for benchmarks: named next to the server of ``DATABASE_URL``, created on demand."""

from urllib.parse import urlsplit, urlunsplit


def with_database(url: str, name: str) -> str:
    """``url`` pointing at database ``name`` on the same server."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def create_database_if_missing(database_url: str) -> None:
    import psycopg
    from psycopg import sql

    name = urlsplit(database_url).path.lstrip("/")
    with psycopg.connect(with_database(database_url, "postgres"), autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


CAPTURE_EVENTS = ("insert", "update", "delete")


def capture_triggers_set(cursor, *, table: str, enabled: bool) -> None:
    """Switches the audit capture triggers of ``table`` on (``ENABLE ALWAYS``, as installed) or off.

    ``cursor`` is any DB-API cursor on the database (Django's or psycopg's); ``table`` is a plain table
    name. Off, a write to the table leaves no audit row: the bare write the benchmarks compare with.
    """
    verb = "ENABLE ALWAYS" if enabled else "DISABLE"
    for event in CAPTURE_EVENTS:
        cursor.execute(f'ALTER TABLE "{table}" {verb} TRIGGER auditing_capture_{event}')


def audit_last_id(cursor) -> int:
    """The last audit row id handed out (0 before the first): rows written later have higher ids."""
    cursor.execute("SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM auditing_auditlog_id_seq")
    return cursor.fetchone()[0]
