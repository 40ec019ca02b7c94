"""Who is acting, from where, in which request: set once per request (or task), read by audit and logs.

Nothing passes this by hand. ``RequestContextMiddleware`` binds it for each request; Celery tasks and
management commands bind a system actor with ``bind_system_actor`` (``core.task_base`` and
``core.management.base`` do it for every task and command).
"""

import functools
import ipaddress
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

USER_AGENT_MAX_LENGTH = 512


# The labels recorded for work no user does; the audit viewer shows them in the reader's language.
SYSTEM_ACTOR = "system"
SYSTEM_JOB_PREFIX = "system: "  # followed by the job's name
ANONYMOUS_ACTOR = "anonymous"


@dataclass(frozen=True)
class RequestContext:
    user: Any = None  # the request's (lazy) user; None for system work
    actor_label: str = ""  # e.g. "system: compute_kpis" when no user acts
    ip_address: str | None = None
    user_agent: str = ""
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)

    @property
    def actor(self):
        """The acting user, or None (anonymous visitors and system work have no user)."""
        user = self.user
        if user is None or not getattr(user, "is_authenticated", False):
            return None
        return user


_current: ContextVar[RequestContext | None] = ContextVar("request_context", default=None)


# Work outside any request, task or command (a test, a thread): no request id to correlate by.
_UNBOUND = RequestContext(actor_label=SYSTEM_ACTOR, request_id="")


def current() -> RequestContext:
    """The context bound for this request or task; an empty one when nothing is bound."""
    return _current.get() or _UNBOUND


@contextmanager
def bind(context: RequestContext) -> Iterator[RequestContext]:
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)


@contextmanager
def bind_system_actor(name: str) -> Iterator[RequestContext]:
    """Marks work done by a job or command, e.g. ``bind_system_actor("compute_kpis")``."""
    with bind(RequestContext(actor_label=f"{SYSTEM_JOB_PREFIX}{name}")) as context:
        yield context


def client_ip(meta: dict) -> str | None:
    """The client's address, trusting ``X-Forwarded-For`` only across proxies listed in settings.

    Walks the forwarded chain from the right (the hop nearest to us), skipping addresses of trusted
    proxies; the first untrusted address is the client. Anything unparsable is ignored.
    """
    trusted = _trusted_networks()
    remote = _parse_ip(meta.get("REMOTE_ADDR", ""))
    if remote is None or not _is_trusted(remote, trusted):
        return str(remote) if remote else None
    hops = [hop.strip() for hop in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        address = _parse_ip(hop)
        if address is None:
            break
        if not _is_trusted(address, trusted):
            return str(address)
    return str(remote)


def _is_trusted_remote(meta: dict) -> bool:
    remote = _parse_ip(meta.get("REMOTE_ADDR", ""))
    return remote is not None and _is_trusted(remote, _trusted_networks())


def _trusted_networks():
    return _parsed_networks(tuple(settings.TRUSTED_PROXIES))


@functools.lru_cache(maxsize=8)
def _parsed_networks(networks: tuple[str, ...]) -> list:
    # Parsed once per configured value rather than on every request.
    return [ipaddress.ip_network(network, strict=False) for network in networks]


def _is_trusted(address, networks) -> bool:
    return any(address in network for network in networks)


def _parse_ip(value: str):
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


class RequestContextMiddleware:
    """Binds the request's context for everything it calls; echoes the request id in a header."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # A request id is believed only from our own proxies; a client could otherwise stamp audit
        # rows with an id of its choosing.
        from_proxy = _is_trusted_remote(request.META)
        incoming_id = request.headers.get("X-Request-ID", "") if from_proxy else ""
        context = RequestContext(
            user=getattr(request, "user", None),
            # Who acted when nobody is signed in: a failed sign-in, a lockout, a help-center visitor.
            actor_label=ANONYMOUS_ACTOR,
            ip_address=client_ip(request.META),
            user_agent=request.headers.get("User-Agent", "")[:USER_AGENT_MAX_LENGTH],
            request_id=incoming_id[:64] if incoming_id.isprintable() and incoming_id else uuid.uuid4().hex,
        )
        request.request_id = context.request_id
        with bind(context):
            response = self.get_response(request)
        response["X-Request-ID"] = context.request_id
        return response
