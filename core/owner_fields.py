"""Owner fields: who sent, wrote, requested or uploaded a row is the signed-in user, unless they may act for others.

A model declares its owner fields once, as ``OwnerField`` values (the field, the permission to name
someone else, and what "oneself" is: the user, or for a consultant-owned row the user's consultant
profile). The same rule is then applied

- by services, through ``owner_fields_apply`` (``PermissionDenied`` / ``ValidationError``), and
- by the admin, through ``OwnerFieldsAdminMixin``: without the permission the field is shown but
  disabled, a new row gets the signed-in user's own value whatever was posted, and an existing row
  keeps its owner.

Holders of the permission pick any owner. Django's superusers hold every permission, as everywhere.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from django.contrib import admin
from django.contrib.admin.widgets import RelatedFieldWidgetWrapper
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Field, Model
from django.http import HttpRequest


def signed_in_user(user: Any) -> Any:
    """The owner value of a user-owned field: the user themselves."""
    return user


@dataclass(frozen=True)
class OwnerField:
    """A field naming who owns a row, e.g. ``OwnerField("sender", "accounts.act_for_user")``.

    ``own(user)`` is the value the field takes when ``user`` creates the row without ``permission``;
    it returns ``None`` when the user has none (no consultant profile), and the write is refused with
    ``no_own_message``.
    """

    name: str
    permission: str
    own: Callable[[Any], Model | None] = signed_in_user
    no_own_message: str = "Your account cannot own this."


def owner_fields_apply(*, instance: Model, actor: Any, fields: Iterable[OwnerField]) -> None:
    """Fills in and checks ``instance``'s owner fields before ``actor`` saves it (it does not save).

    For each field whose permission ``actor`` lacks: a new row with the field unset gets ``actor``'s own
    value; a new row naming anyone else, or an existing row whose stored owner differs, is refused.
    Raises ``PermissionDenied`` for someone else's name, ``ValidationError`` (keyed by the field) when
    ``actor`` has no own value. Holders of the permission pass unchanged.
    """
    for field in fields:
        if actor.has_perm(field.permission):
            continue
        # An owner is a forward relation, never a reverse one, so the field is a concrete Field.
        model_field = cast(Field, instance._meta.get_field(field.name))
        named = getattr(instance, model_field.attname)
        if instance._state.adding:
            own = field.own(actor)
            if own is None:
                raise ValidationError({field.name: field.no_own_message})
            if named is None:
                setattr(instance, field.name, own)
            elif named != own.pk:
                raise PermissionDenied(
                    f"You may only name yourself as the {model_field.verbose_name} of a {instance._meta.verbose_name}."
                )
        else:
            stored = (
                type(instance)._default_manager.filter(pk=instance.pk).values_list(model_field.attname, flat=True).get()
            )
            if named != stored:
                raise PermissionDenied(
                    f"You may not change the {model_field.verbose_name} of a {instance._meta.verbose_name}."
                )


if TYPE_CHECKING:
    # To the type checker the mixin is the ModelAdmin it is mixed into, so its ``super()`` calls are
    # checked; at run time it stays a plain mixin.
    _ModelAdmin = admin.ModelAdmin
else:
    _ModelAdmin = object


class OwnerFieldsAdminMixin(_ModelAdmin):
    """A ModelAdmin whose ``owner_fields`` follow ``owner_fields_apply``'s rule in its forms.

    Without a field's permission the field is disabled (the browser cannot change it and Django ignores
    whatever is posted for it), an add form shows and saves the signed-in user's own value, and a user
    with none gets a form error instead of a row. ``save_model`` applies the rule once more, so an admin
    that saves through a service which applies it too loses nothing by overriding it.
    """

    owner_fields: tuple[OwnerField, ...] = ()

    def locked_owner_fields(self, request: HttpRequest) -> list[OwnerField]:
        """The owner fields ``request.user`` may not set to anyone else."""
        return [field for field in self.owner_fields if not request.user.has_perm(field.permission)]

    def formfield_for_dbfield(self, db_field, request: HttpRequest, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if formfield is not None and db_field.name in {field.name for field in self.locked_owner_fields(request)}:
            formfield.disabled = True
            formfield.required = False  # the value comes from `clean_<field>` below, not from the request
            formfield.help_text = "Set to you: only someone allowed to act for others may choose it."
            if isinstance(formfield.widget, RelatedFieldWidgetWrapper):
                widget = formfield.widget
                widget.can_add_related = widget.can_change_related = widget.can_delete_related = False
                widget.can_view_related = False
        return formfield

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        # Initial values are whatever the form field takes (here a primary key or None), not only the
        # strings of the query string the stubs describe.
        initial: dict[str, Any] = super().get_changeform_initial_data(request)
        for field in self.locked_owner_fields(request):
            own = field.own(request.user)
            initial[field.name] = own.pk if own is not None else None
        return initial

    def get_form(self, request: HttpRequest, obj: Model | None = None, change: bool = False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        locked = self.locked_owner_fields(request)
        if obj is not None or not locked:
            return form  # an existing row's disabled owner keeps its stored value
        cleaners = {f"clean_{field.name}": _own_value_cleaner(field, request.user) for field in locked}
        return type(form.__name__, (form,), cleaners)

    def save_model(self, request: HttpRequest, obj: Model, form, change: bool) -> None:
        owner_fields_apply(instance=obj, actor=request.user, fields=self.owner_fields)
        super().save_model(request, obj, form, change)


def _own_value_cleaner(field: OwnerField, user: Any) -> Callable[[Any], Model]:
    def clean(form) -> Model:
        own = field.own(user)
        if own is None:
            raise ValidationError(field.no_own_message)
        return own

    return clean
