"""Migration 0007 brings the payments and refunds written before it in line with its constraints, and
stops, naming the payment, when processed refunds exceed what was paid."""

from datetime import UTC, datetime
from decimal import Decimal

import psycopg
import pytest
from django.db import connection, connections
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.usefixtures("require_postgres")

BEFORE = ("billing", "0006_commission_rules_never_overlap")
AFTER = ("billing", "0007_payments_keep_their_rule_and_refunds")
SCRATCH = "billing_migration_scratch"
EARLY, LATE, LAST_CHANGE = (datetime(2025, 3, day, 12, tzinfo=UTC) for day in (1, 2, 9))
NOT_KEPT = "Rejected before the reasons for decisions were kept."


@pytest.fixture
def scratch(django_db_blocker):
    """A database of its own, migrated to just before 0007 (its RunPython must write there, not to the
    default database), and the models as they were then."""
    settings_dict = connection.settings_dict
    name = f"{settings_dict['NAME']}_billing_0007"
    server = psycopg.connect(
        host=settings_dict["HOST"], port=settings_dict["PORT"] or 5432, user=settings_dict["USER"], dbname="postgres"
    )
    server.autocommit = True
    server.execute(f'DROP DATABASE IF EXISTS "{name}"')
    server.execute(f'CREATE DATABASE "{name}"')
    connections.settings[SCRATCH] = {**settings_dict, "NAME": name}
    database = connections[SCRATCH]
    try:
        with django_db_blocker.unblock():
            executor = MigrationExecutor(database)
            executor.migrate([BEFORE])
            yield database, executor.loader.project_state(BEFORE).apps
    finally:
        database.close()
        del connections[SCRATCH]
        del connections.settings[SCRATCH]
        server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        server.close()


class OldRows:
    """Rows written the way the admin allowed before 0007, through the models of that time."""

    def __init__(self, apps):
        self.apps = apps
        self.sequence = 0

    def model(self, label: str):
        return self.apps.get_model(label)._default_manager.db_manager(SCRATCH)

    def payment(self, *, amount="100.00", fee="15.00", currency="USD", status="SUCCEEDED"):
        self.sequence += 1
        n = self.sequence
        user = self.model("accounts.User").create(email=f"old{n}@example.com", full_name=f"Old {n}", password="!")
        consultant = self.model("consultants.Consultant").create(
            user=self.model("accounts.User").create(email=f"c{n}@example.com", full_name=f"C {n}", password="!")
        )
        category = self.model("consultants.ServiceCategory").create(name=f"Category {n}", slug=f"category-{n}")
        service = self.model("consultants.Service").create(
            consultant=consultant, category=category, title="Review", price=Decimal(amount)
        )
        booking = self.model("consultants.Booking").create(
            client=user, consultant=consultant, service=service, scheduled_at=EARLY, price=Decimal(amount)
        )
        return self.model("billing.Payment").create(
            booking=booking,
            payer=user,
            amount=Decimal(amount),
            currency=currency,
            status=status,
            platform_fee=Decimal(fee),
            consultant_amount=Decimal(amount) - Decimal(fee),
        )

    def refund(self, payment, amount: str, status: str, *, processed_at=None):
        refund = self.model("billing.Refund").create(
            payment=payment, amount=Decimal(amount), reason="Old", status=status, processed_at=processed_at
        )
        self.model("billing.Refund").filter(pk=refund.pk).update(updated_at=LAST_CHANGE)
        return refund.pk


def migrate(database) -> None:
    MigrationExecutor(database).migrate([AFTER])


def rows(database, sql: str, params=()) -> list[tuple]:
    with database.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def test_rows_from_before_are_brought_in_line_with_the_new_rules(scratch, django_db_blocker):
    database, apps = scratch
    with django_db_blocker.unblock():
        old = OldRows(apps)
        # given a payment marked refunded with nothing returned (the admin's free status dropdown)
        marked = old.payment(status="REFUNDED")
        # a payment returned in two processed refunds, one without a processing date, in yen
        yen = old.payment(amount="1001", fee="150", currency="JPY", status="SUCCEEDED")
        first = old.refund(yen, "333", "PROCESSED", processed_at=EARLY)
        rest = old.refund(yen, "668", "PROCESSED")
        # and a payment with a refund processed, one rejected without a reason, and one approved that
        # claims a processing date
        partly = old.payment(status="REFUNDED")
        processed = old.refund(partly, "40.00", "PROCESSED", processed_at=LATE)
        rejected = old.refund(partly, "10.00", "REJECTED")
        approved = old.refund(partly, "5.00", "APPROVED", processed_at=LATE)
        requested = old.refund(partly, "5.00", "REQUESTED")

        # when 0007 runs
        migrate(database)

        # then every refund's stamps follow its status, processed ones reversed in proportion
        refunds = {
            pk: values
            for pk, *values in rows(
                database,
                "SELECT id, status, decided_at, decision_note, processed_at, platform_fee_reversed, "
                "consultant_amount_reversed FROM billing_refund",
            )
        }
        assert refunds[first] == ["PROCESSED", EARLY, "", EARLY, Decimal("50.00"), Decimal("283.00")]
        assert refunds[rest] == ["PROCESSED", LAST_CHANGE, "", LAST_CHANGE, Decimal("100.00"), Decimal("568.00")]
        assert refunds[processed] == ["PROCESSED", LATE, "", LATE, Decimal("6.00"), Decimal("34.00")]
        assert refunds[rejected] == ["REJECTED", LAST_CHANGE, NOT_KEPT, None, None, None]
        assert refunds[approved] == ["APPROVED", LATE, "", None, None, None]
        assert refunds[requested] == ["REQUESTED", None, "", None, None, None]

        # and each payment's totals and status follow its processed refunds
        payments = {
            pk: values
            for pk, *values in rows(
                database, "SELECT id, status, refunded_amount, platform_fee_refunded FROM billing_payment"
            )
        }
        assert payments[marked.pk] == ["SUCCEEDED", Decimal("0.00"), Decimal("0.00")]
        assert payments[yen.pk] == ["REFUNDED", Decimal("1001.00"), Decimal("150.00")]
        assert payments[partly.pk] == ["PARTIALLY_REFUNDED", Decimal("40.00"), Decimal("6.00")]

        # and the constraints were added and validated over them
        validated = rows(
            database,
            "SELECT conname, convalidated FROM pg_constraint WHERE conname IN "
            "('billing_payment_refunds_within', 'billing_payment_status_follows_refunds', "
            "'billing_refund_decision_dated', 'billing_refund_rejection_explained', 'billing_refund_processed_split')",
        )
        assert sorted(validated) == sorted(
            (name, True)
            for name in (
                "billing_payment_refunds_within",
                "billing_payment_status_follows_refunds",
                "billing_refund_decision_dated",
                "billing_refund_rejection_explained",
                "billing_refund_processed_split",
            )
        )


def test_processed_refunds_above_the_payment_stop_the_migration_naming_it(scratch, django_db_blocker):
    database, apps = scratch
    with django_db_blocker.unblock():
        # given a payment of 100.00 with 120.00 processed back
        old = OldRows(apps)
        payment = old.payment()
        old.refund(payment, "70.00", "PROCESSED", processed_at=EARLY)
        old.refund(payment, "50.00", "PROCESSED", processed_at=LATE)

        # when 0007 runs / then it stops, saying which payment to correct
        with pytest.raises(ValueError, match=rf"Payment #{payment.pk} has processed refunds of 120\.00"):
            migrate(database)
