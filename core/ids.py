"""Primary keys read from what a visitor sends (form fields, query strings, page links)."""

# Our primary keys are PostgreSQL bigints; a larger number would fail in the database, not here.
BIGINT_LIMIT = 2**63


def database_id(value: str) -> int:
    """``value`` as a primary key: ASCII digits naming a number from 1 to 2**63 - 1.

    Raises ``ValueError`` for anything else (``""``, ``"-1"``, ``"0"``, ``"²"``, ``"1e9"``, ``str(2**70)``),
    so a caller turns it into a clear 4xx or message instead of a database error.
    """
    if not (value.isascii() and value.isdigit()) or not 0 < int(value) < BIGINT_LIMIT:
        raise ValueError(f"not an id: {value!r}")
    return int(value)
