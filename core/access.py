"""Access control for our own staff pages: signed in, then an explicit permission. Deny by default."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied


def permission_required(*perms: str):
    """Requires a signed-in user holding every one of ``perms`` (via ``user.has_perm``).

    Anonymous visitors are sent to the sign-in page; signed-in users without the permission get 403.
    """

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not request.user.has_perms(perms):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
