"""Forms shared by the patient's pages (test-mode payment, her account)."""

from django import forms

from orders.models.address import ship_fields


class AddressForm(forms.Form):
    """A US shipping address: what Stripe Checkout collects, and what she can change later."""

    name = forms.CharField(label="Full name", max_length=200)
    line1 = forms.CharField(label="Address", max_length=200)
    line2 = forms.CharField(label="Apartment, suite (optional)", max_length=200, required=False)
    city = forms.CharField(label="City", max_length=100)
    state = forms.RegexField(
        label="State",
        regex=r"^[A-Za-z]{2}$",
        help_text="Two letters, e.g. NY",
        error_messages={"invalid": "Enter the two-letter state code, e.g. NY."},
    )
    postal_code = forms.RegexField(
        label="ZIP code",
        regex=r"^\d{5}(-\d{4})?$",
        error_messages={"invalid": "Enter a 5-digit ZIP code."},
    )

    def shipping_fields(self):
        """The address as the order's ``ship_*`` fields."""
        data = self.cleaned_data
        return ship_fields({**data, "state": data["state"].upper(), "country": "US"})
