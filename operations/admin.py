"""Admin views of the job runs and the stored system settings: read-only.

Job runs are written only by the task base as jobs run; settings only through
``operations.services.system_settings_update``, which validates each value against its declaration (the
admin's model form could store any JSON). Staff change settings and run jobs on the operations pages.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.admin_performance import LargeTableAdminMixin
from core.admin_readonly import ReadOnlyAdminMixin
from core.formatting import seconds_as_duration
from operations.jobs import JOBS
from operations.models import JobRun, SystemSetting


class JobFilter(admin.SimpleListFilter):
    """The jobs of ``operations.jobs``: a fixed list, rather than the distinct values of a table that grows."""

    title = _("job")
    parameter_name = "job"

    def lookups(self, request, model_admin):
        return [(job.name, job.name) for job in JOBS]

    def queryset(self, request, queryset):
        return queryset.filter(job=self.value()) if self.value() else queryset


@admin.register(JobRun)
class JobRunAdmin(ReadOnlyAdminMixin, LargeTableAdminMixin, admin.ModelAdmin):
    # A run of every job, every few seconds for some: the list gets the large-table treatment.
    list_display = ("started_at", "job", "trigger", "outcome", "took", "requested_by", "worker")
    list_filter = ("outcome", "trigger", JobFilter)
    date_hierarchy = "started_at"
    ordering = ("-started_at", "-id")
    search_fields = ("task_id__exact",)
    search_help_text = _("A task id, exactly.")
    list_select_related = ("requested_by",)
    fields = (
        "job", "trigger", "requested_by", "outcome", "started_at", "finished_at", "took", "task_id", "worker",
        "result", "error",
    )  # fmt: skip

    @admin.display(description=_("took"), ordering="duration_ms")
    def took(self, run: JobRun) -> str:
        if run.duration_ms is None:
            return self.get_empty_value_display()
        return seconds_as_duration(run.duration_ms / 1000)


@admin.register(SystemSetting)
class SystemSettingAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("key", "value", "updated_by", "updated_at")
    search_fields = ("key",)
    search_help_text = _("Part of the setting's key, such as support.sla.")
    list_select_related = ("updated_by",)
    fields = ("key", "value", "updated_by", "updated_at")
