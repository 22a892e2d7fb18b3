"""Forms shared by the patient's pages (test-mode payment, her account)."""

from django import forms

from core.forms import SpecificErrorsMixin
from core.us_states import StateField
from orders.models.address import ship_fields


class AddressForm(SpecificErrorsMixin, forms.Form):
    """A US shipping address: what Stripe Checkout collects, and what she can change later."""

    required_messages = {
        "name": "Enter the name of the person the parcel is for.",
        "line1": "Enter the street address, e.g. 123 Main Street.",
        "city": "Enter the city.",
        "state": "Choose a US state from the list.",
        "postal_code": "Enter the 5-digit ZIP code, e.g. 11201.",
    }

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
