"""Operations sits below accounts (it may not import accounts' factories): its tests make their people with the
user model's own manager. A superuser holds every permission; plain staff hold none."""

import itertools

import pytest

_numbers = itertools.count(1)


@pytest.fixture
def superuser_maker(django_user_model):
    def make(**fields):
        return django_user_model.objects.create_superuser(email=f"operator{next(_numbers)}@example.com", **fields)

    return make


@pytest.fixture
def operator(superuser_maker):
    """Someone who holds every permission, so may change settings and run jobs."""
    return superuser_maker(full_name="Olga Operator")


@pytest.fixture
def onlooker(django_user_model):
    """Staff with no role: signs in, may do nothing here."""
    return django_user_model.objects.create_user(
        email=f"onlooker{next(_numbers)}@example.com", is_staff=True, full_name="Otto Onlooker"
    )
