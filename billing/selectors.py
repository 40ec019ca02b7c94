"""Reads for billing: which commission rule applies to a booking."""

from collections.abc import Iterable
from datetime import date
from typing import Protocol, TypeVar

from django.db.models import Q

from billing.models import ServiceCommission
from consultants.models import Service


class CommissionPeriod(Protocol):
    """What precedence needs of a commission rule: when it is in force (``ServiceCommission`` has it)."""

    @property
    def effective_from(self) -> date: ...

    @property
    def effective_to(self) -> date | None: ...


Rule = TypeVar("Rule", bound=CommissionPeriod)


def commission_rule_in_force(
    *, service_rules: Iterable[Rule], category_rules: Iterable[Rule], default_rules: Iterable[Rule], on: date
) -> Rule | None:
    """The rule that applies on ``on``: the service's rule in force, else its category's, else the
    platform default's; ``None`` when none of them is in force that day.

    A rule is in force from ``effective_from`` to ``effective_to`` inclusive (open-ended without one).
    Within one scope, the rule in force that started last wins (the first of those given, on a tie).
    The callers pass active rules only. Pure: ``commission_rule_for`` feeds it from the database; the demo
    data, which cannot query per booking at a million rows, feeds it from memory.
    """
    for rules in (service_rules, category_rules, default_rules):
        chosen = None
        for rule in rules:
            if rule.effective_from <= on and (rule.effective_to is None or on <= rule.effective_to):
                if chosen is None or rule.effective_from > chosen.effective_from:
                    chosen = rule
        if chosen is not None:
            return chosen
    return None


def commission_rule_for(*, service: Service, day: date) -> ServiceCommission | None:
    """The active commission rule that applies to a booking of ``service`` on ``day`` (one query), by
    ``commission_rule_in_force``'s precedence; ``None`` when no active rule is in force that day."""
    rules = list(
        ServiceCommission.objects.filter(
            Q(service=service) | Q(service=None, category_id=service.category_id) | Q(service=None, category=None),
            Q(effective_to__isnull=True) | Q(effective_to__gte=day),
            is_active=True,
            effective_from__lte=day,
        ).order_by("-effective_from", "-pk")
    )
    return commission_rule_in_force(
        service_rules=[rule for rule in rules if rule.service_id == service.pk],
        category_rules=[
            rule for rule in rules if rule.category_id is not None and rule.category_id == service.category_id
        ],
        default_rules=[rule for rule in rules if rule.service_id is None and rule.category_id is None],
        on=day,
    )
