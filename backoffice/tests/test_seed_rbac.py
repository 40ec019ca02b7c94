"""`manage.py seed_rbac`: all the reference data at once (RBAC, specialties, the default commission), once."""

from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command

from accounts.models import Permission, Role, RolePermission
from billing.models import ServiceCommission
from billing.tests.factories import ServiceCommissionFactory
from consultants.models import Specialty
from consultants.tests.factories import SpecialtyFactory

pytestmark = pytest.mark.django_db


def seed_rbac() -> str:
    out = StringIO()
    call_command("seed_rbac", stdout=out)
    return out.getvalue()


def snapshot() -> dict[str, set]:
    return {
        "roles": set(Role.objects.values_list("name", "description", "is_system")),
        "permissions": set(Permission.objects.values_list("resource", "action", "description")),
        "grants": set(RolePermission.objects.values_list("role__name", "permission__resource", "permission__action")),
        "specialties": set(Specialty.objects.values_list("name", "slug")),
        "commissions": set(
            ServiceCommission.objects.values_list("service", "category", "rate_percent", "effective_from")
        ),
    }


def test_a_first_run_reports_what_it_created():
    # when
    output = seed_rbac()

    # then
    assert "roles: 4 created, 0 up to date" in output
    assert "specialties: 8 created, 0 up to date" in output
    rate = settings.PLATFORM_DEFAULT_COMMISSION_PERCENT
    assert f"platform-default commission: created, {rate}% from 2020-01-01" in output
    assert "RBAC and reference data seeded." in output


def test_running_it_twice_gives_identical_rows_and_reports_nothing_created():
    # given
    seed_rbac()
    before = snapshot()

    # when
    output = seed_rbac()

    # then
    assert snapshot() == before
    assert "roles: 0 created, 4 up to date" in output
    assert "permissions: 0 created" in output
    assert "role grants: 0 created" in output
    assert "specialties: 0 created, 8 up to date" in output
    assert "platform-default commission: up to date" in output


def test_it_seeds_the_default_specialties_with_slugs():
    seed_rbac()

    assert set(Specialty.objects.values_list("name", "slug")) == {
        ("Economic", "economic"),
        ("Financial", "financial"),
        ("Legal", "legal"),
        ("Marketing", "marketing"),
        ("Technology", "technology"),
        ("Management", "management"),
        ("Human Resources", "human-resources"),
        ("Engineering", "engineering"),
    }


def test_a_specialty_that_exists_under_another_casing_is_not_duplicated():
    # given
    SpecialtyFactory(name="economic", slug="economic")

    # when
    output = seed_rbac()

    # then
    assert Specialty.objects.filter(name__iexact="economic").count() == 1
    assert "specialties: 7 created, 1 up to date" in output


def test_it_creates_the_platform_default_commission_once():
    # when
    seed_rbac()
    seed_rbac()

    # then
    default = ServiceCommission.objects.get(service=None, category=None)
    assert default.rate_percent == settings.PLATFORM_DEFAULT_COMMISSION_PERCENT
    assert default.effective_from.isoformat() == "2020-01-01"
    assert default.is_active


def test_an_active_default_commission_is_left_alone():
    # given
    ServiceCommissionFactory(rate_percent="12.00")

    # when
    output = seed_rbac()

    # then
    assert list(ServiceCommission.objects.values_list("rate_percent", flat=True)) == [12]
    assert "platform-default commission: up to date" in output


def test_an_ended_default_commission_does_not_count():
    # given
    ServiceCommissionFactory(rate_percent="12.00", effective_to="2024-12-31")

    # when
    seed_rbac()

    # then
    assert ServiceCommission.objects.filter(service=None, category=None, effective_to=None).count() == 1
