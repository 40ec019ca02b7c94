"""Hands the request context (who, from where, which request) to the capture triggers.

The triggers run inside PostgreSQL and cannot see Python's context variable, so before a write
statement we set the session variable ``auditing.context`` (JSON) that ``auditing_capture()`` reads.
It is sent only when it differs from what the connection already holds, so a request costs one small
extra statement at its first write and nothing on pages that only read.

Where it is set matters, because PostgreSQL undoes a ``set_config`` with the transaction that made it:
- outside a transaction (autocommit) it is set for the session and stays;
- inside ``atomic()`` it is set for the transaction only, and remembered by an ``on_commit`` marker:
  Django drops the marker exactly when the setting is undone (commit, rollback, or rolling back the
  savepoint it was set in), so a missing marker means "send it again".
"""

import json

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
        if sql.lstrip()[:6].upper() in WRITES and not sql.startswith('INSERT INTO "auditing_'):
            self._push(context["cursor"])
        return execute(sql, params, many, context)

    def _push(self, cursor) -> None:
        payload = context_payload()
        connection = self.connection
        if connection.get_autocommit():
            if payload != self.session_payload:
                cursor.cursor.execute(SET_CONTEXT, [payload, False])
                self.session_payload = payload
            return
        if self._holding() == payload:
            return
        cursor.cursor.execute(SET_CONTEXT, [payload, True])
        if connection.in_atomic_block:
            self.marker = _Marker(payload)
            connection.on_commit(self.marker)

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
