"""The staff site: Django's admin, reachable only with a password *and* a second factor.

``OTPAdminSite`` (django-otp) lets nobody onto an admin page whose session has no verified
device, whatever the role, superusers included. The sign-in itself is ours
(``oana/two_factor.py``): the admin's sign-in page takes the password, then a code from an
authenticator app or a recovery code, with a guided enrolment the first time. It is installed
as the default admin site (``oana.apps.OanaAdminConfig``), so every ``admin.site.register`` uses it.
"""

from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django_otp.admin import OTPAdminSite

from core import ratelimit
from legal.models import LegalDocument

from . import two_factor
from .lockout import StaffAuthenticationForm
from .models import FailedTask


class OanaAdminSite(OTPAdminSite):
    site_header = "Oana Health staff"
    site_title = "Oana Health staff"
    index_title = "Run the clinic"
    # Step one is the password alone: the code is asked on a page of its own.
    login_form = StaffAuthenticationForm
    login_template = "admin/login.html"

    def __init__(self, name="admin"):
        super().__init__(name)

    def login(self, request, extra_context=None):
        """Step one: the password (``two_factor.PasswordStepView``)."""
        view = two_factor.PasswordStepView()
        view.request = request
        redirect_url = view.get_redirect_url() or reverse("admin:index", current_app=self.name)
        if request.method == "GET" and self.has_permission(request):
            return HttpResponseRedirect(redirect_url)
        if request.method == "POST":
            # Every password attempt from an address counts, right or wrong (strict, on top
            # of django-axes' lockouts, which a known username shortens for nobody).
            try:
                ratelimit.check(request, "staff_sign_in")
            except ratelimit.RateLimited as error:
                return two_factor.paused_page(request, error.retry_after)
        context = {
            **self.each_context(request),
            "title": "Log in",
            "subtitle": None,
            "app_path": request.get_full_path(),
            "username": request.user.get_username(),
            REDIRECT_FIELD_NAME: redirect_url,
            **(extra_context or {}),
        }
        request.current_app = self.name
        return two_factor.PasswordStepView.as_view(
            extra_context=context,
            authentication_form=self.login_form,
            template_name=self.login_template,
        )(request)

    def index(self, request, extra_context=None):
        """The index, with the count of failed tasks for those who may see them (Support and
        superusers): a task that failed its last attempt waits for a person."""
        extra_context = {
            **(extra_context or {}),
            "legal_awaiting_counsel": LegalDocument.objects.awaiting_counsel(),
        }
        if request.user.has_perm("oana.view_failedtask"):
            extra_context["failed_tasks"] = FailedTask.objects.count()
        return super().index(request, extra_context)

    def get_urls(self):
        def step(view):
            wrapped = sensitive_post_parameters("otp_token")(csrf_protect(view))
            return never_cache(lambda request: wrapped(request, self))

        return [
            path("sign-in/code/", step(two_factor.verify), name="staff_verify"),
            path("sign-in/set-up/", step(two_factor.enrol), name="staff_enrol"),
            path(
                "recovery-codes/",
                self.admin_view(lambda request: two_factor.recovery_codes(request, self)),
                name="staff_recovery_codes",
            ),
            *super().get_urls(),
        ]
