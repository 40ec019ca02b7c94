"""The job history's filter (django-filter): by outcome and by what started the run."""

import django_filters
from django.utils.translation import gettext_lazy as _

from operations.models import JobOutcome, JobRun, JobTrigger


class JobRunFilter(django_filters.FilterSet):
    outcome = django_filters.ChoiceFilter(label=_("Outcome"), choices=JobOutcome.choices, empty_label=_("Any outcome"))
    trigger = django_filters.ChoiceFilter(
        label=_("Started by"), choices=JobTrigger.choices, empty_label=_("Schedule or run now")
    )

    class Meta:
        model = JobRun
        fields = ["outcome", "trigger"]
