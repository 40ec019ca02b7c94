"""Forms for consultants' records that check what their services would refuse, so it shows as a field error."""

from django import forms

from consultants.models import Service
from consultants.services import service_price_check


class ServiceForm(forms.ModelForm):
    class Meta:
        model = Service
        fields = ("consultant", "category", "title", "description", "price", "duration_minutes", "is_active")

    def clean_price(self):
        price = self.cleaned_data["price"]
        service_price_check(price=price)
        return price
