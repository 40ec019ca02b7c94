"""Reads behind the audit and system log viewers: newest-first pages without counting a million rows.

Pages are keyset pages (``core.keyset``) on (created_at, id), newest first, which the tables' indexes
serve directly: page 1 and page 20,000 cost the same, and nothing counts the table.
"""

from django.db.models import QuerySet

from auditing.models import AuditLog


def audit_events(queryset: QuerySet | None = None) -> QuerySet:
    """Audit rows with their actor, ready for a page."""
    queryset = AuditLog.objects.all() if queryset is None else queryset
    return queryset.select_related("actor")


def entity_history(*, entity_type: str, entity_id: str) -> QuerySet:
    return audit_events(AuditLog.objects.filter(entity_type=entity_type, entity_id=entity_id))
