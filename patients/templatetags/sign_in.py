"""``{{ order.email|masked_email }}``: "m***@example.com" (``patients.accounts.masked_email``)."""

from django import template

from patients.accounts import masked_email as mask

register = template.Library()


@register.filter
def masked_email(email):
    return mask(email)
