"""The seed article's page says everything the source text says, in the same order.

``tests/data/magnesium-and-insulin-resistance.txt`` is a verbatim copy of the source the
article was written from. Every line of it (paragraph, list item, table row, FAQ question
and answer) must appear, whitespace aside, in the text of the rendered page's ``<main>``,
and in the source's order; only the page chrome docs/design.md lists is left out.
"""

from html.parser import HTMLParser
from pathlib import Path

import pytest

from articles.seed import load_articles
from treatments.seed import load_catalog

pytestmark = pytest.mark.django_db

SOURCE = Path(__file__).resolve().parents[1] / "data" / "magnesium-and-insulin-resistance.txt"
URL = "/articles/magnesium-and-insulin-resistance/"

# Page chrome of the page the text was copied from (docs/design.md, "Not part of the article").
CHROME = {
    "Free shipping on all treatments. See treatments",
    "The ONLY MINERAL that Lowers Insulin Resistance (pretty quick)",
    "sbb-itb-6dba428",
    "Related posts",
    "TOP Treatments",
    "Tailored treatments",
    "We offer a spectrum of PCOS treatments for every unique journey.",
}
# Lines that are shown differently on purpose: the alt text of the source page's logo
# image under the "Oana Health: ..." heading, and the FAQ heading, which the page names
# "Frequently asked questions".
RENDERED_AS = {"Oana Health": None, "FAQs": "Frequently asked questions"}

BLOCKS = {
    "p", "li", "ul", "ol", "div", "section", "article", "aside", "header", "nav", "main",
    "h1", "h2", "h3", "h4", "table", "thead", "tbody", "tr", "th", "td", "caption",
    "blockquote", "details", "summary", "dl", "dt", "dd", "br",
}  # fmt: skip


class MainText(HTMLParser):
    """The text inside <main>, with a space at every block boundary."""

    def __init__(self):
        super().__init__()
        self.depth = 0
        self.parts = []

    def handle_starttag(self, tag, attrs):
        if tag == "main":
            self.depth += 1
        if self.depth and tag in BLOCKS:
            self.parts.append(" ")

    def handle_endtag(self, tag):
        if self.depth and tag in BLOCKS:
            self.parts.append(" ")
        if tag == "main":
            self.depth -= 1

    def handle_data(self, data):
        if self.depth:
            self.parts.append(data)


def normalize(text):
    return " ".join(text.replace("\u00a0", " ").split())


def source_lines():
    lines = []
    for raw in SOURCE.read_text(encoding="utf-8").splitlines():
        line = normalize(raw.strip().removeprefix("•"))
        if not line or line in CHROME:
            continue
        if line in RENDERED_AS:
            line = RENDERED_AS[line]
            if line is None:
                continue
        lines.append(line)
    return lines


@pytest.fixture
def page_text(client):
    load_catalog()
    load_articles()
    response = client.get(URL)
    assert response.status_code == 200
    parser = MainText()
    parser.feed(response.content.decode())
    return normalize("".join(parser.parts))


def test_source_copy_is_the_whole_article():
    lines = source_lines()
    assert lines[0] == "Magnesium and Insulin Resistance: What Studies Show"
    assert len(lines) > 100
    assert lines[-1].startswith("Additionally, magnesium can interact with certain medications")


def test_every_source_line_is_on_the_page_in_order(page_text):
    position = 0
    missing = []
    for line in source_lines():
        found = page_text.find(line, position)
        if found == -1:
            where = "out of order" if line in page_text else "missing"
            missing.append(f"{where}: {line[:100]}")
        else:
            position = found + len(line)
    assert not missing, "\n".join(missing)


@pytest.mark.parametrize(
    "junk", sorted(CHROME - {"Free shipping on all treatments. See treatments"})
)
def test_page_chrome_lines_are_not_in_the_article(page_text, junk):
    assert junk not in page_text
