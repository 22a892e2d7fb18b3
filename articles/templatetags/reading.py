"""Template tags other pages use to show articles, with the articles app's own visibility rule.

The catalog never imports ``articles`` (dependencies run one way: articles point at
treatments); a treatment page asks for its further reading through this tag instead.
"""

from django import template

from core.cache import cached

from ..models import Article

register = template.Library()


@register.simple_tag
def articles_about(treatment):
    """Published articles that name ``treatment`` among their related treatments (cached
    until an article or the catalog changes, or the next scheduled article goes live)."""
    return cached(
        "articles-about",
        lambda: list(
            Article.objects.published()
            .filter(related_treatments=treatment)
            .only("title", "slug", "dek")
        ),
        treatment.pk,
        until=Article.objects.next_publish_at,
    )
