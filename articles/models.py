"""Medical articles: Markdown written by editors, rendered and sanitized once on save.

Visibility is one rule, kept in ``ArticleQuerySet.published()``: an article is public
when its status is published and its publish date has come. Every public page, the feed
and the sitemap start from that method; a future publish date is how editors schedule.
"""

from django.db import connections, models
from django.urls import reverse
from django.utils import timezone

from .rendering import render_markdown, split_catalog_regions, split_intro

WORDS_PER_MINUTE = 220


class Topic(models.Model):
    name = models.CharField(max_length=80)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("articles:topic", kwargs={"topic_slug": self.slug})


class ArticleQuerySet(models.QuerySet):
    def published(self):
        """What the public may see: published, with a publish date that has come."""
        return self.filter(status=Article.Status.PUBLISHED, publish_at__lte=timezone.now())

    def next_publish_at(self):
        """When the next scheduled article goes live (None if none is scheduled): what the
        public sees of the articles changes by itself then, so cached pages expire then."""
        return self.filter(
            status=Article.Status.PUBLISHED, publish_at__gt=timezone.now()
        ).aggregate(next=models.Min("publish_at"))["next"]

    def search(self, terms):
        """Articles matching ``terms`` in title, summary or body, best matches first.

        PostgreSQL: full-text search (English stemming, web-search syntax, ranked with
        title > summary > body). SQLite: every word must appear somewhere
        (case-insensitive), newest first. Blank ``terms`` match every article.
        """
        terms = terms.strip()
        if not terms:
            return self
        if connections[self.db].vendor == "postgresql":  # pragma: postgres only
            from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

            vector = (
                SearchVector("title", weight="A", config="english")
                + SearchVector("dek", weight="B", config="english")
                + SearchVector("body", weight="C", config="english")
            )
            query = SearchQuery(terms, search_type="websearch", config="english")
            return (
                self.annotate(search=vector, rank=SearchRank(vector, query))
                .filter(search=query)
                .order_by("-rank", "-publish_at")
            )
        else:  # pragma: sqlite only
            matches = self
            for word in terms.split()[:10]:
                matches = matches.filter(
                    models.Q(title__icontains=word)
                    | models.Q(dek__icontains=word)
                    | models.Q(body__icontains=word)
                )
            return matches


class Article(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    dek = models.TextField(
        "summary", max_length=400, help_text="One or two sentences shown under the title."
    )
    body = models.TextField(
        help_text=(
            "Markdown. Start sections with '## ' and subsections with '### ' (the title is "
            "the page's only h1). Tables use | pipes | with a header row."
        )
    )
    body_html = models.TextField(editable=False, blank=True)
    toc = models.JSONField("table of contents", default=list, editable=False, blank=True)
    word_count = models.PositiveIntegerField(default=0, editable=False)
    references = models.TextField(blank=True, help_text="Markdown, e.g. a numbered list.")
    references_html = models.TextField(editable=False, blank=True)
    topics = models.ManyToManyField(Topic, blank=True, related_name="articles")
    related_treatments = models.ManyToManyField(
        "treatments.Treatment", blank=True, related_name="articles"
    )
    author = models.CharField(max_length=120)
    medical_reviewer = models.CharField(max_length=120, blank=True)
    last_reviewed = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    publish_at = models.DateTimeField(
        "publish date",
        default=timezone.now,
        help_text="A future date schedules the article: it goes live by itself then.",
    )
    seo_title = models.CharField(
        "SEO title", max_length=70, blank=True, help_text="Defaults to the title."
    )
    seo_description = models.CharField(
        "SEO description", max_length=160, blank=True, help_text="Defaults to the summary."
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["-publish_at", "-id"]
        indexes = [models.Index(fields=["status", "publish_at"])]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        rendered = render_markdown(self.body)
        self.body_html = rendered.html
        self.toc = rendered.toc
        self.word_count = rendered.word_count
        self.references_html = render_markdown(self.references).html if self.references else ""
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"body", "references"} & set(update_fields):
            kwargs["update_fields"] = {
                *update_fields,
                "body_html",
                "toc",
                "word_count",
                "references_html",
            }
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("articles:detail", kwargs={"slug": self.slug})

    @property
    def body_segments(self):
        """The stored body cut around its live catalog regions (see ``rendering``)."""
        return split_catalog_regions(self.body_html)

    @property
    def body_parts(self):
        """(introduction, the rest) of ``body_segments`` (see ``rendering.split_intro``)."""
        return split_intro(self.body_segments)

    @property
    def is_public(self):
        return self.status == self.Status.PUBLISHED and self.publish_at <= timezone.now()

    @property
    def is_scheduled(self):
        return self.status == self.Status.PUBLISHED and self.publish_at > timezone.now()

    @property
    def reading_time(self):
        """Minutes to read the body at 220 words a minute, never less than one."""
        return max(1, round(self.word_count / WORDS_PER_MINUTE))

    @property
    def page_title(self):
        return self.seo_title or self.title

    @property
    def meta_description(self):
        return self.seo_description or self.dek


class FaqItem(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="faq_items")
    question = models.CharField(max_length=255)
    answer = models.TextField(help_text="Markdown.")
    answer_html = models.TextField(editable=False, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = "FAQ item"

    def __str__(self):
        return self.question

    def save(self, *args, **kwargs):
        self.answer_html = render_markdown(self.answer).html
        super().save(*args, **kwargs)
