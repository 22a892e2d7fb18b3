"""A US shipping address: the fields orders and shipments share."""

from django.db import models

# The one mapping between an address's parts, as Stripe, our forms and her pages name them,
# and the ``ship_*`` fields orders and shipments store them in.
ADDRESS_PARTS = {
    "name": "ship_name",
    "line1": "ship_line1",
    "line2": "ship_line2",
    "city": "ship_city",
    "state": "ship_state",
    "postal_code": "ship_postal_code",
    "country": "ship_country",
}


def ship_fields(parts):
    """``{"line1": ...}`` (missing or None parts blank) as ``{"ship_line1": ...}``."""
    return {field: parts.get(part) or "" for part, field in ADDRESS_PARTS.items()}


class AddressFields(models.Model):
    """A US shipping address (collected by Stripe Checkout, copied onto orders and shipments)."""

    ship_name = models.CharField("recipient", max_length=200, blank=True)
    ship_line1 = models.CharField("address line 1", max_length=200, blank=True)
    ship_line2 = models.CharField("address line 2", max_length=200, blank=True)
    ship_city = models.CharField("city", max_length=100, blank=True)
    ship_state = models.CharField("state", max_length=100, blank=True)
    ship_postal_code = models.CharField("ZIP code", max_length=20, blank=True)
    ship_country = models.CharField("country", max_length=2, blank=True)

    class Meta:
        abstract = True

    ADDRESS_FIELDS = tuple(ADDRESS_PARTS.values())

    @property
    def has_address(self):
        return bool(self.ship_line1)

    @property
    def address_lines(self):
        """The address as the lines of an envelope."""
        city_line = " ".join(
            part
            for part in (
                f"{self.ship_city}," if self.ship_city else "",
                self.ship_state,
                self.ship_postal_code,
            )
            if part
        )
        return [
            line
            for line in (
                self.ship_name,
                self.ship_line1,
                self.ship_line2,
                city_line,
                self.ship_country,
            )
            if line
        ]

    def address_dict(self):
        return {name: getattr(self, name) for name in self.ADDRESS_FIELDS}

    def address_parts(self):
        """The address as ``{"name", "line1", ...}``: what the address form starts from."""
        return {part: getattr(self, field) for part, field in ADDRESS_PARTS.items()}
