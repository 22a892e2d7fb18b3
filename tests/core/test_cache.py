"""core.cache: one content version in the cache, bumped by every change, in every key."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.template import Context, Template, TemplateSyntaxError
from django.utils import timezone

from core.cache import VERSION_KEY, cache_key, cached, current_version
from treatments.models import Category, Plan, Treatment
from treatments.seed import load_catalog

pytestmark = pytest.mark.django_db


class Builds:
    """A build function that counts its calls."""

    def __init__(self, value="v"):
        self.value, self.calls = value, 0

    def __call__(self):
        self.calls += 1
        return f"{self.value}{self.calls}"


def test_a_value_is_built_once_per_version():
    build = Builds()
    assert cached("thing", build, "a") == "v1"
    assert cached("thing", build, "a") == "v1"
    assert cached("thing", build, "b") == "v2"  # other parts, other value
    Category.objects.create(name="New", slug="new")  # any catalog save
    assert cached("thing", build, "a") == "v3"


@pytest.mark.parametrize(
    "change",
    [
        lambda t, other: t.save(),
        lambda t, other: t.components.add(other),
        lambda t, other: Plan.objects.filter(treatment=t).first().delete(),
        lambda t, other: t.testimonials.create(quote="Q", patient_name="P."),
    ],
    ids=["save", "m2m", "delete", "related-create"],
)
def test_every_kind_of_change_bumps_the_version(change):
    load_catalog()
    treatment, other = Treatment.objects.all()[:2]
    Plan.objects.create(treatment=treatment, amount_cents=999)  # one to delete
    before = current_version()
    change(treatment, other)
    assert current_version() > before


def test_a_change_bumps_again_when_its_transaction_commits(django_capture_on_commit_callbacks):
    before = current_version()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        Category.objects.create(name="New", slug="new")
    assert callbacks
    assert current_version() == before + 2  # at once, and at the commit


def test_a_lost_version_never_brings_old_entries_back():
    build = Builds()
    assert cached("thing", build) == "v1"
    old = current_version()
    cache.delete(VERSION_KEY)  # evicted, or the cache server restarted without its data
    assert current_version() > old
    assert cached("thing", build) == "v2"


def test_a_bump_with_no_version_stored_starts_a_new_one():
    cache.delete(VERSION_KEY)
    Category.objects.create(name="New", slug="new")
    assert cache.get(VERSION_KEY) is not None


def test_a_value_expires_at_its_until_time():
    build = Builds()
    past = lambda: timezone.now() - timedelta(seconds=1)  # noqa: E731
    assert cached("expired", build, until=past) == "v1"
    assert cached("expired", build, until=past) == "v2"
    future = lambda: timezone.now() + timedelta(hours=1)  # noqa: E731
    assert cached("later", build, until=future) == "v3"
    assert cached("later", build, until=future) == "v3"


def test_a_failed_build_is_not_cached():
    def fails():
        raise LookupError("no such thing")

    with pytest.raises(LookupError):
        cached("missing", fails)
    assert cached("missing", Builds()) == "v1"


def test_keys_carry_plain_parts_as_they_are_and_hash_the_rest():
    assert cache_key("treatment", "hairless-hype") == "public:treatment:hairless-hype"
    assert cache_key("list", "", 2) == "public:list::2"
    odd = cache_key("treatment", "a b/<c>" * 50)
    assert len(odd) < 120 and " " not in odd and "<" not in odd
    assert odd != cache_key("treatment", "a b/<c>" * 51)


def test_a_fragment_is_rendered_without_anything_of_the_visitor():
    template = Template(
        "{% load public_cache %}{% cachedfragment 'probe' slug %}"
        "[{{ csrf_token }}|{{ csp_nonce }}|{{ user }}|{{ request.path }}|{{ cart_count }}"
        "|{{ messages }}|{{ unread_messages }}|{{ perms }}|{{ slug }}]{% endcachedfragment %}"
        "{{ csrf_token }}"
    )
    visitor = {
        "csrf_token": "TOKEN",
        "csp_nonce": "NONCE",
        "user": "alice",
        "request": {"path": "/secret/"},
        "cart_count": 3,
        "messages": ["hi"],
        "unread_messages": 2,
        "perms": "p",
        "slug": "x",
    }
    assert template.render(Context(visitor)) == "[||||||||x]TOKEN"
    # The same fragment for the next visitor comes from the cache.
    assert template.render(Context({**visitor, "csrf_token": "OTHER"})) == "[||||||||x]OTHER"


def test_a_fragment_needs_a_name():
    with pytest.raises(TemplateSyntaxError, match="needs a fragment name"):
        Template("{% load public_cache %}{% cachedfragment %}{% endcachedfragment %}")
