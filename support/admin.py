"""Admin for the support desk: tickets and the conversation on them."""

from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.rbac_catalog import ACT_FOR_USER, ASSIGN_TICKET, VIEW_INTERNAL_COMMENTS
from accounts.selectors import users_matching
from core.admin_performance import GuardedChangeList, LargeTableAdminMixin
from core.admin_search import PeopleSearchAdminMixin
from core.owner_fields import OwnerField, OwnerFieldsAdminMixin
from support.models import SupportHoliday, SupportTicket, TicketComment
from support.selectors import ticket_handlers
from support.services import ticket_assign, ticket_priority_change, ticket_reply, ticket_status_change
from support.sla import business_calendar_forget, deadlines_for
from support.workflow import next_statuses


class TicketCommentInline(admin.StackedInline):
    """The conversation: what was said stays as it was said. New replies and notes are added here and go
    through ``support.services.ticket_reply`` (signed by their writer, workflow rules applied); existing
    ones are read-only and never deleted."""

    model = TicketComment
    extra = 0
    fields = ("author", "body", "is_internal", "created_at")
    readonly_fields = ("author", "created_at")

    def get_readonly_fields(self, request, obj=None):
        # Existing comments show every field read-only; the extra (new) form keeps body and is_internal.
        return self.readonly_fields

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        # Internal notes only for those who may read them (support.access).
        queryset = super().get_queryset(request)
        return queryset if request.user.has_perm(VIEW_INTERNAL_COMMENTS) else queryset.filter(is_internal=False)


@admin.register(SupportTicket)
class SupportTicketAdmin(PeopleSearchAdminMixin, OwnerFieldsAdminMixin, LargeTableAdminMixin, admin.ModelAdmin):
    # Raising a ticket for a client who phoned in is acting for them: it takes `accounts.act_for_user`.
    owner_fields = (OwnerField("requester", permission=ACT_FOR_USER.codename),)
    list_display = ("reference", "subject", "requester", "assignee", "status", "priority", "created_at")
    list_filter = ("status", "priority")
    date_hierarchy = "created_at"
    search_fields = ("=reference", "subject", "=requester__email")
    people_search_fields = ("requester",)
    people_matching = staticmethod(users_matching)
    search_help_text = _("A reference, words of the subject, or part of the requester's name or e-mail.")
    autocomplete_fields = ("requester", "assignee")
    list_select_related = ("requester", "assignee")
    # The workflow stamps these (support.workflow); nobody types them.
    readonly_fields = (
        "reference", "first_response_at", "resolved_at", "closed_at", "created_at", "updated_at",
        # Service levels: set by the services from the priority and the desk's hours (support.sla).
        "first_response_due_at", "resolution_due_at", "waiting_on_client_since", "sla_paused_seconds", "sla_due_at",
        "first_response_breached_at", "resolution_breached_at",
    )  # fmt: skip
    inlines = (TicketCommentInline,)

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        if obj is not None:
            # The client's own words stay theirs once the ticket exists.
            fields = (*fields, "subject", "description", "requester")
        if not request.user.has_perm(ASSIGN_TICKET):
            fields = (*fields, "assignee")
        return fields

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None and "status" in form.base_fields:
            # Only the statuses the workflow allows from here (and the current one).
            allowed = {obj.status, *next_statuses(obj.status)}
            field = form.base_fields["status"]
            field.choices = [(value, label) for value, label in field.choices if value in allowed]
        return form

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "assignee":
            # The same rule as `ticket_assign`, checked by the form so a wrong choice is a field error.
            kwargs["queryset"] = ticket_handlers()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        """Saves the ticket; a change of assignee goes through `ticket_assign`.

        The service applies the assignment rules (``ASSIGN_TICKET`` on this very ticket, an active staff
        assignee); the assignee's grants follow the saved row either way. The admin runs this in a
        transaction, so a refusal leaves nothing saved.
        """
        new_status, new_priority = obj.status, obj.priority
        if change and "status" in form.changed_data:
            obj.status = form.initial["status"]  # moved by the workflow below, not by the form
        if change and "priority" in form.changed_data:
            obj.priority = form.initial["priority"]  # changed by the service below, deadlines with it
        if not change:
            obj.first_response_due_at, obj.resolution_due_at = deadlines_for(
                opened_at=timezone.now(), priority=obj.priority
            )
        if "assignee" not in form.changed_data:
            super().save_model(request, obj, form, change)
        else:
            new_assignee = obj.assignee
            obj.assignee_id = form.initial.get("assignee")
            super().save_model(request, obj, form, change)
            ticket_assign(ticket=obj, assignee=new_assignee, actor=request.user)
        if change and new_status != form.initial["status"]:
            ticket_status_change(ticket=obj, status=new_status, actor=request.user)
        if change and new_priority != form.initial["priority"]:
            ticket_priority_change(ticket=obj, priority=new_priority, actor=request.user)
        obj.refresh_from_db()

    def save_formset(self, request, form, formset, change):
        """New replies and notes through ``ticket_reply``; nothing else of the conversation changes."""
        for comment in formset.save(commit=False):
            if comment.pk is None:
                ticket_reply(
                    ticket=form.instance, author=request.user, body=comment.body, is_internal=comment.is_internal
                )


@admin.register(TicketComment)
class TicketCommentAdmin(LargeTableAdminMixin, admin.ModelAdmin):
    list_display = ("id", "ticket", "author", "is_internal", "created_at")
    list_filter = ("is_internal",)
    date_hierarchy = "created_at"
    # Newest first here; the ticket page shows its thread oldest first (the model's ordering).
    ordering = ("-created_at",)
    search_fields = ("=ticket__reference", "=author__email")
    autocomplete_fields = ("ticket",)
    list_select_related = ("ticket", "author")
    readonly_fields = ("author", "created_at", "updated_at")

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset if request.user.has_perm(VIEW_INTERNAL_COMMENTS) else queryset.filter(is_internal=False)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.author = request.user  # comments are signed by their writer, never chosen
        super().save_model(request, obj, form, change)


@admin.register(SupportHoliday)
class SupportHolidayAdmin(admin.ModelAdmin):
    """The days the desk is closed: no business hours count on them. Deadlines already set keep their
    dates; tickets opened after a change count with it (the calendar is re-read at once)."""

    list_display = ("day", "name")
    date_hierarchy = "day"
    search_fields = ("name",)

    def get_changelist(self, request, **kwargs):
        return GuardedChangeList

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        business_calendar_forget()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        business_calendar_forget()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        business_calendar_forget()
