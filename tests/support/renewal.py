"""Her renewal form as a browser would send it: "no" to every yes/no question the form asks
for her treatments, a healthy body, no medicines, no allergies; ``overrides`` on top."""

from patients.views import renewal_form
from tests.support.factories import NO_CONCERNS

HEALTHY = {
    "contraception": "copper_iud",
    "height_feet": "5",
    "height_inches": "5",
    "weight_lb": "150",
    "no_medicines": "on",
    "no_allergies": "on",
    "side_effects": "none",
    "kidney": "60_plus",
    "kidney_measured": "12_months",
    "liver": "no",
}


def renewal_post(order, **overrides):
    form = renewal_form(order)
    data = {
        name: "no"
        for name, field in form.fields.items()
        if "no" in [value for value, _label in getattr(field, "choices", [])]
    }
    data |= {key: value for key, value in NO_CONCERNS.items() if key in form.fields}
    data |= HEALTHY
    if any(key.startswith("medicine_") for key in overrides):
        del data["no_medicines"]
    return data | overrides
