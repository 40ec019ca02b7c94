"""The rows an admin action is asked to act on: named by ids that can be ids, whatever was posted.

Django's changelist hands the posted ``_selected_action`` values straight to ``filter(pk__in=...)``; a
tampered value ("abc", a NUL byte, 2**70) then fails in the database while the action runs, a server error.
The admin site checks them first on every admin it registers (``core.admin_site``) and answers 400.
"""

from functools import wraps

from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import BadRequest, ValidationError
from django.db.models import Field, ForeignKey, IntegerField

from core.ids import database_id


def selected_rows_checked(model_admin: admin.ModelAdmin) -> None:
    """Makes ``model_admin``'s actions refuse, with a 400, a selection naming something no row can be."""
    response_action = model_admin.response_action
    pk = _stored_key(model_admin.model._meta.pk)

    @wraps(response_action)
    def checked_response_action(request, queryset):
        for value in request.POST.getlist(ACTION_CHECKBOX_NAME):
            if not _is_key(pk, value):
                raise BadRequest(f"The selection names {value[:40]!r}, which is not the id of any row.")
        return response_action(request, queryset)

    model_admin.response_action = checked_response_action  # type: ignore[method-assign, assignment]


def _stored_key(pk: Field) -> Field:
    """The field whose values the primary key holds (the target of a one-to-one key)."""
    while isinstance(pk, ForeignKey):
        pk = pk.target_field
    return pk


def _is_key(pk: Field, value: str) -> bool:
    if "\x00" in value:  # no column of ours can hold it; PostgreSQL refuses it in any text
        return False
    try:
        if isinstance(pk, IntegerField):
            database_id(value)
        else:
            pk.run_validators(pk.to_python(value))
    except (ValueError, ValidationError):
        return False
    return True
