"""Seed articles from the Markdown files in ``articles/content/``.

Each file is::

    ---
    title: ...
    slug: ...
    dek: ...
    topics: Insulin resistance, PCOS
    publish_at: 2026-01-15T09:00:00-05:00
    ---
    Body in Markdown (## sections, ### subsections) ...

    <!-- faqs -->

    ## A question?

    Its answer, in Markdown.

The header is simple ``key: value`` lines (the value is everything after the first colon).
Everything after the ``<!-- faqs -->`` line becomes FAQ items, one per ``## `` heading, so
questions live in the FAQ section of the page rather than among the body's headings.

``load_articles`` is idempotent and, like the catalog seed, never overwrites an article that
exists: ``make run`` seeds on every start, and an editor's changes in the admin must survive
it. ``load_articles(refresh=True)`` (``manage.py seed --refresh-articles``) rewrites the seed
articles from their files, replacing their FAQ items.
"""

import re
from pathlib import Path

from django.db import transaction
from django.db.models import Q
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.text import slugify

from .models import Article, FaqItem, Topic

CONTENT_DIR = Path(__file__).resolve().parent / "content"
FAQ_MARKER = "<!-- faqs -->"

# Treatments the seed article discusses, matched by catalog name when the catalog is loaded.
RELATED_TREATMENT_NAMES = {
    "magnesium-and-insulin-resistance": [
        "Metformin HCL Lotion 20%",
        "Metformin & Spironolactone pack",
        "Oral GLP-1 & Metformin pack",
        "Hairless Hype",
    ],
}


def parse_article(text):
    """Split a content file into (front matter dict, body Markdown, [(question, answer)])."""
    match = re.match(r"\A---\n(.*?)\n---\n(.*)\Z", text, re.DOTALL)
    if not match:
        raise ValueError("Content file must start with a '---' front-matter block.")
    header, rest = match.groups()
    meta = {}
    for line in header.splitlines():
        if line.strip():
            key, _, value = line.partition(":")
            meta[key.strip()] = value.strip()
    body, _, faq_text = rest.partition(FAQ_MARKER)
    faqs = []
    for block in re.split(r"^## ", faq_text, flags=re.MULTILINE)[1:]:
        question, _, answer = block.partition("\n")
        faqs.append((question.strip(), answer.strip()))
    return meta, body.strip() + "\n", faqs


@transaction.atomic
def load_article(path, *, refresh=False):
    meta, body, faqs = parse_article(Path(path).read_text(encoding="utf-8"))
    existing = Article.objects.filter(slug=meta["slug"]).first()
    if existing and not refresh:
        return existing
    publish_at = parse_datetime(meta["publish_at"]) if meta.get("publish_at") else None
    defaults = {
        "title": meta["title"],
        "dek": meta.get("dek", ""),
        "body": body,
        "author": meta.get("author", "Oana Health editorial team"),
        "medical_reviewer": meta.get("medical_reviewer", ""),
        "last_reviewed": parse_date(meta["last_reviewed"]) if meta.get("last_reviewed") else None,
        "seo_title": meta.get("seo_title", "")[:70],
        "seo_description": meta.get("seo_description", "")[:160],
        "status": meta.get("status", Article.Status.PUBLISHED),
        "references": meta.get("references", ""),
    }
    if publish_at:
        defaults["publish_at"] = publish_at
    article, _ = Article.objects.update_or_create(slug=meta["slug"], defaults=defaults)

    topics = []
    for name in filter(None, (n.strip() for n in meta.get("topics", "").split(","))):
        topic, _ = Topic.objects.get_or_create(slug=slugify(name), defaults={"name": name})
        topics.append(topic)
    article.topics.set(topics)

    article.faq_items.all().delete()
    for order, (question, answer) in enumerate(faqs, start=1):
        FaqItem.objects.create(article=article, question=question, answer=answer, order=order)

    names = RELATED_TREATMENT_NAMES.get(article.slug)
    if names:
        matches = Q()
        for name in names:
            matches |= Q(name__istartswith=name)
        treatments = article.related_treatments.model.objects.filter(matches)
        article.related_treatments.set(treatments)
    return article


def load_articles(*, refresh=False):
    """Load every file in articles/content/ (see the module docstring); one-line summary."""
    articles = [load_article(path, refresh=refresh) for path in sorted(CONTENT_DIR.glob("*.md"))]
    faqs = FaqItem.objects.filter(article__in=articles).count()
    return f"Articles: {len(articles)} loaded ({faqs} FAQ items)."
