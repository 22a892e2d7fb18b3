"""JSON-LD for article pages, built as Python dicts and serialised safely.

``to_json_ld`` escapes ``<``, ``>`` and ``&`` the way Django's ``json_script`` does, so
nothing an editor types can close the ``<script type="application/ld+json">`` element.
"""

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.utils.html import strip_tags
from django.utils.safestring import mark_safe

_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def to_json_ld(data):
    return mark_safe(
        json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False).translate(_ESCAPES)
    )


def article_data(article, url, site_url):
    data = {
        "@context": "https://schema.org",
        "@type": ["MedicalWebPage", "Article"],
        "headline": article.title,
        "name": article.page_title,
        "description": article.meta_description,
        "url": url,
        "mainEntityOfPage": url,
        "datePublished": article.publish_at.isoformat(),
        "dateModified": article.updated.isoformat(),
        "author": {"@type": "Organization", "name": article.author},
        "publisher": {"@type": "Organization", "name": "Oana Health", "url": site_url + "/"},
        "inLanguage": "en-US",
        "audience": {"@type": "PeopleAudience", "audienceType": "Patient"},
        "about": [{"@type": "Thing", "name": topic.name} for topic in article.topics.all()],
        "wordCount": article.word_count,
    }
    if article.medical_reviewer:
        data["reviewedBy"] = {"@type": "Person", "name": article.medical_reviewer}
    if article.last_reviewed:
        data["lastReviewed"] = article.last_reviewed.isoformat()
    return data


def faq_data(faq_items):
    return {
        "@context": "https://schema.org",
        "@type": "FAQPage",
        "mainEntity": [
            {
                "@type": "Question",
                "name": item.question,
                "acceptedAnswer": {"@type": "Answer", "text": strip_tags(item.answer_html).strip()},
            }
            for item in faq_items
        ],
    }
