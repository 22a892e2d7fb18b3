"""Public article pages. Every query starts from ``Article.objects.published()``; staff
alone may open a draft or scheduled article, which then shows a preview notice."""

from django import forms
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from . import structured_data
from .models import Article, Topic

PER_PAGE = 10
RELATED_LIMIT = 3


class SearchForm(forms.Form):
    q = forms.CharField(label="Search articles", max_length=100, required=False, strip=True)


def _paginate(request, queryset):
    """The requested page; a page number that is not a page is a 404, never a 500."""
    paginator = Paginator(queryset, PER_PAGE)
    try:
        return paginator.page(request.GET.get("page") or 1)
    except (PageNotAnInteger, EmptyPage) as exc:
        raise Http404("No such page.") from exc


def _list_queryset():
    return (
        Article.objects.published()
        .defer("body", "body_html", "references", "references_html", "toc")
        .prefetch_related(Prefetch("topics", queryset=Topic.objects.order_by("name")))
    )


@require_safe
def article_list(request, topic_slug=None):
    topic = get_object_or_404(Topic, slug=topic_slug) if topic_slug else None
    articles = _list_queryset()
    if topic:
        articles = articles.filter(topics=topic)
    form = SearchForm(request.GET or None)
    query = ""
    if form.is_bound and form.is_valid():
        query = form.cleaned_data["q"]
        articles = articles.search(query)
    page = _paginate(request, articles)
    context = {
        "page": page,
        "articles": page.object_list,
        "form": form,
        "query": query,
        "topic": topic,
        "topics": Topic.objects.filter(articles__in=Article.objects.published()).distinct(),
    }
    return render(request, "articles/article_list.html", context)


@require_safe
def article_detail(request, slug):
    # Drafts are previewed only by staff whose role covers articles (editors, superusers).
    # Anonymous visitors never touch the session or user tables here: is_staff on an
    # anonymous request without a session cookie costs no query.
    can_preview = request.user.is_staff and request.user.has_perm("articles.view_article")
    base = Article.objects.all() if can_preview else Article.objects.published()
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
        Article.objects.published()
        .filter(topics__in=topic_ids)
        .exclude(pk=article.pk)
        .only("title", "slug", "dek", "publish_at", "word_count")
        .distinct()[:RELATED_LIMIT]
        if topic_ids
        else []
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
