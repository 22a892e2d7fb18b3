"""Site-wide middleware: security headers, and how long a staff or patient session lasts."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.urls import reverse

# Session keys of a staff session: when it began, when it was last used (Unix time).
STAFF_STARTED = "oana.staff_session_started"
STAFF_SEEN = "oana.staff_session_seen"
# When a patient's session was last used (Unix time).
PATIENT_SEEN = "oana.patient_session_seen"
# The last-used time is written at most this often (each write is a session save).
SEEN_RESOLUTION_SECONDS = 60


class SecurityHeadersMiddleware:
    """``Permissions-Policy`` turning off the browser features in ``PERMISSIONS_POLICY`` on
    every response, and ``Reporting-Endpoints`` naming our CSP report endpoint (the CSP's
    ``report-to csp``)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault(
            "Permissions-Policy", ", ".join(f"{name}=()" for name in settings.PERMISSIONS_POLICY)
        )
        response.headers.setdefault("Reporting-Endpoints", f'csp="{reverse("csp_report")}"')
        return response


def start_staff_session(request):
    """Called once the second factor is verified: the clocks of a new staff session."""
    now = int(time.time())
    request.session[STAFF_STARTED] = now
    request.session[STAFF_SEEN] = now
    request.session.set_expiry(settings.STAFF_SESSION_IDLE_SECONDS)


class StaffSessionMiddleware:
    """Staff sessions end after ``STAFF_SESSION_IDLE_SECONDS`` without a request and
    ``STAFF_SESSION_MAX_SECONDS`` after sign-in, whatever happens; patients' sessions after
    ``PATIENT_SESSION_IDLE_SECONDS`` without a request. An expired staff session is signed
    out, and the next admin page asks for the password and the second factor again, saying
    why; a patient is told why on the sign-in page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Without a session cookie nobody is signed in: the session is not even looked at
        # (looking would add "Vary: Cookie" to feeds, robots.txt and the webhook's answers).
        if settings.SESSION_COOKIE_NAME in request.COOKIES:
            user = request.user
            if user.is_authenticated and user.is_staff:
                self._check(request)
            elif user.is_authenticated:
                self._check_patient(request)
        return self.get_response(request)

    def _check_patient(self, request):
        session = request.session
        now = int(time.time())
        seen, idle = session.get(PATIENT_SEEN), settings.PATIENT_SESSION_IDLE_SECONDS
        if isinstance(seen, int) and now - seen > idle:
            logout(request)
            messages.info(
                request,
                f"You were signed out after {idle // 3600} hours without activity. "
                "Ask for a new code to sign in again.",
            )
        elif not isinstance(seen, int) or now - seen >= SEEN_RESOLUTION_SECONDS:
            # Signed in just now (or before this clock existed), or a minute has passed:
            # the session's cookie and row last ``idle`` seconds from now.
            session[PATIENT_SEEN] = now
            session.set_expiry(idle)

    def _check(self, request):
        session = request.session
        now = int(time.time())
        started, seen = session.get(STAFF_STARTED), session.get(STAFF_SEEN)
        idle, longest = settings.STAFF_SESSION_IDLE_SECONDS, settings.STAFF_SESSION_MAX_SECONDS
        if not request.user.is_verified():
            # Staff are signed in only once their second factor is verified
            # (oana/two_factor.py): this session predates that rule.
            message = "Staff sign in with a second factor now."
        elif not isinstance(started, int) or not isinstance(seen, int):
            # Verified, but from before these clocks existed: they start now.
            start_staff_session(request)
            return
        elif now - seen > idle:
            message = f"You were signed out after {idle // 60} minutes without activity."
        elif now - started > longest:
            message = f"You were signed out {longest // 3600} hours after signing in."
        else:
            if now - seen >= SEEN_RESOLUTION_SECONDS:
                session[STAFF_SEEN] = now
            return
        logout(request)
        messages.info(request, f"{message} Please sign in again.")
