"""Commission rules of the same scope may not be in force on the same day: an exclusion constraint on
PostgreSQL (btree_gist lets it compare the scope's ids beside the date ranges). Elsewhere the rule is left
to ``ServiceCommission.clean``. The three CHECK constraints gain messages a person can act on (no SQL).

The commission table is a catalogue staff keep by hand, small enough to be checked under its lock.
"""

import django.db.models.functions.comparison

from django.db import migrations, models

import billing.models
import core.constraints


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0005_labels_translatable"),
    ]

    operations = [
        core.constraints.BtreeGistExtension(),
        migrations.AddConstraint(
            model_name="servicecommission",
            constraint=core.constraints.PostgreSQLExclusionConstraint(
                condition=models.Q(("is_active", True)),
                expressions=[
                    (django.db.models.functions.comparison.Coalesce(models.F("service"), models.Value(0)), "="),
                    (django.db.models.functions.comparison.Coalesce(models.F("category"), models.Value(0)), "="),
                    (billing.models.DateRange("effective_from", "effective_to", models.Value("[]")), "&&"),
                ],
                name="billing_commission_no_overlap",
            ),
        ),
        migrations.AlterConstraint(
            model_name="servicecommission",
            name="billing_commission_service_xor_category",
            constraint=models.CheckConstraint(
                condition=models.Q(("service__isnull", False), ("category__isnull", False), _negated=True),
                name="billing_commission_service_xor_category",
                violation_error_message="A rule applies to a service or to a category, not to both.",
            ),
        ),
        migrations.AlterConstraint(
            model_name="servicecommission",
            name="billing_commission_rate_0_100",
            constraint=models.CheckConstraint(
                condition=models.Q(("rate_percent__gte", 0), ("rate_percent__lte", 100)),
                name="billing_commission_rate_0_100",
                violation_error_message="The rate must be between 0 and 100 percent.",
            ),
        ),
        migrations.AlterConstraint(
            model_name="servicecommission",
            name="billing_commission_period_ordered",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("effective_to__isnull", True), ("effective_to__gte", models.F("effective_from")), _connector="OR"
                ),
                name="billing_commission_period_ordered",
                violation_error_message="The rule cannot end before it starts.",
            ),
        ),
    ]
