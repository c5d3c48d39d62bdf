"""The one place where user-written HTML is cleaned, on the way in.

Residents may write paragraphs, bold, italic, lists and links; everything else is
removed. Script and style elements disappear with their content. Links may point to
web, mail and phone addresses only, and carry rel="nofollow ugc noopener" so that
user links pass no ranking and cannot reach back into the opener. Templates still
escape everything else on the way out.
"""

from __future__ import annotations

import html as html_lib

import nh3

ALLOWED_TAGS = frozenset({"p", "br", "strong", "b", "em", "i", "ul", "ol", "li", "a"})
ALLOWED_ATTRIBUTES = {"a": {"href"}}
URL_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
LINK_REL = "nofollow ugc noopener"
# Removed together with everything inside them, not just unwrapped.
DROP_WITH_CONTENT = frozenset(
    {"script", "style", "iframe", "object", "embed", "template", "noscript"}
)

_cleaner = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    clean_content_tags=set(DROP_WITH_CONTENT),
    attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
    url_schemes=set(URL_SCHEMES),
    link_rel=LINK_REL,
    strip_comments=True,
)


def clean_html(html: str) -> str:
    """Return `html` reduced to the allowed tags and attributes."""
    return _cleaner.clean(html or "")


def plain_text(html: str) -> str:
    """The text a reader sees, for length limits and empty checks."""
    return html_lib.unescape(nh3.clean(html or "", tags=set())).strip()
