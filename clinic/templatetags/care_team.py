"""``{% care_team as team %}``: the public care team (``clinic.care_team``), cached, for the
care-team page, treatment pages, the home page and the cart."""

from django import template

from clinic.care_team import care_team as public_care_team

register = template.Library()


@register.simple_tag
def care_team():
    return public_care_team()
