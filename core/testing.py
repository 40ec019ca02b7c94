"""Assertions shared by the tests of every app; they import no app (``core`` is the ground)."""

from collections.abc import Callable

import pytest
from django.db import IntegrityError, transaction
from django.db.models import Model
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
