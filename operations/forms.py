"""The system settings page's form: one field per setting, and the values the page showed, signed.

Only what the person changed is sent on: a field left as the page showed it is not a change, so two
people saving the page at once do not undo each other's changes. A field someone else changed since
the page was shown is refused, with its new value, rather than overwritten: here, from the values read when
the request came in, and again by the service under its lock (someone may save in between). A setting's
rules are the service's (``operations.services.system_settings_update``); this form only tells what changed.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core import signing
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from operations.presentation import setting_value_text
from operations.selectors import SettingState
from operations.services import CHANGED_MEANWHILE

SHOWN_SALT = "operations.system-settings.shown"
# The form's own fields, besides one per setting.
OWN_FIELDS = frozenset({"csrfmiddlewaretoken", "shown"})


class OnOffInput(forms.Widget):
    """A switch drawn by the page as a hidden "off" and a checkbox "on" of the same name: unticked sends
    ["off"], ticked ["off", "on"], and a field missing from the request sends nothing (not a change)."""

    def value_from_datadict(self, data, files, name):
        return data.getlist(name) if hasattr(data, "getlist") else ([data[name]] if name in data else [])

    def value_omitted_from_data(self, data, files, name):
        return name not in data


class OnOffField(forms.Field):
    widget = OnOffInput

    def to_python(self, value: Any) -> bool | None:
        """True, False, or None when the field was not sent."""
        if not value:
            return None
        if value == ["off", "on"] or value == ["on"]:
            return True
        if value == ["off"]:
            return False
        raise ValidationError(gettext_lazy("Choose on or off."), code="invalid")


class SentTextField(forms.Field):
    """The text sent for a setting, as sent (None when not sent); the setting's own rules judge it."""

    def to_python(self, value: Any) -> str | None:
        return value if isinstance(value, str) else None


class SystemSettingsForm(forms.Form):
    shown = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, data=None, *, states: dict[str, SettingState]):
        super().__init__(data)
        self.states = states
        for key, state in states.items():
            self.fields[key] = (
                OnOffField(required=False) if state.setting.kind == "bool" else SentTextField(required=False)
            )
        self.changes: dict[str, Any] = {}
        # The value the page showed for each of `changes`, for the service to check again under its lock.
        self.shown_values: dict[str, Any] = {}
        self.conflicts: set[str] = set()

    def shown_token(self) -> str:
        """The values in force now, signed: what the page about to be drawn shows."""
        return signing.dumps({key: state.value for key, state in self.states.items()}, salt=SHOWN_SALT, compress=True)

    def input_value(self, key: str) -> Any:
        """What the field of ``key`` shows: the value in force, or what was sent for a change refused (so it
        can be corrected). A field someone else changed meanwhile shows their value."""
        state = self.states[key]
        if not self.is_bound or key in self.conflicts or not (key in self.changes or key in self.errors):
            return state.value
        sent = self.cleaned_data.get(key, self.data.get(key)) if hasattr(self, "cleaned_data") else self.data.get(key)
        if state.setting.kind == "bool":
            return sent if isinstance(sent, bool) else state.value
        return sent if isinstance(sent, str) else state.value

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        unknown = sorted(str(name)[:60] for name in self.data if name not in self.fields and name not in OWN_FIELDS)
        if unknown:
            raise ValidationError(
                _("This form has no setting named %(names)s: nothing was saved.") % {"names": ", ".join(unknown[:3])}
            )
        try:
            shown = signing.loads(cleaned.get("shown") or "", salt=SHOWN_SALT)
        except signing.BadSignature as error:
            raise ValidationError(
                _("This form was altered or is not from this page: nothing was saved. Here are the settings now.")
            ) from error
        if not isinstance(shown, dict):
            raise ValidationError(_("This form was altered or is not from this page: nothing was saved."))
        for key, state in self.states.items():
            sent = cleaned.get(key)
            if sent is None or not self._changed(state, sent, shown.get(key, state.value)):
                continue
            if shown.get(key, state.value) != state.value:
                self.conflicts.add(key)
                self.add_error(
                    key,
                    _("Someone changed this since the page was shown (now: %(value)s). Check it, then save again.")
                    % {"value": setting_value_text(state.setting, state.value)},
                )
                continue
            self.changes[key] = sent
            self.shown_values[key] = shown.get(key, state.value)
        return cleaned

    def refusal_add(self, refusal: ValidationError, *, states: dict[str, SettingState]) -> None:
        """Shows the service's ``refusal``, each message next to the field of its setting, over ``states``
        read after it (someone else's change may be its reason): a setting changed meanwhile
        (``CHANGED_MEANWHILE``) shows its value now, the others what was sent."""
        self.states = states
        if not hasattr(refusal, "error_dict"):
            self.add_error(None, refusal)
            return
        for key, errors in refusal.error_dict.items():
            if any(error.code == CHANGED_MEANWHILE for error in errors):
                self.conflicts.add(key)
            self.add_error(key if key in self.fields else None, errors)

    @staticmethod
    def _changed(state: SettingState, sent: Any, shown: Any) -> bool:
        """Whether ``sent`` differs from what the page showed; a value its setting refuses is a change
        (the service then says what is wrong with it)."""
        if state.setting.kind == "bool":
            return sent != shown
        try:
            return state.setting.clean(sent) != shown
        except ValidationError:
            return True
