"""Forms shared by the patient's pages (test-mode payment, her account)."""

from django import forms

from core.us_states import StateField
from orders.models.address import ship_fields


class AddressForm(forms.Form):
    """A US shipping address: what Stripe Checkout collects, and what she can change later."""

    name = forms.CharField(
        label="Full name",
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    line1 = forms.CharField(
        label="Address",
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "address-line1"}),
    )
    line2 = forms.CharField(
        label="Apartment, suite (optional)",
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-line2"}),
    )
    city = forms.CharField(
        label="City",
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "address-level2"}),
    )
    # A real US state or DC, picked by name as in her answers; which ones we serve is the
    # caller's rule (checkout's questionnaire, ``patients.services.address``).
    state = StateField(label="State", widget=forms.Select(attrs={"autocomplete": "address-level1"}))
    postal_code = forms.RegexField(
        label="ZIP code",
        # [0-9], not \d: \d also takes Arabic-Indic and other digits no carrier reads.
        regex=r"^[0-9]{5}(-[0-9]{4})?$",
        error_messages={"invalid": "Enter a 5-digit ZIP code."},
        widget=forms.TextInput(attrs={"autocomplete": "postal-code", "inputmode": "numeric"}),
    )

    def shipping_fields(self):
        """The address as the order's ``ship_*`` fields."""
        data = self.cleaned_data
        return ship_fields({**data, "country": "US"})
