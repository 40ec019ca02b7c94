"""The search box."""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.selectors import NAME_SEARCH_MAX_LENGTH, NAME_SEARCH_MIN_LENGTH


class SearchForm(forms.Form):
    # CharField refuses NUL characters itself ("Null characters are not allowed.").
    q = forms.CharField(
        label=_("Search"),
        max_length=NAME_SEARCH_MAX_LENGTH,
        min_length=NAME_SEARCH_MIN_LENGTH,
        error_messages={
            "required": _("Type part of a name, an e-mail address or a reference."),
            "min_length": _("Type at least %(limit_value)d characters."),
            "max_length": _("Type at most %(limit_value)d characters."),
        },
    )

    def clean_q(self) -> str:
        text = " ".join("".join(c if c.isprintable() else " " for c in self.cleaned_data["q"]).split())
        if len(text) < NAME_SEARCH_MIN_LENGTH:
            raise forms.ValidationError(
                self.fields["q"].error_messages["min_length"] % {"limit_value": NAME_SEARCH_MIN_LENGTH}
            )
        return text
