"""Login protection: what django-axes is configured to call, and the answer to a paused sign-in.

django-axes (settings: the "Login protection" block of ``config/settings/base.py``; decision 0011)
counts failed sign-ins in the database and, from its authentication backend listed first, refuses
every ``authenticate(request=...)`` while the account typed, or the address it comes from, has failed
``LOGIN_FAILURE_LIMIT`` times within ``LOGIN_COOLOFF_MINUTES``. So the admin's sign-in page, the staff
pages (which sign in through it) and any later sign-in page are covered without code of their own.

This module decides how an attempt is named (an existing account by its address, anything else by a
keyed hash, so text typed into the e-mail box is never stored), where it comes from (the address
``core.request_context`` trusts), what the paused sign-in answers (the same page whether or not the
account exists) and that a successful sign-in clears the account's failures.
"""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from axes.helpers import get_client_parameters, get_client_user_agent, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in
from django.db.models import Max, Sum
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.crypto import salted_hmac

from core.request_context import client_ip

#: Longer than any e-mail address (RFC 5321): such a name cannot be an account.
MAX_NAME_LENGTH = 254
#: Hex digits kept of the keyed hash: enough to tell attempts apart, no more.
NAME_HASH_LENGTH = 16
_NAME_HASH_SALT = "accounts.login_protection.attempted_name"
_REQUEST_MEMO = "_attempted_names"


@dataclass(frozen=True)
class AttemptedName:
    """A name typed into a sign-in form, as the product may keep it.

    ``email`` is the account's address when the name is an existing account (matched ignoring case),
    else empty; ``digest`` is the keyed hash of the name, the only trace kept of an unknown name.
    """

    email: str
    user_id: int | None
    typed: str
    digest: str

    @property
    def lockout_key(self) -> str:
        """What axes counts failures under: the account's address, or the hash of an unknown name."""
        return self.email if self.user_id is not None else f"hash:{self.digest}"

    def audit_details(self) -> dict[str, str]:
        """The audit row's record of the name: as typed for an account, else only its keyed hash."""
        return {"attempted": self.typed} if self.user_id is not None else {"attempted_hash": self.digest}


def name_hash(typed: str) -> str:
    """HMAC-SHA256 of the name (trimmed, lower-cased) under a key derived from ``SECRET_KEY``, truncated.

    The same name always gives the same hash, so repeated attempts can be correlated; without the
    secret key the hash says nothing about the text. A new ``SECRET_KEY`` starts new hashes.
    """
    digest = salted_hmac(_NAME_HASH_SALT, typed.strip().lower(), algorithm="sha256").hexdigest()
    return digest[:NAME_HASH_LENGTH]


def attempted_name(typed: str) -> AttemptedName:
    """Names ``typed``: one query for the account it matches, if any."""
    typed = typed.strip()
    user = None
    if typed and len(typed) <= MAX_NAME_LENGTH:
        users = get_user_model().objects
        user = users.filter(users.email_matches(typed)).only("pk", "email").first()
    return AttemptedName(
        email=user.email.lower() if user else "",
        user_id=user.pk if user else None,
        typed=typed[:MAX_NAME_LENGTH],
        digest=name_hash(typed),
    )


def attempted_name_for(request: HttpRequest | None, credentials: dict | None) -> AttemptedName | None:
    """The name an attempt was made with (from its credentials, else the posted form), or None.

    Remembered on the request: axes asks several times per attempt, and the answer costs a query.
    """
    typed = _typed_name(request, credentials)
    if typed is None:
        return None
    memo = getattr(request, _REQUEST_MEMO, None) if request is not None else None
    if memo is None:
        memo = {}
        if request is not None:
            setattr(request, _REQUEST_MEMO, memo)
    if typed not in memo:
        memo[typed] = attempted_name(typed)
    return memo[typed]


def lockout_name(request: HttpRequest | None, credentials: dict | None) -> str | None:
    """``AXES_USERNAME_CALLABLE``: the key failures are counted under (see ``AttemptedName``).

    Case variants of an address count as one account, and no unknown name is stored in clear in
    axes' table either.
    """
    name = attempted_name_for(request, credentials)
    return name.lockout_key if name else None


def client_address(request: HttpRequest) -> str | None:
    """``AXES_CLIENT_IP_CALLABLE``: the address the audit trail records (trusted proxies only)."""
    return client_ip(request.META)


def cool_off(request: HttpRequest | None = None) -> timedelta:
    """``AXES_COOLOFF_TIME``: how long sign-in stays paused (``LOGIN_COOLOFF_MINUTES``)."""
    return timedelta(minutes=settings.LOGIN_COOLOFF_MINUTES)


def paused_until(request: HttpRequest, credentials: dict | None = None) -> datetime:
    """When sign-in resumes for this attempt's account and address, at the latest.

    Each lockout parameter (the account, the address) at or over the limit is paused until its latest
    counted failure is older than the cool-off; the latest of those is the answer. Failures age out one
    by one, so a pause may lift earlier, never later.
    """
    now = timezone.now()
    window = cool_off(request)
    parameters = get_client_parameters(
        lockout_name(request, credentials),
        client_address(request),
        get_client_user_agent(request),
        request,
        credentials,
    )
    limit = get_failure_limit(request, credentials)
    ends = []
    for filters in parameters:
        counted = AccessAttempt.objects.filter(**filters, attempt_time__gte=now - window).aggregate(
            failures=Sum("failures_since_start"), latest=Max("attempt_time")
        )
        if counted["failures"] and counted["failures"] >= limit:
            ends.append(counted["latest"] + window)
    return max(ends, default=now + window)


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict | None = None
) -> HttpResponse:
    """``AXES_LOCKOUT_CALLABLE``: the page a paused sign-in answers, with 429 and ``Retry-After``.

    It names neither the account nor whether it exists: the same words and times answer a real
    account and a made-up one, so the page cannot be used to find out which addresses have accounts.
    """
    retry_at = paused_until(request, credentials)
    seconds = max(0, math.ceil((retry_at - timezone.now()).total_seconds()))
    response = render(
        request,
        "accounts/login_paused.html",
        {
            "title": "Sign-in paused",
            "site_title": settings.PRODUCT_NAME,
            "site_header": settings.PRODUCT_NAME,
            "retry_at": retry_at,
            "minutes": max(1, math.ceil(seconds / 60)),
        },
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )
    response["Retry-After"] = str(seconds)
    return response


@receiver(user_logged_in, dispatch_uid="login_protection_reset_on_sign_in")
def reset_failures_on_sign_in(sender, request, user, **kwargs):
    """A successful sign-in clears the failures counted against that account, from every address.

    Only the account's: axes' own ``AXES_RESET_ON_SUCCESS`` also clears everything counted against
    the address, so someone holding one account could sign into it after every few guesses at
    another account and never be paused.
    """
    from axes.handlers.proxy import AxesProxyHandler

    AxesProxyHandler.reset_attempts(username=user.get_username().lower())


def _typed_name(request: HttpRequest | None, credentials: dict | None) -> str | None:
    # authenticate() is called with username= (the admin's form) or with the model's own field
    # (email=); a bare request (no credentials) is read from its form.
    if credentials:
        value = credentials.get("username") or credentials.get(get_user_model().USERNAME_FIELD)
    elif request is not None:
        value = getattr(request, "POST", {}).get("username")
    else:
        value = None
    if value is None:
        return None
    return str(value)
