"""Access control for our own staff pages: an active staff account, then an explicit permission.

Deny by default, and ask on every request: a session opened while the account was staff gains nothing
once ``is_staff`` is unticked, as in the admin.
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied


def is_active_staff(user) -> bool:
    """Whether ``user`` may enter the staff side at all (the admin asks the same of its visitors)."""
    return bool(user.is_authenticated and user.is_active and user.is_staff)


def permission_required(*perms: str):
    """Requires an active staff account holding every one of ``perms`` (via ``user.has_perms``).

    Anonymous visitors and accounts that are not (or no longer) active staff are sent to the sign-in
    page, which says why; staff without the permission get 403.
    """

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not is_active_staff(request.user):
                return redirect_to_login(request.get_full_path())
            if not request.user.has_perms(perms):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
