"""What every patient-facing form shares: errors she can act on.

``SpecificErrorsMixin`` replaces Django's "This field is required." with a message naming the
question (or the form's own wording in ``required_messages``), and ``error_links`` lists each
problem with the anchor of its field, for the error summary (``{% error_summary %}`` in
``core/templatetags/form_errors.py``, rendered by ``templates/includes/error_summary.html``).
"""

from django import forms

CHOICE_WIDGETS = (forms.RadioSelect, forms.CheckboxSelectMultiple)


def required_message(field):
    """ "Answer “Are you pregnant?”", "Fill in “Legal name”": the question, in her words."""
    if isinstance(field.widget, CHOICE_WIDGETS) or isinstance(field.widget, forms.Select):
        return f"Choose an answer to “{field.label}”."
    if isinstance(field, forms.BooleanField):
        return f"Tick “{field.label}” to go on."
    return f"Fill in “{field.label}”."


def field_anchor(bound_field):
    """The id an error links to: the input itself, or a group's first choice (a group of
    radios or checkboxes has no element of its own to focus)."""
    if isinstance(bound_field.field.widget, CHOICE_WIDGETS):
        return f"{bound_field.auto_id}_0"
    return bound_field.auto_id


def error_links(form, only=None):
    """[(anchor or "", message)] for every error of ``form`` (of the fields named in ``only``,
    when given), in the order of its fields; the form's own errors (no field to link to)
    first, without an anchor."""
    if not form.is_bound or not form.errors:
        return []
    links = [("", str(message)) for message in form.non_field_errors()]
    for bound_field in form:
        if only is not None and bound_field.name not in only:
            continue
        links.extend((field_anchor(bound_field), str(message)) for message in bound_field.errors)
    return links


class SpecificErrorsMixin:
    """Required-field messages that say what to do; ``required_messages`` (field name ->
    message) overrides the wording built from the label. Apply after the fields exist."""

    required_messages = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.word_required_errors()

    def word_required_errors(self):
        for name, field in self.fields.items():
            field.error_messages["required"] = self.required_messages.get(
                name, required_message(field)
            )
