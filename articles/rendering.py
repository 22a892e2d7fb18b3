"""Markdown to safe HTML, done once when an article is saved (never per request).

Editors write Markdown in the admin. ``render_markdown`` turns it into HTML with the
``markdown`` library (tables, and heading ids from the toc extension), then sanitizes the
result with ``nh3`` against an explicit allow-list: anything an editor pastes (``<script>``,
``onclick=``, ``javascript:`` links, inline styles) is removed before it is stored.

Catalog regions
    A block of Markdown between two HTML comments on their own lines::

        <!-- catalog:treatment-options -->
        | ... a static table ... |
        <!-- /catalog:treatment-options -->

    is stored as ``<div data-catalog="treatment-options">...static table...</div>``.
    Comments do not survive sanitizing, the ``data-catalog`` element does: a template tag
    of the catalog app can find that element at render time and swap in a live table built
    from current prices, while the static table remains as the fallback.

Tables are wrapped in ``<div class="table-wrap">`` so that wide tables scroll sideways on
phones instead of widening the page.
"""

import html
import re
from dataclasses import dataclass, field

import markdown
import nh3

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "dd", "del", "div", "dl",
    "dt", "em", "figcaption", "figure", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "li",
    "ol", "p", "pre", "s", "small", "strong", "sub", "sup", "table", "tbody", "td", "tfoot",
    "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
    "h2": {"id"},
    "h3": {"id"},
    "h4": {"id"},
    "h5": {"id"},
    "h6": {"id"},
    "ol": {"start"},
    "th": {"scope", "colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
    "div": {"data-catalog"},
}
URL_SCHEMES = {"http", "https", "mailto", "tel"}

CATALOG_OPEN = re.compile(r"<!--\s*catalog:([a-z0-9-]+)\s*-->")
CATALOG_CLOSE = re.compile(r"<!--\s*/catalog:[a-z0-9-]+\s*-->")


@dataclass
class Rendered:
    html: str
    # The h2 headings, in order: [{"id": "...", "title": "..."}], for the table of contents.
    toc: list = field(default_factory=list)
    word_count: int = 0


def sanitize(fragment):
    """Keep only the allow-listed tags, attributes and URL schemes."""
    return nh3.clean(
        fragment,
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style", "iframe", "object", "embed", "template"},
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def _mark_catalog_regions(fragment):
    fragment = CATALOG_OPEN.sub(lambda m: f'<div data-catalog="{m.group(1)}">', fragment)
    return CATALOG_CLOSE.sub("</div>", fragment)


TABLE_WRAP = (
    '<div class="table-wrap" role="region" aria-label="Table, scrolls sideways" tabindex="0">'
)


def _wrap_tables(fragment):
    # Focusable so keyboard users can scroll a wide table (WCAG scrollable region).
    return fragment.replace("<table>", TABLE_WRAP + "<table>").replace("</table>", "</table></div>")


CATALOG_REGION_START = re.compile(r'<div data-catalog="([a-z0-9-]+)">')
DIV_TAG = re.compile(r"<div\b|</div>")


@dataclass(frozen=True)
class Segment:
    """A piece of a rendered body: stored HTML, or a catalog region to render live."""

    html: str = ""
    catalog: str = ""


def split_catalog_regions(fragment):
    """Cut stored HTML into segments around its ``data-catalog`` regions.

    The template renders ``Segment.html`` as is and, for a catalog segment, the catalog's
    own live template tag in place of the static fallback the region holds.
    """
    segments = []
    position = 0
    for start in CATALOG_REGION_START.finditer(fragment):
        if start.start() < position:  # a region nested in the previous one
            continue
        end = _matching_div_end(fragment, start.end())
        if end is None:  # unbalanced markup: keep the static fallback
            break
        segments.append(Segment(html=fragment[position : start.start()]))
        segments.append(Segment(catalog=start.group(1)))
        position = end
    segments.append(Segment(html=fragment[position:]))
    return [segment for segment in segments if segment.html.strip() or segment.catalog]


FIRST_HEADING = re.compile(r"<h2\b")


def split_intro(segments):
    """(intro, rest): the body's segments before its first ``<h2>`` (the introduction, where
    the page shows a treatment card early) and the segments from there on. The stored HTML
    is only cut, never changed; a body without an h2 is all introduction."""
    for index, segment in enumerate(segments):
        heading = FIRST_HEADING.search(segment.html) if not segment.catalog else None
        if heading:
            before, after = segment.html[: heading.start()], segment.html[heading.start() :]
            intro = [*segments[:index], *([Segment(html=before)] if before.strip() else [])]
            return intro, [Segment(html=after), *segments[index + 1 :]]
    return list(segments), []


def _matching_div_end(fragment, after_open):
    depth = 1
    for tag in DIV_TAG.finditer(fragment, after_open):
        depth += 1 if tag.group() != "</div>" else -1
        if depth == 0:
            return tag.end()
    return None


def render_markdown(text):
    """Render editor Markdown to sanitized HTML plus its table of contents."""
    md = markdown.Markdown(
        extensions=["tables", "toc", "sane_lists"],
        extension_configs={"toc": {"permalink": False}},
        output_format="html",
    )
    raw = md.convert(text or "")
    clean = _wrap_tables(sanitize(_mark_catalog_regions(raw)))
    toc = [
        {"id": token["id"], "title": html.unescape(token["name"])}
        for token in getattr(md, "toc_tokens", [])
        if token["level"] == 2
    ]
    words = len(re.findall(r"\w+", nh3.clean(clean, tags=set())))
    return Rendered(html=clean, toc=toc, word_count=words)
