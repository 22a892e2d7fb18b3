from django.contrib.sitemaps import Sitemap
from django.urls import reverse


class StaticViewSitemap(Sitemap):
    """Pages that are not rows in the database."""

    changefreq = "weekly"
    priority = 0.8

    def items(self):
        return ["home", "articles:list", "treatments:catalog", "care_team"]

    def location(self, item):
        return reverse(item)
