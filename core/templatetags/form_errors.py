"""``{% error_summary form other_form %}``: the box at the top of a form that failed, one
link per problem to its field (``core.forms.error_links``); ``{% error_title form %}``: "Error: "
for the start of the page title when any of the forms has an error.

Forms post to ``...#errors``, so after a failed submission the browser lands on the summary
and focuses it (it has ``tabindex="-1"``; ``autofocus`` does the same where the fragment is
not kept), without JavaScript.
"""

from django import template

from core.forms import error_links

register = template.Library()


def _bound_forms(forms):
    return [form for form in forms if form is not None and getattr(form, "is_bound", False)]


def _links(forms, only):
    """Every error of ``forms``; with ``only`` (field names), the errors of those fields (and
    the forms' own): a page showing part of a form (a step) lists what it shows."""
    return [
        (anchor, message)
        for form in _bound_forms(forms)
        for anchor, message in error_links(form, only)
    ]


@register.inclusion_tag("includes/error_summary.html")
def error_summary(*forms, only=None):
    return {"error_links": _links(forms, only)}


@register.simple_tag
def error_title(*forms, only=None):
    return "Error: " if _links(forms, only) else ""
