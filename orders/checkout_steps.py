"""The questionnaire at checkout, in short steps (``QuestionnaireForm.STEPS``).

The steps are a presentation of the one form: every post is checked by the whole
``QuestionnaireForm`` on her answers so far (the draft kept in the session, see
``orders.views._keep_answers``, with this step's answers laid over it), and only the errors of
the steps she has seen are shown. The final step's post is the submission the order is placed
from, exactly as the one-page questionnaire was.
"""

import re

from django.core.exceptions import NON_FIELD_ERRORS

from clinic.questions import ALLERGY_ROWS, MEDICINE_ROWS

# The lists she can lengthen with "Add another": prefix -> (rows the form has, second part).
LISTS = {"medicine": (MEDICINE_ROWS, "dose"), "allergy": (ALLERGY_ROWS, "reaction")}
# Numbers read together, asked in one fieldset: field name -> its legend.
NUMBER_GROUPS = {
    "height_feet": "Your height",
    "height_inches": "Your height",
    "bp_systolic": "Blood pressure",
    "bp_diastolic": "Blood pressure",
}
ROW = re.compile(r"(medicine|allergy)_(\d+)_(name|dose|reaction)")


def step_count(form):
    return len(form.STEPS)


def parse_step(value, form):
    """The step asked for (1-based), or None for anything that is not one."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 3:
        number = int(value)
        if 1 <= number <= step_count(form):
            return number
    return None


def step_field_names(form, number):
    """The names of the fields step ``number`` asks."""
    _title, sections = form.steps[number - 1]
    return [bound.name for _t, _note, fields in sections for bound in fields]


def merge_answers(data, fields, saved, post, names):
    """Fill ``data`` (a QueryDict) with her draft answers to ``fields``, then ``names`` as
    ``post`` has them (an unticked box or an emptied choice too: absent from the post)."""
    for name, value in (saved or {}).items():
        if name in fields:
            data.setlist(name, value if isinstance(value, list) else [value])
    for name in names:
        values = post.getlist(name)
        if values:
            data.setlist(name, values)
        else:
            data.pop(name, None)


def step_of(form, name):
    return next(
        (n for n in range(1, step_count(form) + 1) if name in step_field_names(form, n)), None
    )


def step_to_show(form, current):
    """The step to show her after a post of step ``current``, or None: she may go on.

    A stop appears at the step that causes it: the current one when one of its answers is
    there, else the first step holding one. Otherwise the first step up to the current one
    with an error (an earlier one only when answers no longer fit, e.g. after a change to
    her cart); the errors of later steps (questions not asked yet) do not count."""
    stop_steps = {step_of(form, key) for stop in form.stops for key in stop.get("keys", ())}
    stop_steps.discard(None)
    if stop_steps:
        return current if current in stop_steps else min(stop_steps)
    if NON_FIELD_ERRORS in form.errors:
        return current
    with_errors = {step_of(form, name) for name in form.errors if name != NON_FIELD_ERRORS}
    return min((n for n in with_errors if n <= current), default=None)


def question_count(form):
    """The questions she answers, as she sees them: a fieldset of numbers (height) or a list
    (her medicines, with its "none" box) is one question."""
    rows = {prefix: 1 for prefix in LISTS}
    return sum(
        len([item for item in grouped(fields, rows) if item[0] != "list"])
        for _title, sections in form.steps
        for _t, _note, fields in sections
    )


def minutes_for(questions):
    """About 20 seconds a question, rounded up to whole minutes."""
    return max(1, -(-questions // 3))


def filled_rows(data, prefix):
    """The last row of list ``prefix`` with anything typed in it (0 if none)."""
    rows, second = LISTS[prefix]
    last = 0
    for i in range(1, rows + 1):
        if any((data.get(f"{prefix}_{i}_{part}") or "").strip() for part in ("name", second)):
            last = i
    return last


def shown_rows(data, prefix, asked):
    """How many rows of list ``prefix`` to show: one, every row with an answer, and the rows
    she asked for with "Add another" (never more than the form has)."""
    rows, _second = LISTS[prefix]
    wanted = asked if isinstance(asked, int) else 1
    return max(1, min(rows, max(filled_rows(data, prefix), wanted)))


def visible(bound_field, rows):
    """Whether a field of a step is shown: a list's rows beyond ``rows[prefix]`` are not."""
    match = ROW.fullmatch(bound_field.name)
    return match is None or int(match[2]) <= rows[match[1]]


def grouped(fields, rows):
    """A section's fields as items for the template: ("field", bound field, []); ("group",
    legend, [bound fields]) for numbers read together (height, blood pressure); ("list",
    prefix, [groups]) for the shown rows of a list (a medicine: its name and dose)."""
    items, groups = [], {}
    for bound in fields:
        if not visible(bound, rows):
            continue
        match = ROW.fullmatch(bound.name)
        if match:
            key, legend = f"{match[1]}_{match[2]}", f"{match[1].capitalize()} {match[2]}"
        elif bound.name in NUMBER_GROUPS:
            key = legend = NUMBER_GROUPS[bound.name]
        else:
            items.append(("field", bound, []))
            continue
        if key not in groups:
            groups[key] = ("group", legend, [])
            if match and match[1] not in groups:
                groups[match[1]] = ("list", match[1], [])
                items.append(groups[match[1]])
            (groups[match[1]][2] if match else items).append(groups[key])
        groups[key][2].append(bound)
    return items
