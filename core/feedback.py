"""What a page tells a person after a form or a service said no: the refusal in their words, as messages
on the page the browser lands on next. Services refuse with ``ValidationError`` (decision 0021 and the
support desk's services); forms keep their errors per field."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _


def refusal_text(refusal: Exception) -> str:
    """What a service's refusal says to a person, for the page that shows it."""
    if isinstance(refusal, ValidationError):
        return " ".join(str(message) for message in refusal.messages)
    return str(refusal) or _("You may not do that.")


def form_errors_told(request: HttpRequest, form) -> None:
    """Each of ``form``'s errors as a message on the page the browser goes to next."""
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, str(error))
