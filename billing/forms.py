"""The finance pages' forms: their shape only. The rules (who may, how much, in which state) are
``billing.services``'; a refusal from a service is shown as a message on the page it came from."""

from django import forms
from django.utils.translation import gettext_lazy as _

from billing.services import REASON_MAX_LENGTH
from core.filters import EARLIEST_DAY, LATEST_DAY

# What is even read of a typed text; the services trim it and say why when it is too long.
TEXT_READ_LIMIT = REASON_MAX_LENGTH * 2


class RefundRequestForm(forms.Form):
    amount = forms.CharField(
        label=_("Amount"),
        max_length=32,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        error_messages={"required": _("Say how much goes back.")},
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=TEXT_READ_LIMIT,
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,  # the service asks for it, with the same message everywhere
    )


class RefundDecisionForm(forms.Form):
    """Approving or processing a refund: only where to go back to."""

    next = forms.CharField(required=False, max_length=2000)


class RefundRejectForm(RefundDecisionForm):
    reason = forms.CharField(label=_("Reason"), max_length=TEXT_READ_LIMIT, required=False)


class ServiceSearchForm(forms.Form):
    q = forms.CharField(label=_("Service title"), max_length=200, required=False)


class CommissionDayForm(forms.Form):
    """The day a service's commission is looked at (today when not given)."""

    day = forms.DateField(label=_("On"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean_day(self):
        day = self.cleaned_data.get("day")
        if day is not None and not EARLIEST_DAY <= day <= LATEST_DAY:
            raise forms.ValidationError(
                _("Enter a day between %(first)s and %(last)s.")
                % {"first": f"{EARLIEST_DAY:%Y-%m-%d}", "last": f"{LATEST_DAY:%Y-%m-%d}"}
            )
        return day
