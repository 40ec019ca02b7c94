"""Which commission rule applies to a booking: the service's, else its category's, else the default, that day."""

from datetime import date
from decimal import Decimal
from typing import NamedTuple

import pytest

from billing.selectors import commission_rule_for, commission_rule_in_force
from billing.tests.factories import ServiceCommissionFactory
from consultants.tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db

DAY = date(2025, 6, 15)


def rate_on(service, day: date = DAY) -> Decimal | None:
    rule = commission_rule_for(service=service, day=day)
    return None if rule is None else rule.rate_percent


@pytest.fixture
def service():
    return ServiceFactory()


def test_the_services_own_rule_beats_its_category_and_the_default(service):
    # given a rule at every level
    ServiceCommissionFactory(rate_percent=Decimal("15.00"))
    ServiceCommissionFactory(category=service.category, rate_percent=Decimal("12.00"))
    ServiceCommissionFactory(service=service, rate_percent=Decimal("10.00"))

    # then the service's own rate applies
    assert rate_on(service) == Decimal("10.00")


def test_the_category_rule_applies_when_the_service_has_none_in_force(service):
    # given the service's negotiated rate ended before the booking's day
    ServiceCommissionFactory(rate_percent=Decimal("15.00"))
    ServiceCommissionFactory(category=service.category, rate_percent=Decimal("12.00"))
    ServiceCommissionFactory(service=service, rate_percent=Decimal("10.00"), effective_to=date(2025, 6, 14))

    # then its category's rate applies
    assert rate_on(service) == Decimal("12.00")


def test_the_platform_default_applies_when_neither_the_service_nor_its_category_has_a_rule(service):
    # given rules for another service and another category only
    other = ServiceFactory()
    ServiceCommissionFactory(rate_percent=Decimal("15.00"))
    ServiceCommissionFactory(service=other, rate_percent=Decimal("5.00"))
    ServiceCommissionFactory(category=other.category, rate_percent=Decimal("7.00"))

    # then the platform default applies to this service
    assert rate_on(service) == Decimal("15.00")


def test_a_rule_is_in_force_from_its_first_to_its_last_day_inclusive(service):
    # given a category rule for June only, under an open-ended default
    ServiceCommissionFactory(rate_percent=Decimal("15.00"))
    ServiceCommissionFactory(
        category=service.category,
        rate_percent=Decimal("12.00"),
        effective_from=date(2025, 6, 1),
        effective_to=date(2025, 6, 30),
    )

    # then it applies on its first and last days, and not a day outside them
    assert rate_on(service, date(2025, 6, 1)) == Decimal("12.00")
    assert rate_on(service, date(2025, 6, 30)) == Decimal("12.00")
    assert rate_on(service, date(2025, 5, 31)) == Decimal("15.00")
    assert rate_on(service, date(2025, 7, 1)) == Decimal("15.00")


def test_a_switched_off_rule_never_applies(service):
    # given the service's rule was switched off
    ServiceCommissionFactory(rate_percent=Decimal("15.00"))
    ServiceCommissionFactory(service=service, rate_percent=Decimal("10.00"), is_active=False)

    # then the default applies
    assert rate_on(service) == Decimal("15.00")


def test_within_one_scope_the_rule_that_started_last_wins(service):
    # given an open-ended default replaced by a newer one from March
    ServiceCommissionFactory(rate_percent=Decimal("15.00"), effective_from=date(2020, 1, 1))
    ServiceCommissionFactory(rate_percent=Decimal("17.50"), effective_from=date(2025, 3, 1))

    # then the newer one applies from its start, the older one before
    assert rate_on(service) == Decimal("17.50")
    assert rate_on(service, date(2025, 2, 28)) == Decimal("15.00")


def test_no_rule_when_none_is_in_force_that_day(service):
    # given the only default starts after the booking's day
    ServiceCommissionFactory(rate_percent=Decimal("15.00"), effective_from=date(2026, 1, 1))

    # then no rule applies (the caller decides what that means)
    assert commission_rule_for(service=service, day=DAY) is None


def test_the_rule_is_found_in_one_query(service, django_assert_num_queries):
    ServiceCommissionFactory(rate_percent=Decimal("15.00"))
    ServiceCommissionFactory(category=service.category, rate_percent=Decimal("12.00"))

    with django_assert_num_queries(1):
        commission_rule_for(service=service, day=DAY)


class Rule(NamedTuple):
    effective_from: date
    effective_to: date | None
    rate_percent: Decimal


def test_rules_held_in_memory_follow_the_same_precedence():
    # given rules as the demo data holds them, without the database
    default = [Rule(date(2020, 1, 1), None, Decimal("15.00"))]
    category = [Rule(date(2025, 1, 1), None, Decimal("12.00"))]
    service = [Rule(date(2025, 6, 1), date(2025, 6, 30), Decimal("10.00"))]

    def rate(day: date) -> Decimal:
        rule = commission_rule_in_force(service_rules=service, category_rules=category, default_rules=default, on=day)
        assert rule is not None
        return rule.rate_percent

    # then the service's rule, its category's and the default each apply in their own time
    assert rate(DAY) == Decimal("10.00")
    assert rate(date(2025, 7, 1)) == Decimal("12.00")
    assert rate(date(2024, 12, 31)) == Decimal("15.00")
