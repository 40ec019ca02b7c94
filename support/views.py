"""The staff desk: the ticket queue and one ticket's page, with the actions on them.

Views check who may enter, read through ``support.selectors``, and hand every change to
``support.services``; a refusal from a service comes back as a message on the page it came from, with
nothing written.
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST

from accounts.models import User
from accounts.rbac_catalog import ASSIGN_TICKET, CHANGE_TICKET, HANDLE_TICKET, VIEW_INTERNAL_COMMENTS, VIEW_TICKET
from attachments.models import FileOwnerType
from attachments.upload_handlers import CappedUploadHandler
from attachments.validation import upload_rules
from auditing import presentation
from core.access import is_active_staff
from core.feedback import form_errors_told, refusal_text
from core.filters import filter_bar, filter_data, filter_query, filter_usable
from core.keyset import BadPageToken, KeysetPage, keyset_page
from support import selectors, services, sla
from support.access import may_read_internal_notes, may_view_ticket, may_work_on_ticket
from support.filters import TicketFilter
from support.forms import UNASSIGN, AssignForm, BulkForm, PriorityForm, ReplyForm, StatusForm
from support.models import SupportTicket, TicketStatus, is_ticket_reference
from support.workflow import next_statuses

QUEUE_PAGE_SIZE = 50


def desk_member_required(view):
    """Active staff who may see tickets: with the role-wide view permission, or who handle tickets
    (and then see those assigned to them). Others: sign in, or 403."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        if not is_active_staff(request.user):
            return redirect_to_login(request.get_full_path())
        if not (request.user.has_perm(VIEW_TICKET) or request.user.has_perm(HANDLE_TICKET)):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


@require_GET
@desk_member_required
def queue(request: HttpRequest) -> HttpResponse:
    visible = selectors.tickets_visible_to(user=request.user)
    handlers = list(selectors.ticket_handlers().only("pk", "full_name", "email"))
    filterset = TicketFilter(filter_data(request), queryset=visible, request=request, handlers=handlers)
    order = request.GET.get("order", "newest")
    if order not in selectors.QUEUE_ORDERS:
        order = "newest"
    page = _queue_page(request, filterset, order)
    now = timezone.now()
    calendar = sla.business_calendar()
    rows = [{"ticket": ticket, "clock": sla.sla_clock(ticket, now=now, calendar=calendar)} for ticket in page.rows]
    may_assign = request.user.has_perm(ASSIGN_TICKET)
    may_bulk = may_assign or request.user.has_perm(CHANGE_TICKET)
    return render(
        request,
        "support/queue.html",
        {
            "filter": filterset,
            "filter_fields": [field for field in filter_bar(filterset) if field["name"] != "q"],
            "search": filterset.form["q"].value() or "",
            "page": page,
            "rows": rows,
            "order": order,
            "orders": (("newest", _("Newest first")), ("oldest", _("Oldest first")), ("due", _("Due first"))),
            "filter_query": filter_query(request),
            "views": _queue_views(request),
            "bulk_form": BulkForm(handlers=handlers) if may_bulk else None,
            "may_assign": may_assign,
            "ticket_prefix": reverse("support:ticket", args=["TCK-0000-0000"]).removesuffix("TCK-0000-0000/"),
        },
    )


@require_GET
@desk_member_required
def ticket_detail(request: HttpRequest, reference: str) -> HttpResponse:
    ticket = _ticket_or_404(request, reference)
    return render(request, "support/ticket.html", _ticket_context(request, ticket))


@csrf_exempt  # the upload handler must be in place before the body is read; CSRF is checked just below
@require_POST
@desk_member_required
def ticket_reply(request: HttpRequest, reference: str) -> HttpResponse:
    limit = upload_rules(FileOwnerType.TICKET_COMMENT).max_bytes
    request.upload_handlers.insert(0, CappedUploadHandler(request, limit=limit, max_files=services.MESSAGE_MAX_FILES))
    return _ticket_reply(request, reference)


@csrf_protect
def _ticket_reply(request: HttpRequest, reference: str) -> HttpResponse:
    ticket = _ticket_or_404(request, reference)
    form = ReplyForm(request.POST)
    if getattr(request, "upload_too_large", False):
        limit = filesizeformat(upload_rules(FileOwnerType.TICKET_COMMENT).max_bytes)
        form.add_error(
            None,
            _("Attach at most %(count)s files to a message, %(limit)s in all.")
            % {"count": services.MESSAGE_MAX_FILES, "limit": limit},
        )
    elif form.is_valid():
        try:
            services.ticket_reply(
                ticket=ticket,
                author=request.user,
                body=form.cleaned_data["body"],
                is_internal=form.is_internal,
                wait_for_client=form.cleaned_data["wait_for_client"] and not form.is_internal,
                files=request.FILES.getlist("files"),
            )
        except (ValidationError, PermissionDenied) as refusal:
            form.add_error(None, refusal_text(refusal))
        else:
            messages.success(request, _("Internal note added.") if form.is_internal else _("Reply sent to the client."))
            return redirect("support:ticket", reference=ticket.reference)
    context = _ticket_context(request, ticket)
    context["reply_form" if not _is_note(form) else "note_form"] = form
    return render(request, "support/ticket.html", context, status=400)


@require_POST
@desk_member_required
def ticket_assign(request: HttpRequest, reference: str) -> HttpResponse:
    ticket = _ticket_or_404(request, reference)
    form = AssignForm(request.POST)
    if not form.is_valid():
        return _back_with_errors(request, ticket, form)
    try:
        assignee = _assignee(form.cleaned_data["assignee"])
    except ValidationError as refusal:
        messages.error(request, refusal_text(refusal))
        return redirect("support:ticket", reference=ticket.reference)
    return _applied(
        request,
        ticket,
        lambda: services.ticket_assign(ticket=ticket, assignee=assignee, actor=request.user),
        _("Assigned to %(name)s.") % {"name": assignee.full_name or assignee.email} if assignee else _("Unassigned."),
    )


@require_POST
@desk_member_required
def ticket_priority(request: HttpRequest, reference: str) -> HttpResponse:
    ticket = _ticket_or_404(request, reference)
    form = PriorityForm(request.POST)
    if not form.is_valid():
        return _back_with_errors(request, ticket, form)
    return _applied(
        request,
        ticket,
        lambda: services.ticket_priority_change(
            ticket=ticket, priority=form.cleaned_data["priority"], actor=request.user
        ),
        _("Priority changed; the deadlines follow it."),
    )


@require_POST
@desk_member_required
def ticket_status(request: HttpRequest, reference: str) -> HttpResponse:
    ticket = _ticket_or_404(request, reference)
    form = StatusForm(request.POST)
    if not form.is_valid():
        return _back_with_errors(request, ticket, form)
    status = form.cleaned_data["status"]
    return _applied(
        request,
        ticket,
        lambda: services.ticket_status_change(ticket=ticket, status=status, actor=request.user),
        _("The ticket is now %(status)s.") % {"status": TicketStatus(status).label.lower()},
    )


@require_POST
@desk_member_required
def queue_bulk(request: HttpRequest) -> HttpResponse:
    form = BulkForm(request.POST)
    back = _queue_back(request, form.data.get("back", ""))
    if not form.is_valid():
        form_errors_told(request, form)
        return redirect(back)
    data = form.cleaned_data
    tickets = list(
        selectors.tickets_visible_to(user=request.user, queryset=SupportTicket.objects.filter(pk__in=data["tickets"]))
    )
    value = None
    if data["action"] == services.BULK_ASSIGN:
        try:
            value = _assignee(data["assignee"])
        except ValidationError as refusal:
            messages.error(request, refusal_text(refusal))
            return redirect(back)
    elif data["action"] == services.BULK_PRIORITY:
        value = data["priority"]
    outcome = services.tickets_bulk_change(tickets=tickets, action=data["action"], actor=request.user, value=value)
    if outcome.done:
        messages.success(
            request,
            ngettext("%(count)s ticket changed.", "%(count)s tickets changed.", len(outcome.done))
            % {"count": len(outcome.done)},
        )
    for reference, why in outcome.refused:
        messages.warning(request, f"{reference}: {why}")
    missing = len(data["tickets"]) - len(tickets)
    if missing:
        messages.warning(
            request,
            ngettext(
                "%(count)s ticket is not one you may see, or no longer exists.",
                "%(count)s tickets are not ones you may see, or no longer exist.",
                missing,
            )
            % {"count": missing},
        )
    return redirect(back)


# Helpers


def _ticket_or_404(request: HttpRequest, reference: str) -> SupportTicket:
    """The ticket ``reference`` names, if this user may see it; 404 otherwise (as for one that does not
    exist, so a reference reveals nothing)."""
    if not is_ticket_reference(reference):
        raise Http404
    reference = reference.upper()
    ticket = SupportTicket.objects.select_related("requester", "assignee").filter(reference=reference).first()
    if ticket is None or not may_view_ticket(request.user, ticket):
        raise Http404
    return ticket


def _ticket_context(request: HttpRequest, ticket: SupportTicket) -> dict:
    user = request.user
    may_work = may_work_on_ticket(user, ticket)
    activity = selectors.ticket_activity(ticket=ticket)
    labels = presentation.Labels.for_events(activity)
    statuses = dict(TicketStatus.choices)
    return {
        "ticket": ticket,
        "clock": sla.sla_clock(ticket, now=timezone.now()),
        "thread": selectors.ticket_thread(ticket=ticket, user=user),
        "ticket_files": selectors.ticket_files(ticket=ticket),
        "activity": [
            {
                "when": event.created_at,
                "actor": presentation.actor_display(event),
                "summary": presentation.change_summary(event.entity_type, event.changes, labels),
            }
            for event in activity
        ],
        "may_work": may_work,
        "may_assign": user.has_perm(ASSIGN_TICKET, ticket) and ticket.status != TicketStatus.CLOSED,
        "may_note": may_work and user.has_perm(VIEW_INTERNAL_COMMENTS) and may_read_internal_notes(user, ticket),
        "is_closed": ticket.status == TicketStatus.CLOSED,
        "next_statuses": [(status, statuses[status]) for status in next_statuses(ticket.status)],
        "reply_form": ReplyForm(initial={"kind": ReplyForm.REPLY}),
        "note_form": ReplyForm(initial={"kind": ReplyForm.NOTE}),
        "assign_form": AssignForm(initial={"assignee": ticket.assignee_id or UNASSIGN}) if may_work else None,
        "priority_form": PriorityForm(initial={"priority": ticket.priority}),
        "max_files": services.MESSAGE_MAX_FILES,
    }


def _is_note(form: ReplyForm) -> bool:
    return form.data.get("kind") == ReplyForm.NOTE


def _assignee(value: str) -> User | None:
    """The user an assignee field names (the form's choices were handlers when it was checked); None
    for "unassigned". ``ValidationError`` when they are gone since."""
    if value == UNASSIGN:
        return None
    user = User.objects.filter(pk=int(value)).first()
    if user is None:
        raise ValidationError(_("That person no longer exists."), code="assignee")
    return user


def _applied(request: HttpRequest, ticket: SupportTicket, change, success: str) -> HttpResponse:
    try:
        with transaction.atomic():
            change()
    except (ValidationError, PermissionDenied) as refusal:
        messages.error(request, refusal_text(refusal))
    else:
        messages.success(request, success)
    return redirect("support:ticket", reference=ticket.reference)


def _back_with_errors(request: HttpRequest, ticket: SupportTicket, form) -> HttpResponse:
    form_errors_told(request, form)
    return redirect("support:ticket", reference=ticket.reference)


def _queue_page(request: HttpRequest, filterset: TicketFilter, order: str) -> KeysetPage:
    if not filter_usable(filterset):
        return KeysetPage([], previous=None, following=None)
    column, descending = selectors.QUEUE_ORDERS[order]
    rows = selectors.queue_rows(filterset.qs, order=order)
    before, after = request.GET.get("before", ""), request.GET.get("after", "")
    try:
        return keyset_page(rows, column=column, descending=descending, size=QUEUE_PAGE_SIZE, before=before, after=after)
    except BadPageToken:
        messages.warning(request, _("That page link is not valid; showing the first page."))
        return keyset_page(rows, column=column, descending=descending, size=QUEUE_PAGE_SIZE)


def _queue_views(request: HttpRequest) -> list[dict]:
    """The queue's ready-made views, as tabs: each a filter, marked when it is the one shown."""
    current = filter_query(request)
    views = (
        (_("Open"), "status=active"),
        (_("Mine"), "status=active&assignee=me"),
        (_("Unassigned"), "status=active&assignee=none"),
        (_("Overdue"), "sla=overdue&order=due"),
        (_("At risk"), "sla=at_risk&order=due"),
        (_("Waiting on client"), "sla=paused"),
        (_("All tickets"), ""),
    )
    return [{"label": label, "query": query, "current": query == current} for label, query in views]


def _queue_back(request: HttpRequest, back: str) -> str:
    queue_url = reverse("support:queue")
    if back.startswith(queue_url) and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return back
    return queue_url
