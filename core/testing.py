"""Assertions shared by the tests of every app; they import no app (``core`` is the ground)."""

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import IntegrityError, connections, transaction
from django.db.models import Model
from django.test import Client
from django.urls import reverse


def assert_rejected(create: Callable[[], object]) -> None:
    """Asserts that the database itself refuses what ``create`` writes (a constraint, not a form).

    The attempt runs in its own savepoint, so the test's transaction stays usable afterwards.
    """
    with pytest.raises(IntegrityError), transaction.atomic():
        create()


def admin_url(model: type[Model], view: str, *args) -> str:
    """The admin's ``view`` page (``"changelist"``, ``"add"``, ``"change"``, ...) of ``model``."""
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)


def signed_in(user) -> Client:
    """A test client signed in as ``user`` (no password, no sign-in page)."""
    client = Client()
    client.force_login(user)
    return client


def messages_shown(response) -> list[str]:
    """The messages a rendered page showed, as text."""
    return [str(message) for message in response.context["messages"]]


def in_thread(work: Callable[[], Any]) -> tuple[threading.Thread, dict[str, Any]]:
    """Starts ``work`` in a thread, so on database connections of its own (for transactional tests: what one
    commits, the other sees). Returns the thread and a dict that gets ``work``'s ``result``, or the
    ``error`` it raised, once the thread ends."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["result"] = work()
        except Exception as error:  # noqa: BLE001 - the test asserts on whatever escaped
            outcome["error"] = error
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome
