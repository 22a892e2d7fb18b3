"""``{% earlier_stops_for order as records %}``: the stops recorded for the person of an
order (``clinic.stop_records.earlier_stops``), for ``admin/clinic/_earlier_stops.html``."""

from django import template

from clinic.stop_records import earlier_stops

register = template.Library()


@register.simple_tag
def earlier_stops_for(order):
    return earlier_stops(order)
