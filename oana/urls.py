from django.conf import settings
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path, re_path
from django.views.generic import RedirectView

from articles.sitemaps import ArticleSitemap, TopicSitemap
from clinic import views as clinic_views
from patients import accounts
from treatments.sitemaps import CategorySitemap, TreatmentSitemap

from . import views
from .sitemaps import StaticViewSitemap

sitemaps = {
    "static": StaticViewSitemap,
    "articles": ArticleSitemap,
    "topics": TopicSitemap,
    "treatment-categories": CategorySitemap,
    "treatments": TreatmentSitemap,
}

# Patients sign in with an emailed code (django-allauth). Only that flow is reachable: the
# password sign-in page leads to it, and sign-up, passwords, email and phone management,
# which patients do not have, are 404s. Its two pages are allauth's views with our limits on
# guessing (patients/accounts.py).
patient_sign_in_urls = [
    path(
        "login/code/",
        accounts.RequestPatientCodeView.as_view(),
        name="account_request_login_code",
    ),
    path(
        "login/code/confirm/",
        accounts.ConfirmPatientCodeView.as_view(),
        name="account_confirm_login_code",
    ),
    path(
        "sign-out-other-sessions/",
        accounts.sign_out_other_sessions,
        name="sign_out_other_sessions",
    ),
    path(
        "login/",
        RedirectView.as_view(pattern_name="account_request_login_code", query_string=True),
    ),
    re_path(r"^(signup|password|email|phone|reauthenticate|confirm-email)/", views.not_offered),
    path("", include("allauth.account.urls")),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("healthz/status", views.healthz_status, name="healthz_status"),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path("csp-report/", views.csp_report, name="csp_report"),
    path("care-team/", clinic_views.care_team_page, name="care_team"),
    re_path(r"^media/(?P<path>.+)$", views.public_media, name="public_media"),
    path("privacy/", views.legal_document, {"kind": "privacy"}, name="legal_privacy"),
    path("terms/", views.legal_document, {"kind": "terms"}, name="legal_terms"),
    path(
        "telehealth-consent/",
        views.legal_document,
        {"kind": "telehealth_consent"},
        name="legal_telehealth_consent",
    ),
    path(
        "sitemap.xml",
        sitemap,
        {"sitemaps": sitemaps},
        name="sitemap",
    ),
    path("articles/", include("articles.urls")),
    path("treatments/", include("treatments.urls")),
    path("", include("orders.urls")),
    path("accounts/", include(patient_sign_in_urls)),
    path(settings.ADMIN_URL, admin.site.urls),
]

handler500 = "oana.views.server_error"
