"""Commission rules never overlap: at most one active rule per scope (a service, a category, or the
platform default) on any day. The database refuses an overlap on its own (PostgreSQL's exclusion
constraint, for writers that skip validation or race); ``full_clean`` says which rule is in the way."""

from datetime import date
from decimal import Decimal
from functools import partial

import pytest
from django.core.exceptions import ValidationError

from billing.models import ServiceCommission
from billing.tests.factories import ServiceCommissionFactory
from consultants.tests.factories import ServiceFactory
from core.testing import assert_rejected

pytestmark = pytest.mark.django_db


@pytest.fixture
def service():
    return ServiceFactory()


def scopes(service) -> dict[str, dict]:
    return {"default": {}, "service": {"service": service}, "category": {"category": service.category}}


def messages_of(rule: ServiceCommission) -> list[str]:
    with pytest.raises(ValidationError) as refused:
        rule.full_clean()
    return refused.value.messages


# What the database refuses, whoever writes


@pytest.mark.parametrize("scope", ["default", "service", "category"])
def test_the_database_refuses_two_active_rules_of_one_scope_on_the_same_day(require_postgres, service, scope):
    # given a rule for June
    ServiceCommissionFactory(**scopes(service)[scope], effective_from=date(2025, 6, 1), effective_to=date(2025, 6, 30))

    # then another of the same scope that shares a day with it is refused, past any validation
    for starts, ends in [
        (date(2025, 6, 30), date(2025, 7, 31)),  # its last day (both ends count)
        (date(2025, 5, 1), date(2025, 6, 1)),  # its first day
        (date(2025, 6, 10), date(2025, 6, 12)),  # inside it
        (date(2025, 1, 1), None),  # open-ended, from before
    ]:
        overlapping = partial(
            ServiceCommission.objects.create,
            **scopes(service)[scope],
            rate_percent=Decimal("9"),
            effective_from=starts,
            effective_to=ends,
        )
        assert_rejected(overlapping)


def test_an_open_ended_rule_blocks_every_later_start_of_its_scope(require_postgres):
    ServiceCommissionFactory(effective_from=date(2020, 1, 1))

    assert_rejected(
        lambda: ServiceCommission.objects.create(rate_percent=Decimal("9"), effective_from=date(2031, 1, 1))
    )


def test_switching_an_overlapping_rule_back_on_is_refused(require_postgres):
    # given an active default and a switched-off one on the same days (allowed: it is off)
    ServiceCommissionFactory(effective_from=date(2020, 1, 1))
    switched_off = ServiceCommissionFactory(effective_from=date(2024, 1, 1), is_active=False)

    # then switching it back on is refused
    assert_rejected(lambda: ServiceCommission.objects.filter(pk=switched_off.pk).update(is_active=True))


def test_rules_of_different_scopes_share_days(service):
    # given an open-ended rule in every scope, and for another service and another category
    other = ServiceFactory()
    for scope in [*scopes(service).values(), {"service": other}, {"category": other.category}]:
        ServiceCommissionFactory(**scope, effective_from=date(2020, 1, 1))

    # then all five are there
    assert ServiceCommission.objects.filter(is_active=True).count() == 5


def test_switched_off_rules_may_overlap_anything(service):
    ServiceCommissionFactory(service=service, effective_from=date(2020, 1, 1))
    for _ in range(2):
        ServiceCommissionFactory(service=service, effective_from=date(2020, 1, 1), is_active=False)

    assert ServiceCommission.objects.filter(service=service).count() == 3


def test_a_rule_may_start_the_day_after_another_ends():
    # given a default ended on the last day of 2024
    ServiceCommissionFactory(effective_from=date(2020, 1, 1), effective_to=date(2024, 12, 31))

    # then an open-ended one from the next day is taken, by validation and by the database
    successor = ServiceCommission(rate_percent=Decimal("12"), effective_from=date(2025, 1, 1))
    successor.full_clean()
    successor.save()
    assert ServiceCommission.objects.count() == 2


# What validation says


def test_full_clean_names_the_rule_in_the_way():
    ServiceCommissionFactory(rate_percent=Decimal("15.00"), effective_from=date(2024, 1, 1))
    ServiceCommissionFactory(
        rate_percent=Decimal("11.00"), effective_from=date(2022, 1, 1), effective_to=date(2023, 12, 31)
    )

    messages = messages_of(
        ServiceCommission(rate_percent=Decimal("12.00"), effective_from=date(2023, 6, 1), effective_to=date(2024, 6, 1))
    )

    # the earliest of the rules in the way, with its rate and its days, and the way out
    (message,) = messages
    assert "Another active rule for the same platform default" in message
    assert "11.00% from 2022-01-01 to 2023-12-31" in message
    assert "End that rule first" in message


def test_full_clean_names_an_open_ended_rule_of_a_service(service):
    ServiceCommissionFactory(service=service, rate_percent=Decimal("10.00"), effective_from=date(2024, 1, 1))

    (message,) = messages_of(
        ServiceCommission(service=service, rate_percent=Decimal("12.00"), effective_from=date(2025, 1, 1))
    )

    assert f"service: {service}" in message and "10.00% from 2024-01-01 with no end" in message


def test_a_rule_being_edited_does_not_overlap_itself(service):
    rule = ServiceCommissionFactory(service=service, effective_from=date(2024, 1, 1))

    rule.rate_percent = Decimal("11.00")
    rule.effective_to = date(2030, 1, 1)
    rule.full_clean()


def test_a_switched_off_rule_passes_validation_over_an_active_one():
    ServiceCommissionFactory(effective_from=date(2024, 1, 1))

    ServiceCommission(rate_percent=Decimal("12.00"), effective_from=date(2024, 1, 1), is_active=False).full_clean()


def test_a_rule_for_both_a_service_and_a_category_is_refused_with_a_clear_message(service):
    rule = ServiceCommission(
        service=service, category=service.category, rate_percent=Decimal("10"), effective_from=date(2025, 1, 1)
    )

    assert "A rule applies to a service or to a category, not to both: choose one." in messages_of(rule)
    assert_rejected(lambda: rule.save())


@pytest.mark.parametrize("rate", [Decimal("-0.01"), Decimal("100.01"), Decimal("-100")])
def test_a_rate_outside_0_to_100_is_refused_with_a_clear_message(rate):
    rule = ServiceCommission(rate_percent=rate, effective_from=date(2025, 1, 1))

    assert "The rate must be between 0 and 100 percent." in messages_of(rule)
    assert_rejected(lambda: rule.save())


def test_a_rule_ending_before_it_starts_is_refused_with_a_clear_message():
    rule = ServiceCommission(
        rate_percent=Decimal("10"), effective_from=date(2025, 2, 1), effective_to=date(2025, 1, 31)
    )

    with pytest.raises(ValidationError) as refused:
        rule.full_clean()

    assert refused.value.message_dict["effective_to"] == ["The rule cannot end before it starts."]
    assert_rejected(lambda: rule.save())
