"""Which commission rule applies to a booking: the service's, else its category's, else the default, that day."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import NamedTuple

import pytest
from django.db import IntegrityError, transaction
from hypothesis import HealthCheck, event, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from billing.models import ServiceCommission
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


def test_a_rule_ended_the_day_before_its_successor_starts_hands_over_to_it(service):
    # given a default ended in February and replaced by a newer one from March (active rules of one scope
    # never overlap: the database refuses it, test_commission_rules)
    ServiceCommissionFactory(
        rate_percent=Decimal("15.00"), effective_from=date(2020, 1, 1), effective_to=date(2025, 2, 28)
    )
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


def test_in_memory_rules_of_one_scope_that_overlap_let_the_latest_start_win():
    # given rules held in memory, which no constraint keeps apart: an open-ended default and a newer one
    older = Rule(date(2020, 1, 1), None, Decimal("15.00"))
    newer = Rule(date(2025, 3, 1), None, Decimal("17.50"))

    def rate(day: date) -> Decimal | None:
        rule = commission_rule_in_force(service_rules=[], category_rules=[], default_rules=[newer, older], on=day)
        return None if rule is None else rule.rate_percent

    # then the newer one applies from its start, the older one before
    assert rate(DAY) == Decimal("17.50")
    assert rate(date(2025, 2, 28)) == Decimal("15.00")


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


# Random rule sets against a straightforward oracle: the service's rule in force, else its category's,
# else the default's; within a scope, the latest-starting rule in force (the first given, on a tie).

START = date(2025, 1, 1)
SCOPES = ("service", "category", "default", "another service", "another category")
offsets = st.integers(min_value=0, max_value=60).map(lambda days: START + timedelta(days=days))
days_on = st.integers(min_value=-5, max_value=100).map(lambda days: START + timedelta(days=days))
rates = st.integers(min_value=0, max_value=10_000).map(lambda hundredths: Decimal(hundredths).scaleb(-2))


@dataclass(eq=False)  # compared by identity: two rules alike are still two rules
class HeldRule:
    effective_from: date
    effective_to: date | None


@st.composite
def held_rules(draw) -> HeldRule:
    starts = draw(offsets)
    length = draw(st.one_of(st.none(), st.integers(min_value=0, max_value=30)))
    return HeldRule(starts, None if length is None else starts + timedelta(days=length))


def oracle(scopes: list[list], on: date):
    for rules in scopes:
        in_force = [r for r in rules if r.effective_from <= on and (r.effective_to is None or on <= r.effective_to)]
        if in_force:
            latest = max(rule.effective_from for rule in in_force)
            return next(rule for rule in in_force if rule.effective_from == latest)
    return None


@hypothesis_settings(max_examples=300, deadline=None, database=None)
@given(
    service_rules=st.lists(held_rules(), max_size=4),
    category_rules=st.lists(held_rules(), max_size=4),
    default_rules=st.lists(held_rules(), max_size=4),
    on=days_on,
)
def test_rules_in_memory_resolve_as_the_oracle_says(service_rules, category_rules, default_rules, on):
    # given any rules, overlapping or not, as the demo data holds them
    # when the rule in force is chosen / then it is the oracle's, the very same rule
    chosen = commission_rule_in_force(
        service_rules=service_rules, category_rules=category_rules, default_rules=default_rules, on=on
    )
    assert chosen is oracle([service_rules, category_rules, default_rules], on)


@st.composite
def rule_sets(draw) -> list[dict]:
    specs = []
    for _ in range(draw(st.integers(min_value=0, max_value=12))):
        held = draw(held_rules())
        specs.append(
            {
                "scope": draw(st.sampled_from(SCOPES)),
                "effective_from": held.effective_from,
                "effective_to": held.effective_to,
                "is_active": draw(st.sampled_from([True, True, True, False])),
                "rate_percent": draw(rates),
            }
        )
    return specs


@pytest.fixture
def services():
    """A service, and another of another category (rules of theirs never apply to the first)."""
    return ServiceFactory(), ServiceFactory()


# One database for every example, each in a savepoint rolled back at its end; few examples, as each
# writes and reads a dozen rows.
@hypothesis_settings(
    max_examples=30, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(specs=rule_sets(), on=days_on)
def test_the_database_lookup_resolves_random_rule_sets_as_the_oracle_says(services, specs, on):
    service, another = services
    scope_of = {
        "service": {"service": service},
        "category": {"category": service.category},
        "default": {},
        "another service": {"service": another},
        "another category": {"category": another.category},
    }
    with transaction.atomic():
        # given the rules the database takes (it refuses one overlapping an active rule of its scope,
        # exactly when the model's clean names such a rule)
        kept = []
        for spec in specs:
            rule = ServiceCommission(
                **scope_of[spec["scope"]],
                rate_percent=spec["rate_percent"],
                effective_from=spec["effective_from"],
                effective_to=spec["effective_to"],
                is_active=spec["is_active"],
            )
            overlapping = rule.overlapping_rule() if rule.is_active else None
            try:
                with transaction.atomic():
                    rule.save()
            except IntegrityError:
                assert overlapping is not None, spec
                event("a rule refused as overlapping")
                continue
            assert overlapping is None, (spec, overlapping)
            kept.append(rule)

        # when the rule for a booking of the service on that day is looked up
        found = commission_rule_for(service=service, day=on)

        # then it is the oracle's, from the active rules kept
        active = [rule for rule in kept if rule.is_active]
        expected = oracle(
            [
                [rule for rule in active if rule.service_id == service.pk],
                [rule for rule in active if rule.category_id == service.category_id],
                [rule for rule in active if rule.service_id is None and rule.category_id is None],
            ],
            on,
        )
        assert (found.pk if found else None) == (expected.pk if expected else None)
        transaction.set_rollback(True)
