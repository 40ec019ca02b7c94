"""The client help center (/help/): a client signs in, lists their own tickets, opens one and talks with
the support team on it.

A client reaches only tickets they requested: any other reference answers 404, as one that does not
exist, so references reveal nothing. Internal notes and their files never leave the database for these
pages (the queries filter them out). Writes go through ``support.services``; a refusal is shown on the
form it came from, with nothing written. Multipart posts are capped while they arrive
(``CappedUploadHandler``: at most ``MESSAGE_MAX_FILES`` files a message, the owner type's size in all).
"""

from dataclasses import dataclass, field
from datetime import datetime
from functools import wraps
from typing import TYPE_CHECKING, cast

from django.contrib import messages
from django.contrib.auth.views import LoginView, redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render, resolve_url
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from accounts.rbac_catalog import ADD_TICKET
from attachments.models import FileAttachment, FileOwnerType
from attachments.owners import ADD_ATTACHMENT
from attachments.upload_handlers import CappedUploadHandler
from attachments.validation import upload_rules
from core.access import is_active_staff
from support.help_forms import AttachedFilesField, TicketOpenForm, TicketReplyForm, attached_files
from support.models import ACTIVE_STATUSES, SupportTicket, TicketComment, TicketStatus, is_ticket_reference
from support.services import MESSAGE_MAX_FILES, ticket_open, ticket_reply

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

TICKETS_PER_PAGE = 25

# How the client reads each status (the desk's words are for the desk), and the badge's colour.
CLIENT_STATUS: "dict[str, tuple[StrOrPromise, str]]" = {
    TicketStatus.OPEN: (gettext_lazy("Open"), "open"),
    TicketStatus.IN_PROGRESS: (gettext_lazy("In progress"), "progress"),
    TicketStatus.RESOLVED: (gettext_lazy("Resolved"), "resolved"),
    TicketStatus.CLOSED: (gettext_lazy("Closed"), "closed"),
}
FILE_FIELDS = ("pk", "owner_type", "owner_id", "original_name", "content_type", "size_bytes", "thumbnail_status")


class HelpSignInView(LoginView):
    """Django's sign-in (every ``authenticate`` goes through django-axes) in the help center's look. Staff
    land in the back office, everyone else in the help center, unless a safe ``next`` says otherwise."""

    template_name = "support/help/sign_in.html"
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        return resolve_url("backoffice:home" if is_active_staff(self.request.user) else "help:home")


def may_use_help_center(user) -> bool:
    """Signed in with an active, unsuspended account. (A suspended or inactive account's session does
    not even load its user: ``accounts.backends``.)"""
    return bool(user.is_authenticated and user.is_active and not user.is_suspended)


def client_required(view):
    """Lets through who ``may_use_help_center``; anyone else goes to the help center's sign-in, back to
    this page afterwards."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not may_use_help_center(request.user):
            return _sign_in_redirect(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapped


@require_GET
@client_required
def home(request: HttpRequest) -> HttpResponse:
    """The signed-in user's own tickets, newest first, a page at a time (two queries a page)."""
    tickets = (
        SupportTicket.objects.filter(requester=cast(User, request.user))
        .only("reference", "subject", "status", "priority", "created_at", "updated_at", "waiting_on_client_since")
        .order_by("-created_at", "-pk")
    )
    page = Paginator(tickets, TICKETS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "rows": [TicketRow.of(ticket) for ticket in page],
        "may_open": request.user.has_perm(ADD_TICKET),
    }
    return render(request, "support/help/home.html", context)


@csrf_exempt  # the upload handler must be in place before the body is read; CSRF is checked just below
@require_http_methods(["GET", "POST"])
def ticket_new(request: HttpRequest) -> HttpResponse:
    """The form for a new ticket; its POST opens the ticket (``ticket_open``) and goes to it. Needs the
    right to open tickets (the CLIENT role has it)."""
    if request.method == "POST":
        _uploads_cap(request, FileOwnerType.TICKET)
    return _ticket_new(request)


@csrf_protect  # before anything else looks at the request: a forged POST learns nothing
@client_required
def _ticket_new(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm(ADD_TICKET):
        raise PermissionDenied(_("You may not open support tickets."))
    if request.method != "POST":
        return _new_form_render(request, TicketOpenForm())
    form = TicketOpenForm(request.POST, request.FILES)
    if _upload_refused(request, form) or not form.is_valid():
        return _new_form_render(request, form, status=400)
    try:
        ticket = ticket_open(
            requester=request.user,
            subject=form.cleaned_data["subject"],
            description=form.cleaned_data["description"],
            priority=form.cleaned_data["priority"],
            files=attached_files(form),
        )
    except ValidationError as refusal:
        form.add_error(None, refusal)
        return _new_form_render(request, form, status=400)
    messages.success(
        request,
        _("Thank you: we received your request. Its reference is %(reference)s.") % {"reference": ticket.reference},
    )
    return HttpResponseRedirect(_detail_url(ticket), status=303)


@require_GET
@client_required
def ticket_detail(request: HttpRequest, reference: str) -> HttpResponse:
    """One of the user's own tickets and its conversation as the client may see it, with a reply form."""
    ticket = _own_ticket_or_404(request, reference)
    return _detail_render(request, ticket, TicketReplyForm())


@csrf_exempt  # the upload handler must be in place before the body is read; CSRF is checked just below
@require_POST
def ticket_reply_post(request: HttpRequest, reference: str) -> HttpResponse:
    """The client's reply (``ticket_reply``), back to the ticket; a refusal re-renders it with the
    reply as typed and the reason (400)."""
    _uploads_cap(request, FileOwnerType.TICKET_COMMENT)
    return _ticket_reply(request, reference)


@csrf_protect  # before the ticket is looked up: a forged POST learns nothing, not even whether it exists
def _ticket_reply(request: HttpRequest, reference: str) -> HttpResponse:
    if not may_use_help_center(request.user):
        return _sign_in_redirect(reverse("help:ticket_detail", kwargs={"reference": reference}))
    ticket = _own_ticket_or_404(request, reference)
    form = TicketReplyForm(request.POST, request.FILES)
    if _upload_refused(request, form) or not form.is_valid():
        return _detail_render(request, ticket, form, status=400)
    was_resolved = ticket.status == TicketStatus.RESOLVED
    try:
        ticket_reply(
            ticket=ticket,
            author=request.user,
            body=form.cleaned_data["body"],
            # Never offered here: a forged one is the service's to refuse, with its own words.
            is_internal=bool(request.POST.get("is_internal")),
            files=attached_files(form),
        )
    except ValidationError as refusal:
        form.add_error(None, refusal)
        return _detail_render(request, ticket, form, status=400)
    if was_resolved:
        messages.success(request, _("Your reply was sent and the request is open again."))
    else:
        messages.success(request, _("Your reply was sent."))
    return HttpResponseRedirect(_detail_url(ticket), status=303)


@dataclass(frozen=True)
class TicketRow:
    """A ticket as the client's list shows it."""

    ticket: SupportTicket
    status_label: str
    status_tone: str
    waiting_on_you: bool

    @classmethod
    def of(cls, ticket: SupportTicket) -> "TicketRow":
        label, tone = CLIENT_STATUS.get(ticket.status, (ticket.get_status_display(), "open"))
        return cls(ticket=ticket, status_label=str(label), status_tone=tone, waiting_on_you=waiting_on_client(ticket))


def waiting_on_client(ticket: SupportTicket) -> bool:
    """Whether the next move is the client's: the desk asked them something, or resolved the ticket and
    waits for them to confirm (a reply reopens it)."""
    if ticket.status == TicketStatus.RESOLVED:
        return True
    return ticket.status in ACTIVE_STATUSES and ticket.waiting_on_client_since is not None


@dataclass
class ConversationEntry:
    """One message on the ticket as the client sees it: who wrote it (a name, never contact details),
    when, what, and its files."""

    pk: int | None
    author_name: str
    from_desk: bool
    at: datetime
    body: str
    files: list[FileAttachment] = field(default_factory=list)


def _conversation(ticket: SupportTicket) -> list[ConversationEntry]:
    """The opening message and every reply the client may read, in order, with their files: two queries
    whatever their number. Internal notes are filtered out by the query; their files are never fetched."""
    comments = list(
        TicketComment.objects.filter(ticket=ticket, is_internal=False)
        .select_related("author")
        .only("pk", "created_at", "body", "author_id", "author__full_name")
        .order_by("created_at", "pk")
    )
    opening = ConversationEntry(
        pk=None, author_name=ticket.requester.full_name, from_desk=False, at=ticket.created_at, body=ticket.description
    )
    entries = {
        comment.pk: ConversationEntry(
            pk=comment.pk,
            author_name=_author_name(comment, ticket),
            from_desk=comment.author_id != ticket.requester_id,
            at=comment.created_at,
            body=comment.body,
        )
        for comment in comments
    }
    files = FileAttachment.objects.filter(
        Q(owner_type=FileOwnerType.TICKET, owner_id=ticket.pk)
        | Q(owner_type=FileOwnerType.TICKET_COMMENT, owner_id__in=list(entries))
    )
    for attachment in files.only(*FILE_FIELDS).order_by("created_at", "pk"):
        if attachment.owner_type == FileOwnerType.TICKET:
            opening.files.append(attachment)
        elif attachment.owner_id in entries:
            entries[attachment.owner_id].files.append(attachment)
    return [opening, *entries.values()]


def _author_name(comment: TicketComment, ticket: SupportTicket) -> str:
    """The requester's own name; for the desk a first name only (nothing else about staff reaches the
    client), or none, in which case the page says "Support team"."""
    if comment.author_id == ticket.requester_id:
        return ticket.requester.full_name
    return (comment.author.full_name or "").split(" ")[0]


def _detail_render(request: HttpRequest, ticket: SupportTicket, form: TicketReplyForm, *, status: int = 200):
    label, tone = CLIENT_STATUS.get(ticket.status, (ticket.get_status_display(), "open"))
    context = {
        "ticket": ticket,
        "status_label": label,
        "status_tone": tone,
        "waiting_on_you": waiting_on_client(ticket),
        "is_closed": ticket.status == TicketStatus.CLOSED,
        "is_resolved": ticket.status == TicketStatus.RESOLVED,
        "conversation": _conversation(ticket),
        "form": form,
        "may_attach": request.user.has_perm(ADD_ATTACHMENT),
        "may_open": request.user.has_perm(ADD_TICKET),
    }
    return render(request, "support/help/ticket_detail.html", context, status=status)


def _new_form_render(request: HttpRequest, form: TicketOpenForm, *, status: int = 200) -> HttpResponse:
    context = {"form": form, "may_attach": request.user.has_perm(ADD_ATTACHMENT)}
    return render(request, "support/help/ticket_new.html", context, status=status)


def _own_ticket_or_404(request: HttpRequest, reference: str) -> SupportTicket:
    """The user's own ticket of that reference; 404 for any other, as for one that does not exist."""
    if not is_ticket_reference(reference):
        raise Http404
    ticket = (
        SupportTicket.objects.filter(reference=reference.upper(), requester=cast(User, request.user))
        .select_related("requester")
        .first()
    )
    if ticket is None:
        raise Http404
    return ticket


def _uploads_cap(request: HttpRequest, owner_type: str) -> None:
    """Stops storing the request's files past ``MESSAGE_MAX_FILES`` files or the owner type's size in all
    (read as they arrive)."""
    limit = upload_rules(owner_type).max_bytes
    request.upload_handlers.insert(0, CappedUploadHandler(request, limit=limit, max_files=MESSAGE_MAX_FILES))


def _upload_refused(request: HttpRequest, form: TicketOpenForm | TicketReplyForm) -> bool:
    """Whether the upload handler stopped the request's files; the form then says why (and the text the
    client typed stays in it)."""
    if not getattr(request, "upload_too_large", False):
        return False
    limit = filesizeformat(cast(AttachedFilesField, form.fields["attachments"]).max_bytes)
    form.add_error(
        "attachments",
        _("Attach at most %(count)s files to a message, %(limit)s in all.")
        % {"count": MESSAGE_MAX_FILES, "limit": limit},
    )
    return True


def _sign_in_redirect(next_url: str) -> HttpResponseRedirect:
    return redirect_to_login(next_url, login_url=reverse("help:sign_in"))


def _detail_url(ticket: SupportTicket) -> str:
    return reverse("help:ticket_detail", kwargs={"reference": ticket.reference})
