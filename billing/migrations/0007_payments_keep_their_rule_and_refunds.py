"""Payments keep the commission rule and rate they were split by, and the money their refunds returned;
refunds keep who decided, when and why, who processed them, and the parts of the fee and of the
consultant's share they reversed. A provider reference is recorded once.

Rows already there are brought in line before the constraints are checked: a decided refund gets its
decision's date (its processing date, else its last change), a rejected one a note that its reason was
not kept, an unprocessed one no processing date; processed refunds reverse the fee in proportion
(billing.money.refund_reversal, written out here as it stands today), and each payment's refunded totals
and status follow them. A payment whose processed refunds exceed it stops the migration, naming it.

Sums of amounts are compared rounded to cents (``billing.models.in_cents``), the split's existing
constraint included: SQLite, the first-run database, keeps decimals as floating point.

The payments and refunds tables are large (decision 0014): the new indexes and the unique index are built
concurrently and the CHECK constraints added NOT VALID, then validated, so this migration is not atomic.
"""

from decimal import ROUND_HALF_UP, Decimal

import django.db.models.deletion
import django.db.models.expressions
import django.db.models.functions.math
from django.conf import settings
from django.db import migrations, models

import core.large_tables

NOT_KEPT = "Rejected before the reasons for decisions were kept."
BATCH = 2_000


def _unit(currency: str) -> Decimal:
    places = settings.BILLING_CURRENCIES.get(currency, 2)
    return Decimal(1).scaleb(-places)


def bring_rows_in_line(apps, schema_editor):
    # The database being migrated, which need not be the default one (migrate --database).
    db = schema_editor.connection.alias
    payments_table = apps.get_model("billing", "Payment").objects.using(db)
    refunds_table = apps.get_model("billing", "Refund").objects.using(db)
    decided = refunds_table.exclude(status="REQUESTED").filter(decided_at__isnull=True)
    decided.filter(processed_at__isnull=False).update(decided_at=models.F("processed_at"))
    decided.update(decided_at=models.F("updated_at"))
    refunds_table.filter(status="REJECTED", decision_note="").update(decision_note=NOT_KEPT)
    refunds_table.exclude(status="PROCESSED").update(
        processed_at=None, platform_fee_reversed=None, consultant_amount_reversed=None
    )
    refunds_table.filter(status="PROCESSED", processed_at__isnull=True).update(processed_at=models.F("updated_at"))

    refunded_payment_ids = (
        refunds_table.filter(status="PROCESSED").values_list("payment_id", flat=True).distinct().order_by()
    )
    ids = sorted(set(refunded_payment_ids))
    for start in range(0, len(ids), BATCH):
        payments = payments_table.in_bulk(ids[start : start + BATCH])
        refunds_changed, payments_changed = [], []
        processed = refunds_table.filter(payment_id__in=payments, status="PROCESSED").order_by("processed_at", "id")
        running: dict[int, tuple[Decimal, Decimal]] = {}
        for refund in processed:
            payment = payments[refund.payment_id]
            refunded, fee_refunded = running.get(payment.pk, (Decimal(0), Decimal(0)))
            refunded += refund.amount
            if refunded > payment.amount:
                raise ValueError(
                    f"Payment #{payment.pk} has processed refunds of {refunded}, more than its amount "
                    f"{payment.amount}: correct its refunds, then migrate again."
                )
            fee_after = (payment.platform_fee * refunded / payment.amount).quantize(
                _unit(payment.currency), rounding=ROUND_HALF_UP
            )
            refund.platform_fee_reversed = fee_after - fee_refunded
            refund.consultant_amount_reversed = refund.amount - refund.platform_fee_reversed
            running[payment.pk] = (refunded, fee_after)
            refunds_changed.append(refund)
        for payment_id, (refunded, fee_refunded) in running.items():
            payment = payments[payment_id]
            payment.refunded_amount, payment.platform_fee_refunded = refunded, fee_refunded
            payment.status = "REFUNDED" if refunded == payment.amount else "PARTIALLY_REFUNDED"
            payments_changed.append(payment)
        refunds_table.bulk_update(refunds_changed, ["platform_fee_reversed", "consultant_amount_reversed"])
        payments_table.bulk_update(payments_changed, ["refunded_amount", "platform_fee_refunded", "status"])
    # Marked refunded with nothing returned (the admin allowed it): the money is still with the platform.
    payments_table.filter(status__in=["REFUNDED", "PARTIALLY_REFUNDED"], refunded_amount=0).update(status="SUCCEEDED")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("billing", "0006_commission_rules_never_overlap"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="payment",
            name="commission_rule",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="payments",
                to="billing.servicecommission",
                verbose_name="commission rule",
            ),
        ),
        migrations.AddField(
            model_name="payment",
            name="commission_rate_percent",
            field=models.DecimalField(
                blank=True, decimal_places=2, max_digits=5, null=True, verbose_name="commission rate percent"
            ),
        ),
        migrations.AddField(
            model_name="payment",
            name="platform_fee_refunded",
            field=models.DecimalField(
                db_default=Decimal("0.00"),
                decimal_places=2,
                default=Decimal("0.00"),
                max_digits=12,
                verbose_name="platform fee refunded",
            ),
        ),
        migrations.AddField(
            model_name="payment",
            name="refunded_amount",
            field=models.DecimalField(
                db_default=Decimal("0.00"),
                decimal_places=2,
                default=Decimal("0.00"),
                max_digits=12,
                verbose_name="refunded amount",
            ),
        ),
        migrations.AddField(
            model_name="refund",
            name="consultant_amount_reversed",
            field=models.DecimalField(
                blank=True, decimal_places=2, max_digits=12, null=True, verbose_name="consultant amount reversed"
            ),
        ),
        migrations.AddField(
            model_name="refund",
            name="decided_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="decided at"),
        ),
        migrations.AddField(
            model_name="refund",
            name="decided_by",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="decided by",
            ),
        ),
        migrations.AddField(
            model_name="refund",
            name="decision_note",
            field=models.TextField(blank=True, verbose_name="reason for the decision"),
        ),
        migrations.AddField(
            model_name="refund",
            name="platform_fee_reversed",
            field=models.DecimalField(
                blank=True, decimal_places=2, max_digits=12, null=True, verbose_name="platform fee reversed"
            ),
        ),
        migrations.AddField(
            model_name="refund",
            name="processed_by",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="processed by",
            ),
        ),
        core.large_tables.AddIndexConcurrently(
            model_name="payment",
            index=models.Index(
                condition=models.Q(("commission_rule__isnull", False)),
                fields=["commission_rule"],
                name="billing_payment_rule_idx",
            ),
        ),
        core.large_tables.AddIndexConcurrently(
            model_name="refund",
            index=models.Index(
                condition=models.Q(("decided_by__isnull", False)),
                fields=["decided_by"],
                name="billing_refund_decider_idx",
            ),
        ),
        core.large_tables.AddIndexConcurrently(
            model_name="refund",
            index=models.Index(
                condition=models.Q(("processed_by__isnull", False)),
                fields=["processed_by"],
                name="billing_refund_processor_idx",
            ),
        ),
        migrations.RunPython(bring_rows_in_line, migrations.RunPython.noop, atomic=True),
        # Sums compared in cents: SQLite keeps decimals as floating point, where 7.59 + 43.01 != 50.60.
        core.large_tables.ReplaceCheckConstraint(
            model_name="payment",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    (
                        "amount",
                        django.db.models.functions.math.Round(
                            django.db.models.expressions.CombinedExpression(
                                models.F("platform_fee"), "+", models.F("consultant_amount")
                            ),
                            2,
                        ),
                    )
                ),
                name="billing_payment_split_sums_to_amount",
            ),
        ),
        core.large_tables.AddCheckConstraint(
            model_name="payment",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("refunded_amount__gte", 0),
                    ("refunded_amount__lte", models.F("amount")),
                    ("platform_fee_refunded__gte", 0),
                    ("platform_fee_refunded__lte", models.F("platform_fee")),
                    ("refunded_amount__gte", models.F("platform_fee_refunded")),
                    (
                        "refunded_amount__lte",
                        django.db.models.functions.math.Round(
                            django.db.models.expressions.CombinedExpression(
                                models.F("platform_fee_refunded"), "+", models.F("consultant_amount")
                            ),
                            2,
                        ),
                    ),
                ),
                name="billing_payment_refunds_within",
            ),
        ),
        core.large_tables.AddCheckConstraint(
            model_name="payment",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("refunded_amount", models.F("amount")), ("status", "REFUNDED")),
                    models.Q(
                        ("refunded_amount__gt", 0),
                        ("refunded_amount__lt", models.F("amount")),
                        ("status", "PARTIALLY_REFUNDED"),
                    ),
                    models.Q(
                        models.Q(("status__in", ["REFUNDED", "PARTIALLY_REFUNDED"]), _negated=True),
                        ("refunded_amount", 0),
                    ),
                    _connector="OR",
                ),
                name="billing_payment_status_follows_refunds",
            ),
        ),
        core.large_tables.AddUniqueConstraintConcurrently(
            model_name="payment",
            constraint=models.UniqueConstraint(
                condition=models.Q(("provider_reference", ""), _negated=True),
                fields=("provider_reference",),
                name="billing_payment_provider_ref_uniq",
                violation_error_message="A payment with this provider reference is already recorded.",
            ),
        ),
        core.large_tables.AddCheckConstraint(
            model_name="refund",
            constraint=models.CheckConstraint(
                condition=models.Q(("status", "REQUESTED"), ("decided_at__isnull", False), _connector="OR"),
                name="billing_refund_decision_dated",
            ),
        ),
        core.large_tables.AddCheckConstraint(
            model_name="refund",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("status", "REJECTED"), _negated=True),
                    models.Q(("decision_note", ""), _negated=True),
                    _connector="OR",
                ),
                name="billing_refund_rejection_explained",
            ),
        ),
        core.large_tables.AddCheckConstraint(
            model_name="refund",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        (
                            "amount",
                            django.db.models.functions.math.Round(
                                django.db.models.expressions.CombinedExpression(
                                    models.F("platform_fee_reversed"), "+", models.F("consultant_amount_reversed")
                                ),
                                2,
                            ),
                        ),
                        ("consultant_amount_reversed__gte", 0),
                        ("platform_fee_reversed__gte", 0),
                        ("processed_at__isnull", False),
                        ("status", "PROCESSED"),
                    ),
                    models.Q(
                        models.Q(("status", "PROCESSED"), _negated=True),
                        ("consultant_amount_reversed__isnull", True),
                        ("platform_fee_reversed__isnull", True),
                        ("processed_at__isnull", True),
                    ),
                    _connector="OR",
                ),
                name="billing_refund_processed_split",
            ),
        ),
    ]
