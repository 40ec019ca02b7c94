"""The staff desk's forms: their shape only. Rules (who may, which moves, what a message may hold) are the
services'; a refusal from a service is shown on the form it came from."""

from typing import cast

from django import forms
from django.conf import settings
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext_lazy as _

from support.models import TicketPriority, TicketStatus
from support.selectors import ticket_handlers
from support.services import BULK_ASSIGN, BULK_CLOSE, BULK_PRIORITY

UNASSIGN = "none"


def handler_choices(handlers=None, *, blank_label) -> list[tuple[str, str]]:
    """The assignee choices: nobody, or one of ``handlers`` (by default read now: ``ticket_handlers``)."""
    if handlers is None:
        handlers = ticket_handlers().only("pk", "full_name", "email")
    return [
        ("", blank_label),
        (UNASSIGN, _("Nobody (unassigned)")),
        *((str(user.pk), user.full_name or user.email) for user in handlers),
    ]


class ReplyForm(forms.Form):
    """A reply the client sees, or (``kind`` = note) an internal note."""

    REPLY, NOTE = "reply", "note"

    kind = forms.ChoiceField(choices=((REPLY, _("Reply")), (NOTE, _("Internal note"))), widget=forms.HiddenInput)
    body = forms.CharField(
        label=_("Message"),
        widget=forms.Textarea(attrs={"rows": 6}),
        strip=False,  # the service trims and checks it, with the same messages everywhere
        max_length=settings.SUPPORT_COMMENT_MAX_LENGTH * 2,  # a hard cap on what is even read; the service says why
    )
    wait_for_client = forms.BooleanField(
        label=_("Wait for the client's answer (stops the resolution clock)"), required=False
    )

    @property
    def is_internal(self) -> bool:
        return self.cleaned_data.get("kind") == self.NOTE


class AssignForm(forms.Form):
    assignee = forms.ChoiceField(label=_("Assignee"))

    def __init__(self, *args, handlers=None, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["assignee"]).choices = handler_choices(handlers, blank_label=_("Choose…"))


class PriorityForm(forms.Form):
    priority = forms.ChoiceField(label=_("Priority"), choices=TicketPriority.choices)


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=TicketStatus.choices)


class BulkForm(forms.Form):
    """The queue's bulk actions on the ticked tickets (at most one page of them)."""

    tickets = forms.TypedMultipleChoiceField(
        coerce=int, choices=(), error_messages={"required": _("Tick some tickets first.")}
    )
    action = forms.ChoiceField(
        choices=((BULK_ASSIGN, _("Assign")), (BULK_PRIORITY, _("Set priority")), (BULK_CLOSE, _("Close"))),
        error_messages={"required": _("Choose what to do with the ticked tickets.")},
    )
    assignee = forms.ChoiceField(required=False)
    priority = forms.ChoiceField(required=False, choices=(("", _("Priority…")), *TicketPriority.choices))
    back = forms.CharField(required=False, max_length=2000)

    def __init__(self, *args, handlers=None, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["assignee"]).choices = handler_choices(handlers, blank_label=_("Assignee…"))
        # Any id is accepted here; the view looks the tickets up among those the user may see.
        sent = self.data.getlist("tickets") if isinstance(self.data, MultiValueDict) else []
        ids = [value for value in sent if value.isascii() and value.isdigit()]
        cast(forms.ChoiceField, self.fields["tickets"]).choices = [(value, value) for value in ids[:100]]

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        action = cleaned.get("action")
        if action == BULK_ASSIGN and not cleaned.get("assignee"):
            self.add_error("assignee", _("Choose whom to assign the tickets to."))
        if action == BULK_PRIORITY and not cleaned.get("priority"):
            self.add_error("priority", _("Choose the new priority."))
        return cleaned
