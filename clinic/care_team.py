"""The care team as the public sees it: each active clinician's name, credentials, states,
one-line bio and photo (or initials), on the care-team page, every treatment page, the home
page and the cart.

Built in two queries whatever the number of clinicians, and cached with the public content
(``core.cache``): saving a clinician, her licences or her user bumps the content version
(``watch_clinicians``, connected in ``ClinicConfig.ready``), and a licence that expires
takes the cached team with it (``until``)."""

import datetime
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Min, Prefetch
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from core import public_images
from core.cache import cached, content_changed
from core.us_states import STATE_NAMES, US_STATES
from orders.models import ClinicianLicence, ClinicianProfile

PHOTO_SIZE = (240, 240)  # shown at 96 px: sharp on screens of 2.5x
PHOTO_FOLDER = "clinicians"


@dataclass(frozen=True)
class Member:
    name: str
    credentials: str
    bio: str
    initials: str
    states: tuple  # two-letter codes, sorted
    photo_sources: tuple  # ((url, mime type), ...), best format first; () for initials

    @property
    def everywhere(self):
        """Licensed in every state (the card says so instead of listing fifty)."""
        return len(self.states) == len(US_STATES)

    @property
    def state_names(self):
        return ", ".join(STATE_NAMES[code] for code in self.states)

    @property
    def photo_fallback(self):
        return self.photo_sources[-1][0] if self.photo_sources else ""


def _build():
    today = timezone.localdate()
    profiles = ClinicianProfile.objects.active().prefetch_related(
        Prefetch(
            "licences",
            queryset=ClinicianLicence.objects.current(today).order_by("state"),
            to_attr="current_licences",
        )
    )
    return tuple(
        Member(
            name=profile.display_name,
            credentials=profile.credentials,
            bio=profile.bio,
            initials=profile.initials,
            states=tuple(licence.state for licence in profile.current_licences),
            photo_sources=tuple(public_images.sources(profile.photo)),
        )
        for profile in profiles
        if profile.current_licences
    )


def _first_expiry():
    """When the cached team goes stale by itself: the day after the first current licence
    of an active clinician expires."""
    first = (
        ClinicianLicence.objects.current()
        .filter(profile__in=ClinicianProfile.objects.active())
        .aggregate(first=Min("expires_on"))["first"]
    )
    if first is None:
        return None
    day_after = first + datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(day_after, datetime.time.min))


def care_team():
    """The active clinicians with a current licence, as ``Member`` values, by name."""
    return cached("care-team", _build, until=_first_expiry)


def _changed(sender, using=None, **kwargs):
    content_changed(using=using)


def _user_saved(sender, instance, created=False, using=None, update_fields=None, **kwargs):
    # A new user has no profile yet, and a sign-in saves last_login alone: neither changes
    # what the public sees (and neither costs a query).
    if created or (update_fields is not None and set(update_fields) <= {"last_login"}):
        return
    if ClinicianProfile.objects.using(using).filter(user_id=instance.pk).exists():
        content_changed(using=using)


def watch_clinicians():
    """Saving or deleting a clinician or a licence, or saving a clinician's user (who may be
    deactivated), refreshes every cached public page that shows the care team."""
    for model in (ClinicianProfile, ClinicianLicence):
        uid = f"care-team:{model._meta.label}"
        post_save.connect(_changed, sender=model, dispatch_uid=uid)
        post_delete.connect(_changed, sender=model, dispatch_uid=uid)
    post_save.connect(_user_saved, sender=get_user_model(), dispatch_uid="care-team:user")
