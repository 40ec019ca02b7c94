"""Hands the request context (who, from where, which request) to the capture triggers.

The triggers run inside PostgreSQL and cannot see Python's context variable, so before a write
statement we set the session variable ``auditing.context`` (JSON; a PostgreSQL setting, not a module)
that ``auditing_capture()`` reads.
It is sent only when it differs from what the connection already holds, in the same round trip as the
write (two statements in one message), so a request pays almost nothing at its first write and
nothing at all on pages that only read.

Where it is set matters, because PostgreSQL undoes a ``set_config`` with the transaction that made it:
- outside a transaction (autocommit) it is set for the session and stays;
- inside ``atomic()`` it is set for the transaction only, and remembered by an ``on_commit`` marker:
  Django drops the marker exactly when the setting is undone (commit, rollback, or rolling back the
  savepoint it was set in), so a missing marker means "send it again".
"""

import json

import psycopg
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created
from django.dispatch import receiver

from auditing.services import actor_identity
from core import request_context

WRITES = ("INSERT", "UPDATE", "DELETE")
SET_CONTEXT = "SELECT set_config('auditing.context', %s, %s)"


def context_payload() -> str:
    """The bound context as the JSON the capture triggers read."""
    context = request_context.current()
    actor, actor_label = actor_identity(context)
    return json.dumps(
        {
            "actor_id": actor.pk if actor is not None else None,
            "actor_label": actor_label,
            "ip": context.ip_address,
            "user_agent": context.user_agent,
            "request_id": context.request_id,
        },
        separators=(",", ":"),
    )


class _Marker:
    """A no-op ``on_commit`` callback whose presence says "the context set in this transaction holds"."""

    __slots__ = ("payload",)

    def __init__(self, payload: str) -> None:
        self.payload = payload

    def __call__(self) -> None:
        return None


class ContextPusher:
    """An execute wrapper (one per connection) sending the context before write statements."""

    def __init__(self, connection: BaseDatabaseWrapper) -> None:
        self.connection = connection
        self.session_payload: str | None = None  # what the session holds outside any transaction
        self.marker: _Marker | None = None

    def reset(self) -> None:
        """A new database session holds nothing yet."""
        self.session_payload = None
        self.marker = None

    def __call__(self, execute, sql, params, many, context):
        if sql.lstrip()[:6].upper() not in WRITES or sql.startswith('INSERT INTO "auditing_'):
            return execute(sql, params, many, context)
        payload = context_payload()
        is_local = self._needed(payload)
        if is_local is None:
            return execute(sql, params, many, context)
        raw = context["cursor"].cursor
        if many or not isinstance(params, list | tuple) or not isinstance(raw, psycopg.ClientCursor):
            raw.execute(SET_CONTEXT, [payload, is_local])
            result = execute(sql, params, many, context)
        else:
            # Same round trip: both statements in one message (client-side binding allows several);
            # then step to the write's own result, which is what the caller reads.
            result = execute(f"{SET_CONTEXT}; {sql}", [payload, is_local, *params], many, context)
            raw.nextset()
        self._remember(payload, is_local)
        return result

    def _needed(self, payload: str) -> bool | None:
        """None when the connection already holds ``payload``; else whether to set it
        transaction-locally (True) or for the session (False)."""
        if self.connection.get_autocommit():
            return None if payload == self.session_payload else False
        return None if self._holding() == payload else True

    def _remember(self, payload: str, is_local: bool) -> None:
        if not is_local:
            self.session_payload = payload
        elif self.connection.in_atomic_block:
            self.marker = _Marker(payload)
            self.connection.on_commit(self.marker)

    def _holding(self) -> str | None:
        """What the current transaction holds: its own setting if still in force, else the session's."""
        marker = self.marker
        if marker is not None and any(entry[1] is marker for entry in self.connection.run_on_commit):
            return marker.payload
        return self.session_payload


@receiver(connection_created, dispatch_uid="auditing.db_context")
def install_context_pusher(sender, connection: BaseDatabaseWrapper, **kwargs) -> None:
    if connection.vendor != "postgresql":
        return
    pusher = next((w for w in connection.execute_wrappers if isinstance(w, ContextPusher)), None)
    if pusher is None:
        connection.execute_wrappers.append(ContextPusher(connection))
    else:
        pusher.reset()
