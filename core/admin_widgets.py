"""Admin autocomplete widgets that survive whatever a form was posted with.

Django's autocomplete widget re-renders a form that failed validation by looking up the posted values
as keys of the related table; a value that is not one ("abc", ``2**70``) makes that lookup raise, and
the admin answers 500 where it should show the form again with "Select a valid choice". These widgets
leave such values out of the lookup; the form's own validation still reports them.

``autocomplete_made_safe`` applies them to one admin (and the inlines it creates); the admin site calls
it for every model it registers, so no admin has to remember.
"""

from functools import wraps
from typing import TYPE_CHECKING

from django.contrib.admin import widgets
from django.core.exceptions import ValidationError

if TYPE_CHECKING:
    # To the type checker the mixin is the autocomplete widget it is mixed into; at run time it stays
    # a plain mixin.
    _AutocompleteWidget = widgets.AutocompleteMixin
else:
    _AutocompleteWidget = object


class _ParsableSelectionMixin(_AutocompleteWidget):
    def optgroups(self, name, value, attr=None):
        remote_opts = self.field.remote_field.model._meta
        target = remote_opts.get_field(getattr(self.field.remote_field, "field_name", remote_opts.pk.attname))
        return super().optgroups(name, [item for item in value if _is_valid_value(target, item)], attr)


def _is_valid_value(field, value) -> bool:
    try:
        field.run_validators(field.to_python(value))
    except (ValidationError, ValueError, TypeError, OverflowError):
        return False
    return True


class AutocompleteSelect(_ParsableSelectionMixin, widgets.AutocompleteSelect):
    pass


class AutocompleteSelectMultiple(_ParsableSelectionMixin, widgets.AutocompleteSelectMultiple):
    pass


def autocomplete_made_safe(model_admin) -> None:
    """Makes ``model_admin`` (a ModelAdmin or inline instance) build its autocompletes from the safe widgets."""

    def passing_safe_widget(formfield_for, widget_class):
        @wraps(formfield_for)
        def formfield(db_field, request, **kwargs):
            if "widget" not in kwargs and db_field.name in model_admin.get_autocomplete_fields(request):
                kwargs["widget"] = widget_class(db_field, model_admin.admin_site, using=kwargs.get("using"))
            return formfield_for(db_field, request, **kwargs)

        return formfield

    def inlines_made_safe(get_inline_instances):
        @wraps(get_inline_instances)
        def inline_instances(request, obj=None):
            instances = get_inline_instances(request, obj)
            for inline in instances:
                autocomplete_made_safe(inline)
            return instances

        return inline_instances

    model_admin.formfield_for_foreignkey = passing_safe_widget(model_admin.formfield_for_foreignkey, AutocompleteSelect)
    model_admin.formfield_for_manytomany = passing_safe_widget(
        model_admin.formfield_for_manytomany, AutocompleteSelectMultiple
    )
    if hasattr(model_admin, "get_inline_instances"):
        model_admin.get_inline_instances = inlines_made_safe(model_admin.get_inline_instances)
