"""The seed article: faithful to the source text, its outline, tables and FAQs."""

import json
import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.utils import timezone

from articles.models import Article, FaqItem
from articles.rendering import TABLE_WRAP
from articles.seed import CONTENT_DIR, load_article, load_articles, parse_article
from treatments.seed import load_catalog

pytestmark = pytest.mark.django_db

SLUG = "magnesium-and-insulin-resistance"

OUTLINE = [
    ("h2", "How Magnesium Controls Insulin Function"),
    ("h3", "Magnesium's Role in Metabolism"),
    ("h3", "The Partnership Between Insulin and Magnesium"),
    ("h2", "What Studies Show About Magnesium and Insulin Resistance"),
    ("h3", "Study Results on Low Magnesium Levels"),
    ("h3", "How Magnesium Supplements Help"),
    ("h3", "Comparing Normal vs. Low Magnesium Levels"),
    ("h2", "Magnesium and PCOS: What Women Need to Know"),
    ("h3", "How Low Magnesium Worsens PCOS"),
    ("h3", "PCOS Symptoms That May Improve"),
    ("h2", "How to Use Magnesium Supplements Safely"),
    ("h3", "Types and Doses of Magnesium"),
    ("h3", "Safety Tips and Medical Monitoring"),
    ("h2", "Oana Health: Telehealth for Insulin Resistance and Hormonal Issues"),
    ("h3", "Research-Driven Medical Treatments"),
    ("h3", "Convenient At-Home Care"),
    ("h2", "Conclusion"),
]


class Outline(HTMLParser):
    """Collects (tag, text) for headings and the cells of each table."""

    def __init__(self):
        super().__init__()
        self.headings, self.tables, self._tag, self._text = [], [], None, ""

    def handle_starttag(self, tag, attrs):
        if tag in {"h1", "h2", "h3", "h4", "th", "td"}:
            self._tag, self._text = tag, ""
        if tag == "table":
            self.tables.append([])
        if tag == "tr":
            self.tables[-1].append([])

    def handle_data(self, data):
        if self._tag:
            self._text += data

    def handle_endtag(self, tag):
        if tag == self._tag:
            if tag in {"th", "td"}:
                self.tables[-1][-1].append((tag, self._text.strip()))
            else:
                self.headings.append((tag, self._text.strip()))
            self._tag = None


@pytest.fixture
def article():
    load_articles()
    return Article.objects.get(slug=SLUG)


def parse(html):
    parser = Outline()
    parser.feed(html)
    return parser


def test_loader_is_idempotent():
    first = load_articles()
    second = load_articles()
    assert first == second == "Articles: 1 loaded (3 FAQ items)."
    assert Article.objects.filter(slug=SLUG).count() == 1
    assert FaqItem.objects.filter(article__slug=SLUG).count() == 3


def test_seed_article_is_published_with_title(article):
    assert article.title == "Magnesium and Insulin Resistance: What Studies Show"
    assert Article.objects.published().filter(pk=article.pk).exists()
    assert {t.slug for t in article.topics.all()} == {
        "insulin-resistance",
        "pcos",
        "nutrition-supplements",
    }


def test_body_outline_matches_design(article):
    assert parse(article.body_html).headings == OUTLINE
    assert [entry["title"] for entry in article.toc] == [t for h, t in OUTLINE if h == "h2"]
    assert all(entry["id"] for entry in article.toc)


@pytest.mark.parametrize(
    "fact",
    [
        "reduce insulin resistance by up to 4.35%",
        "Women with PCOS are 19 times more likely to be magnesium-deficient",
        "Most adults need 310–320 mg of magnesium daily, but 75% of Americans don’t meet this requirement",
        "doses starting at 200 mg/day",
        "a cofactor for over 800 enzymes",
        "about 80% of dietary glucose uptake via the GLUT4 transporter",
        "nearly 50% reduction in insulin-stimulated glucose uptake",
        "range from 0.76 to 1.15 mmol/L, only about 0.3% of the body's total magnesium",
        "affecting 13.5–47.7% of people with type 2 diabetes",
        "higher HOMA-IR values (above 2.6) and lower QUICKI values (below 0.33)",
        "an average reduction of 0.67 points in HOMA-IR",
        "followed 63 individuals with type 2 diabetes",
        "(0.74 ± 0.10 vs. 0.65 ± 0.07 mmol/L, P = 0.02) and reduced HOMA-IR (3.8 ± 1.1 vs. 5.0 ± 1.3, P = 0.005)",
        "at least 400 mg/day for 90 days or more",
        "24 randomized trials involving 1,325 people with type 2 diabetes",
        "(approximately 0.748 ± 0.015 mmol/L vs. 0.801 ± 0.012 mmol/L, P = 0.009)",
        "was found in 55% of obese children compared to 27% of lean peers",
        "all-cause mortality (10%), stroke (7%), type 2 diabetes (19%), and heart failure (22%)",
        "a condition affecting up to 70% of women with PCOS",
        "an average daily intake of just 233 mg - far below the recommended 320 mg for women aged 19 and older",
        "approximately three times more likely to experience anxiety",
        "taking 250 mg of magnesium daily improved insulin levels",
        "Women ages 19–30: 310 mg daily",
        "Women over 31: 320 mg daily",
        "Pregnant women over 18: 350–360 mg daily",
        "should generally not exceed 350 mg per day",
        "Their Metformin &amp; Spironolactone pack starts at $32 per month",
        "the Oral GLP-1 &amp; Metformin pack, priced at $199 per month",
        "75% of employers now include women’s health",
        "with 25% to 39% of cases affected",
        "a cofactor in over 300 biochemical processes",
        "For the 40% of U.S. adults aged 18 to 44",
        "I'm so glad I discovered Oana's metformin lotion!",
        "I also love the 24/7 accessibility and customer service",
    ],
)
def test_key_facts_are_in_the_body(article, fact):
    assert fact in article.body_html


@pytest.mark.parametrize(
    "junk",
    [
        "Free shipping on all treatments",
        "See treatments",
        "sbb-itb",
        "Related posts",
        "TOP Treatments",
        "Tailored treatments",
        "We offer a spectrum of PCOS treatments",
        "The ONLY MINERAL",
        "<h2>FAQs",
        "<h1",
    ],
)
def test_page_chrome_is_not_in_the_body(article, junk):
    assert junk not in article.body_html


def test_magnesium_comparison_table_has_header_row_and_five_rows(article):
    tables = parse(article.body_html).tables
    comparison = tables[0]
    assert [text for _, text in comparison[0]] == [
        "Parameter",
        "Normal Magnesium Status",
        "Low Magnesium Status",
        "Clinical Impact",
    ]
    assert all(tag == "th" for tag, _ in comparison[0])
    assert len(comparison) == 6
    assert [text for _, text in comparison[3]] == [
        "Serum Magnesium",
        "Around 0.80 mmol/L (normal range)",
        "Below 0.78 mmol/L",
        "Indicates hypomagnesemia",
    ]


def test_treatment_options_table_is_in_a_catalog_region(article):
    region = re.search(
        r'<div data-catalog="treatment-options">(.*?)</div>\s*</div>', article.body_html, re.S
    )
    assert region, "the catalog placeholder element must survive sanitizing"
    table = parse(region.group(1)).tables[0]
    assert [text for _, text in table[0]] == [
        "Treatment Category",
        "Options Available",
        "Starting Price",
    ]
    assert [text for _, text in table[3]] == [
        "Unwanted Hair",
        "Spironolactone, Eflornithine 12%, Hairless Hype",
        "$14-$69/month",
    ]
    assert len(table) == 5
    assert article.body_html.count(TABLE_WRAP + "<table>") == 2


def test_faqs_are_items_not_body_headings(article):
    questions = [item.question for item in article.faq_items.all()]
    assert questions == [
        "How does magnesium deficiency impact insulin resistance and blood sugar regulation?",
        "What foods are good sources of magnesium to help with insulin sensitivity?",
        "What should I know about potential side effects or interactions when using magnesium supplements for insulin resistance?",
    ]
    foods = article.faq_items.all()[1].answer_html
    assert foods.count("<li>") == 7
    assert "Dark chocolate" in foods
    for question in questions:
        assert question not in article.body_html


def test_faq_json_ld_is_valid_json_with_three_questions(client, article):
    response = client.get(article.get_absolute_url())
    blocks = re.findall(
        r'<script type="application/ld\+json" nonce="[^"]+">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    data = [json.loads(block) for block in blocks]
    faq = next(d for d in data if d["@type"] == "FAQPage")
    assert len(faq["mainEntity"]) == 3
    assert faq["mainEntity"][0]["name"].startswith("How does magnesium deficiency")
    assert "Spinach and Swiss chard" in faq["mainEntity"][1]["acceptedAnswer"]["text"]
    page = next(d for d in data if d["@type"] != "FAQPage")
    assert page["@type"] == ["MedicalWebPage", "Article"]
    assert page["headline"] == "Magnesium and Insulin Resistance: What Studies Show"


def test_content_file_is_inside_the_project():
    assert (CONTENT_DIR / f"{SLUG}.md").is_file()
    assert "shared" not in str(CONTENT_DIR)


def test_seed_keeps_admin_edits_unless_refreshed(db):
    load_articles()
    Article.objects.filter(slug=SLUG).update(title="Edited by an editor")
    load_articles()
    assert Article.objects.get(slug=SLUG).title == "Edited by an editor"
    load_articles(refresh=True)
    assert Article.objects.get(slug=SLUG).title.startswith("Magnesium and Insulin Resistance")
    assert Article.objects.get(slug=SLUG).faq_items.count() == 3


def test_a_content_file_without_front_matter_is_refused(tmp_path):
    path = tmp_path / "no-header.md"
    path.write_text("title: Missing dashes\n\nBody.\n", encoding="utf-8")
    with pytest.raises(ValueError, match="front-matter"):
        load_article(path)
    assert not Article.objects.exists()


def test_front_matter_may_have_blank_lines():
    meta, body, faqs = parse_article(
        "---\ntitle: Zinc\n\nslug: zinc\n   \ntopics: PCOS\n---\nBody.\n"
    )
    assert meta == {"title": "Zinc", "slug": "zinc", "topics": "PCOS"}
    assert (body, faqs) == ("Body.\n", [])


def test_an_article_file_without_a_publish_date_goes_live_when_loaded(tmp_path):
    load_catalog()
    path = tmp_path / "zinc.md"
    path.write_text(
        "---\ntitle: Zinc and PCOS\nslug: zinc-and-pcos\ndek: What zinc does.\n"
        "topics: PCOS\n---\n## Zinc\n\nMetformin and zinc.\n",
        encoding="utf-8",
    )
    before = timezone.now()
    article = load_article(path)
    assert before <= article.publish_at <= timezone.now() + timedelta(seconds=1)
    assert Article.objects.published().filter(slug="zinc-and-pcos").exists()
    assert [t.slug for t in article.topics.all()] == ["pcos"]
    # Related treatments are named only for the seed article: this one gets none.
    assert not article.related_treatments.exists()
    seed = load_article(CONTENT_DIR / f"{SLUG}.md")
    assert seed.related_treatments.count() == 4
