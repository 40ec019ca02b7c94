"""Forms for users (Django's own assume a ``username``), roles, role grants and notification preferences."""

import re
from typing import Any

from django import forms
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, User
from accounts.notification_selectors import ChannelPreference
from accounts.services import user_access_change_check


class _UniqueEmailMixin:
    """Rejects an e-mail address another user has in any letter case, with a readable error.

    The database's case-insensitive unique index is the real guarantee; without this check its
    violation would surface as a message naming the constraint.
    """

    # Provided by the model form it is mixed into.
    cleaned_data: dict[str, Any]
    instance: User

    def clean_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data["email"]).lower()
        if User.objects.filter(User.objects.email_matches(email)).exclude(pk=self.instance.pk).exists():
            raise ValidationError(gettext("A user with this e-mail address already exists."), code="unique")
        return email


class UserCreationForm(_UniqueEmailMixin, AdminUserCreationForm):
    """The admin's "add user" form: e-mail, name, and a password typed twice (or none, if disabled)."""

    class Meta:
        model = User
        fields = ("email", "full_name")


class UserEditForm(_UniqueEmailMixin, UserChangeForm):
    """The admin's "change user" form: every field; the password only through its own form.

    Suspending or deactivating someone is checked against the RBAC invariants (never the last lasting
    SUPER_ADMIN, never oneself, never someone stronger) for ``actor``, set by the admin.
    """

    actor = None

    def clean(self):
        cleaned = super().clean()
        if self.actor is not None and self.instance.pk and {"status", "is_active"} & set(self.changed_data):
            try:
                user_access_change_check(
                    user=self.instance,
                    actor=self.actor,
                    new_status=cleaned.get("status", self.instance.status),
                    new_is_active=cleaned.get("is_active", self.instance.is_active),
                )
            except ValidationError as error:
                self.add_error(None, error)
        return cleaned

    class Meta:
        model = User
        fields = "__all__"
        field_classes: dict[str, type[forms.Field]] = {}  # Django's form maps a `username` field we do not have


class RoleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=64, help_text=_("Upper case, e.g. FINANCE_REVIEWER."))
    description = forms.CharField(label=_("Description"), required=False, widget=forms.TextInput(attrs={"size": 60}))

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip().upper()
        if not re.fullmatch(r"[A-Z][A-Z0-9_]{1,63}", name):
            raise ValidationError(gettext("Use letters, digits and underscores, starting with a letter."))
        return name


class UserRoleGrantForm(forms.Form):
    role = forms.ModelChoiceField(
        label=_("Role"), queryset=Role.objects.order_by("name"), empty_label=_("Choose a role…")
    )
    expires_at = forms.DateTimeField(
        label=_("Expires at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def clean_expires_at(self):
        expires_at = self.cleaned_data["expires_at"]
        if expires_at is not None and expires_at <= timezone.now():
            raise ValidationError(gettext("The expiry must be in the future."))
        return expires_at


class NotificationPreferencesForm(forms.Form):
    """One switch per channel of ``preferences`` (``accounts.notification_selectors.notification_preferences_for``),
    named by the channel in lower case. The in-app one is shown on and cannot be changed: a disabled field
    keeps its initial value whatever is posted."""

    def __init__(self, *args, preferences: list[ChannelPreference], **kwargs):
        super().__init__(*args, **kwargs)
        self.preferences = preferences
        for preference in preferences:
            self.fields[preference.channel.lower()] = forms.BooleanField(
                label=preference.label, required=False, initial=preference.enabled, disabled=preference.always_on
            )

    def enabled(self) -> dict[str, bool]:
        """Channel -> on or off, for ``notification_preferences_set``; after ``is_valid()``."""
        return {
            preference.channel: bool(self.cleaned_data[preference.channel.lower()]) for preference in self.preferences
        }

    def rows(self) -> list:
        """(preference, bound field) for each channel, in the page's order."""
        return [(preference, self[preference.channel.lower()]) for preference in self.preferences]
