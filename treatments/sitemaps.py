from django.contrib.sitemaps import Sitemap

from .services import categories_with_prices, public_treatments


class CategorySitemap(Sitemap):
    changefreq = "weekly"
    priority = 0.7

    def items(self):
        return categories_with_prices()


class TreatmentSitemap(Sitemap):
    """Public treatments only: inactive ones (or ones without an active plan) are 404s."""

    changefreq = "weekly"
    priority = 0.8

    def items(self):
        return public_treatments()

    def lastmod(self, treatment):
        return treatment.updated_at
