"""Public article pages. Every query starts from ``Article.objects.published()``; staff
alone may open a draft or scheduled article, which then shows a preview notice.

What the public sees (the list without a search, each article with its related articles)
is cached until an article or the catalog changes or the next scheduled article goes live
(``core.cache``); searches and staff previews are always read from the database."""

from django import forms
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from core.cache import cached, public_page

from . import structured_data
from .models import Article, Topic

PER_PAGE = 10
RELATED_LIMIT = 3


class SearchForm(forms.Form):
    q = forms.CharField(label="Search articles", max_length=100, required=False, strip=True)


def _paginate(queryset, number):
    """The requested page, cut loose from its queryset so that it can be cached; a page
    number that is not a page is a 404, never a 500."""
    paginator = Paginator(queryset, PER_PAGE)
    try:
        page = paginator.page(number)
    except (PageNotAnInteger, EmptyPage) as exc:
        raise Http404("No such page.") from exc
    page.object_list = list(page.object_list)
    page.paginator = Paginator(range(paginator.count), PER_PAGE)
    return page


def _list_queryset():
    return (
        Article.objects.published()
        .defer("body", "body_html", "references", "references_html", "toc")
        .prefetch_related(Prefetch("topics", queryset=Topic.objects.order_by("name")))
    )


def _listing(topic_slug, query, number):
    topic = get_object_or_404(Topic, slug=topic_slug) if topic_slug else None
    articles = _list_queryset()
    if topic:
        articles = articles.filter(topics=topic)
    return {
        "page": _paginate(articles.search(query), number),
        "topic": topic,
        "topics": list(Topic.objects.filter(articles__in=Article.objects.published()).distinct()),
    }


@require_safe
@public_page
def article_list(request, topic_slug=None):
    form = SearchForm(request.GET or None)
    query = ""
    if form.is_bound and form.is_valid():
        query = form.cleaned_data["q"]
    number = request.GET.get("page") or 1
    if query:
        listing = _listing(topic_slug, query, number)
    else:
        listing = cached(
            "article-list",
            lambda: _listing(topic_slug, "", number),
            topic_slug or "",
            # One key per page: "2", " 2" and "02" are all page 2 (or a 404, never cached).
            _page_key(number),
            until=Article.objects.next_publish_at,
        )
    page = listing["page"]
    context = {
        **listing,
        "articles": page.object_list,
        "form": form,
        "query": query,
    }
    return render(request, "articles/article_list.html", context)


def _page_key(number):
    try:
        return int(number)
    except ValueError:
        raise Http404("No such page.") from None


def _article(base, slug):
    """The article with its topics, FAQs, public related treatments and related articles."""
    treatment_model = Article.related_treatments.field.related_model
    article = get_object_or_404(
        base.prefetch_related(
            Prefetch("topics", queryset=Topic.objects.order_by("name")),
            "faq_items",
            Prefetch(
                "related_treatments",
                queryset=treatment_model.objects.public().select_related("category"),
            ),
        ),
        slug=slug,
    )
    topic_ids = [topic.pk for topic in article.topics.all()]
    related = (
        list(
            Article.objects.published()
            .filter(topics__in=topic_ids)
            .exclude(pk=article.pk)
            .only("title", "slug", "dek", "publish_at", "word_count")
            .distinct()[:RELATED_LIMIT]
        )
        if topic_ids
        else []
    )
    return article, related


@require_safe
@public_page
def article_detail(request, slug):
    # Drafts are previewed only by staff whose role covers articles (editors, superusers).
    # Anonymous visitors never touch the session or user tables here: is_staff on an
    # anonymous request without a session cookie costs no query.
    can_preview = request.user.is_staff and request.user.has_perm("articles.view_article")
    if can_preview:
        article, related = _article(Article.objects.all(), slug)
    else:
        article, related = cached(
            "article",
            lambda: _article(Article.objects.published(), slug),
            slug,
            until=Article.objects.next_publish_at,
        )
    faq_items = article.faq_items.all()
    url = request.build_absolute_uri(article.get_absolute_url())
    site_url = request.build_absolute_uri("/").rstrip("/")
    json_ld = [structured_data.to_json_ld(structured_data.article_data(article, url, site_url))]
    if faq_items:
        json_ld.append(structured_data.to_json_ld(structured_data.faq_data(faq_items)))
    context = {
        "article": article,
        "faq_items": faq_items,
        "related": related,
        "json_ld": json_ld,
        "canonical_url": url,
        "preview": not article.is_public,
    }
    return render(request, "articles/article_detail.html", context)
