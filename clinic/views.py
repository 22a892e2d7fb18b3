"""The public care-team page."""

from django.shortcuts import render
from django.views.decorators.http import require_safe

from core.cache import public_page

from .care_team import care_team


@require_safe
@public_page
def care_team_page(request):
    """Every active clinician with a current licence: no query once cached (core.cache)."""
    return render(request, "clinic/care_team.html", {"team": care_team()})
