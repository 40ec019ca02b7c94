"""The help center's forms: the shape of what a client sends. The services decide everything else (who
may, how long, which characters, which files), so their refusals reach the client as these forms' errors."""

from typing import TYPE_CHECKING, cast

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from attachments.file_types import FILE_TYPES
from attachments.models import FileOwnerType
from attachments.validation import upload_rules
from support.models import TicketPriority
from support.services import MESSAGE_MAX_FILES, SUBJECT_MAX_LENGTH

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# What each priority means to the client, shown beside its choice.
PRIORITY_HINTS: "dict[str, StrOrPromise]" = {
    TicketPriority.LOW: _("A question or a small annoyance; no rush."),
    TicketPriority.MEDIUM: _("Something is not working as it should."),
    TicketPriority.HIGH: _("It stops part of your work."),
    TicketPriority.URGENT: _("Nothing works, or a session is about to start."),
}


class _SeveralFilesInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachedFilesField(forms.FileField):
    """Optional files, up to ``MESSAGE_MAX_FILES`` (the upload handler stops a request carrying more,
    and the service refuses more); the attachments' rules judge each. Cleans to a list."""

    widget = _SeveralFilesInput

    def __init__(self, *, owner_type: str, **kwargs) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_empty_file", True)  # the upload service says "The file is empty." itself
        super().__init__(**kwargs)
        self.owner_type = owner_type
        self.max_bytes = 0
        self.max_files = MESSAGE_MAX_FILES
        self.type_labels: list[str] = []

    def clean(self, data, initial=None) -> list:
        files = data if isinstance(data, list | tuple) else [data]
        return [super(AttachedFilesField, self).clean(file, initial) for file in files if file]

    def rules_apply(self) -> None:
        """Reads the owner type's rules (settings, so at form time, never at import) into the field: the
        size and types named beside it, and the file picker's ``accept`` list."""
        rules = upload_rules(self.owner_type)
        known = [FILE_TYPES[mime] for mime in rules.mimes if mime in FILE_TYPES]
        self.max_bytes = rules.max_bytes
        self.type_labels = list(dict.fromkeys(str(file_type.label) for file_type in known))
        self.widget.attrs["accept"] = ",".join(
            extension for file_type in known for extension in (*file_type.extensions, file_type.mime)
        )


class TicketOpenForm(forms.Form):
    subject = forms.CharField(
        label=_("Subject"),
        help_text=_("A few words that sum up the problem."),
        max_length=SUBJECT_MAX_LENGTH,
        error_messages={
            "required": _("Give your request a short subject."),
            "max_length": _("Keep the subject to at most %(limit_value)d characters (it has %(show_value)d)."),
        },
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    description = forms.CharField(
        label=_("How can we help?"),
        help_text=_("What happened, what you expected, and anything you already tried."),
        error_messages={"required": _("Tell us what happened.")},
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    priority = forms.ChoiceField(
        label=_("How urgent is it?"),
        choices=TicketPriority.choices,
        initial=TicketPriority.MEDIUM,
        error_messages={"invalid_choice": _("Choose one of the offered priorities.")},
        widget=forms.RadioSelect,
    )
    attachments = AttachedFilesField(label=_("Attach files (optional)"), owner_type=FileOwnerType.TICKET)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["description"].widget.attrs["maxlength"] = settings.SUPPORT_COMMENT_MAX_LENGTH
        cast(AttachedFilesField, self.fields["attachments"]).rules_apply()

    def priority_choices(self) -> list[dict]:
        """The priorities with their hints, for the template's choice cards."""
        selected = self["priority"].value() or TicketPriority.MEDIUM
        return [
            {"value": value, "label": label, "hint": PRIORITY_HINTS[value], "checked": value == selected}
            for value, label in TicketPriority.choices
        ]


class TicketReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Your reply"),
        error_messages={"required": _("Write your reply before sending it.")},
        widget=forms.Textarea(attrs={"rows": 5, "placeholder": _("Write your reply…")}),
    )
    attachments = AttachedFilesField(label=_("Attach files (optional)"), owner_type=FileOwnerType.TICKET_COMMENT)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["body"].widget.attrs["maxlength"] = settings.SUPPORT_COMMENT_MAX_LENGTH
        cast(AttachedFilesField, self.fields["attachments"]).rules_apply()


def attached_files(form: forms.Form) -> list:
    """The files the client attached, as the services take them."""
    return form.cleaned_data.get("attachments") or []
