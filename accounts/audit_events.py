"""Sign-in events for the audit trail: logins, logouts, failed attempts and lockouts.

Django announces these through its auth signals from wherever authentication happens (the admin's
sign-in page today, the help center tomorrow), and django-axes announces lockouts, so listening to
them is the one place that sees all.

Failed sign-ins are recorded once per burst: the first failure for a name from an address writes a
row; later ones only count (in the cache) until the burst goes quiet for the cool-off; the lockout
writes one row with the count. A guessing run therefore leaves a handful of rows, not one per guess.
The name is kept as typed only when it is an existing account; otherwise only its keyed hash
(``accounts.login_protection.name_hash``), so a password typed into the e-mail box is never stored.
"""

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.core.cache import cache
from django.dispatch import receiver
from django.utils import timezone

from accounts.login_protection import AttemptedName, attempted_name_for, client_address, cool_off
from auditing.models import AuditAction
from auditing.services import audit_record

_BURST_MEMO = "_login_failure_burst"


@receiver(user_logged_in, dispatch_uid="audit_login")
def record_login(sender, request, user, **kwargs):
    audit_record(action=AuditAction.LOGIN, entity=user, actor=user)
    if request is not None:
        # The account's next failure from here starts a new burst (and is recorded).
        cache.delete_many(_burst_keys(request, user.email.lower()))


@receiver(user_logged_out, dispatch_uid="audit_logout")
def record_logout(sender, request, user, **kwargs):
    if user is not None:  # signing out without a session announces no user
        audit_record(action=AuditAction.LOGOUT, entity=user, actor=user)


@receiver(user_login_failed, dispatch_uid="audit_login_failed")
def record_failed_login(sender, credentials, request=None, **kwargs):
    """Writes the first failure of a burst; later failures of the burst only count.

    Attempts refused because sign-in is paused checked no password and are not counted.
    """
    if _refused_while_paused(request):
        return
    name = attempted_name_for(request, credentials)
    _, first = _count_failure(request, name)
    if first:
        _record(AuditAction.LOGIN_FAILED, name)


@receiver(user_locked_out, dispatch_uid="audit_lockout")
def record_lockout(sender, request, username=None, ip_address=None, **kwargs):
    """Writes one row when a burst's failures pause sign-in, with the number of failures behind it.

    Axes announces the lockout again for each refused attempt and for every attempt that was already
    past the check when the limit was reached; only the first for a burst is recorded.
    """
    if request is None or _refused_while_paused(request):
        return
    name = attempted_name_for(request, getattr(request, "axes_credentials", None))
    failures, _ = _count_failure(request, name)
    if not cache.add(_burst_keys(request, _subject(name))[1], True, timeout=_burst_seconds()):
        return
    counted = getattr(request, "axes_failures_since_start", None) or 0
    _record(
        AuditAction.LOCKOUT,
        name,
        failures=max(failures, counted),
        paused_until=(timezone.now() + cool_off(request)).replace(microsecond=0).isoformat(),
    )


def _record(action: AuditAction, name: AttemptedName | None, **details) -> None:
    audit_record(
        action=action,
        entity_type="accounts.user",
        entity_id=name.user_id if name and name.user_id is not None else "",
        changes={**(name.audit_details() if name else {}), **details},
    )


def _count_failure(request, name: AttemptedName | None) -> tuple[int, bool]:
    """Counts this attempt into its burst, once per request (both receivers above may ask).

    Returns the burst's count so far and whether this attempt started it.
    """
    counted = getattr(request, _BURST_MEMO, None) if request is not None else None
    if counted is not None:
        return counted
    key = _burst_keys(request, _subject(name))[0]
    timeout = _burst_seconds()
    if cache.add(key, 1, timeout=timeout):
        counted = (1, True)
    else:
        try:
            counted = (cache.incr(key), False)
            cache.touch(key, timeout=timeout)
        except ValueError:  # the burst ended between the two calls: this failure starts the next
            cache.set(key, 1, timeout=timeout)
            counted = (1, True)
    if request is not None:
        setattr(request, _BURST_MEMO, counted)
    return counted


def _subject(name: AttemptedName | None) -> str:
    return name.lockout_key if name else "-"


def _burst_keys(request, subject: str) -> tuple[str, str]:
    """(failure count, lockout recorded) cache keys of the burst for ``subject`` from this address."""
    address = (client_address(request) if request is not None else None) or "-"
    return f"login-burst:{address}:{subject}", f"login-burst-locked:{address}:{subject}"


def _burst_seconds() -> int:
    # A burst ends once it has been quiet for as long as a lockout lasts.
    return int(cool_off().total_seconds())


def _refused_while_paused(request) -> bool:
    # Axes' backend marks an attempt it refuses before any password is checked; an attempt that was
    # checked and failed has its failure count set instead (AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT
    # is off, so refused attempts are never counted by axes either).
    return bool(getattr(request, "axes_locked_out", False)) and getattr(request, "axes_failures_since_start", 1) is None
