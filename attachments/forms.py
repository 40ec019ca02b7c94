from django import forms
from django.utils.translation import gettext_lazy as _

from attachments.models import FileOwnerType


class AttachmentUploadForm(forms.Form):
    """The attachments panel's upload. The service checks everything about the owner and the file; this
    only reads the fields."""

    owner_type = forms.ChoiceField(choices=FileOwnerType.choices)
    owner_id = forms.IntegerField(min_value=1, max_value=2**63 - 1)
    file = forms.FileField(label=_("File"), allow_empty_file=True)  # the service says "empty" itself
    is_public = forms.BooleanField(
        label=_("Public (anyone with the link may open it)"),
        required=False,
    )
