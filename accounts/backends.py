"""Authentication: e-mail login, refused to suspended users."""

from django.contrib.auth.backends import ModelBackend

from accounts.models import UserStatus


class EmailBackend(ModelBackend):
    """Django's model backend, keyed on the case-insensitive e-mail address.

    A suspended user can neither log in nor keep using an existing session: Django asks
    ``user_can_authenticate`` both when logging in and when loading the user of each request.
    """

    def user_can_authenticate(self, user):
        return super().user_can_authenticate(user) and getattr(user, "status", None) == UserStatus.ACTIVE
