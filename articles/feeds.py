"""RSS feed of published articles, newest first."""

from django.contrib.syndication.views import Feed
from django.urls import reverse_lazy

from .models import Article

FEED_LENGTH = 20


class LatestArticlesFeed(Feed):
    title = "Oana Health articles"
    link = reverse_lazy("articles:list")
    description = "Research on insulin resistance, PCOS and hormonal health, from Oana Health."

    def items(self):
        return (
            Article.objects.published()
            .order_by("-publish_at", "-id")
            .prefetch_related("topics")[:FEED_LENGTH]
        )

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return item.dek

    def item_pubdate(self, item):
        return item.publish_at

    def item_updateddate(self, item):
        return item.updated

    def item_author_name(self, item):
        return item.author

    def item_categories(self, item):
        return [topic.name for topic in item.topics.all()]
