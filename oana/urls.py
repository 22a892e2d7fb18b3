from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path

from articles.sitemaps import ArticleSitemap, TopicSitemap
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

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path(
        "sitemap.xml",
        sitemap,
        {"sitemaps": sitemaps},
        name="sitemap",
    ),
    path("articles/", include("articles.urls")),
    path("treatments/", include("treatments.urls")),
    path("", include("orders.urls")),
    path("admin/", admin.site.urls),
]

handler500 = "oana.views.server_error"

admin.site.site_header = "Oana Health staff"
admin.site.site_title = "Oana Health staff"
admin.site.index_title = "Run the clinic"
