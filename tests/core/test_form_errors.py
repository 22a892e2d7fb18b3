"""Errors she can act on, on every patient form: a summary at the top that takes focus and links
to each field, "Error:" first in the page title, and messages that say what to type."""

import re

import pytest
from django import forms
from django.core import mail
from django.test import TestCase

from core.forms import SpecificErrorsMixin, error_links, required_message
from tests.support.clinic import order_to_review
from tests.support.factories import make_paid_order
from tests.support.patients import sign_in_patient

pytestmark = pytest.mark.django_db

SUMMARY = '<div id="errors" class="alert alert--error error-summary" tabindex="-1" role="alert" autofocus>'


def title(html):
    return re.search(r"<title>(.*?)</title>", html).group(1)


class Example(SpecificErrorsMixin, forms.Form):
    required_messages = {"name": "Enter your name, e.g. Jane."}

    name = forms.CharField(label="Name")
    colour = forms.ChoiceField(
        label="Colour", choices=[("r", "Red"), ("b", "Blue")], widget=forms.RadioSelect
    )
    agree = forms.BooleanField(label="I agree")
    note = forms.CharField(label="Note", required=False)

    def clean(self):
        raise forms.ValidationError("Something about the whole form.")


def test_the_mixin_words_each_required_message_and_links_each_error():
    form = Example(data={})
    assert not form.is_valid()
    assert form.errors["name"] == ["Enter your name, e.g. Jane."]
    assert form.errors["colour"] == ["Choose an answer to “Colour”."]
    assert form.errors["agree"] == ["Tick “I agree” to go on."]
    assert required_message(forms.CharField(label="City")) == "Fill in “City”."
    assert error_links(form) == [
        ("", "Something about the whole form."),
        ("id_name", "Enter your name, e.g. Jane."),
        ("id_colour_0", "Choose an answer to “Colour”."),  # a group: its first choice
        ("id_agree", "Tick “I agree” to go on."),
    ]
    assert error_links(form, only=["agree"]) == [
        ("", "Something about the whole form."),
        ("id_agree", "Tick “I agree” to go on."),
    ]
    assert error_links(Example()) == []  # unbound: nothing to say


def test_sign_in(client):
    html = client.get("/accounts/login/code/").content.decode()
    assert title(html) == "Sign in | Oana Health" and 'id="errors"' not in html
    html = client.post("/accounts/login/code/", {"email": ""}).content.decode()
    assert title(html) == "Error: Sign in | Oana Health"
    assert SUMMARY in html
    assert (
        '<a href="#id_email">Enter the email you used at checkout, e.g. name@example.com.</a>'
        in html
    )
    assert 'action="/accounts/login/code/#errors"' in html


def test_the_code(client):
    make_paid_order(email="jane@example.com")
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post("/accounts/login/code/", {"email": "jane@example.com"})
    assert mail.outbox
    html = client.post("/accounts/login/code/confirm/", {"code": ""}).content.decode()
    assert title(html) == "Error: Enter your code | Oana Health"
    assert SUMMARY in html
    assert '<a href="#id_code">Enter the 6-digit code from the email we sent you.</a>' in html
    assert 'action="/accounts/login/code/confirm/#errors"' in html


def test_messages(client, test_mode):
    order = order_to_review()
    sign_in_patient(client, order)
    response = client.post(f"/orders/{order.public_id}/messages/", {"body": ""})
    html = response.content.decode()
    assert response.status_code == 400
    assert title(html).startswith("Error: Messages about order")
    assert '<a href="#id_topic_0">Choose what your message is about.</a>' in html
    assert '<a href="#id_body">Write your message to your care team.</a>' in html
    assert 'action="#errors"' in html
