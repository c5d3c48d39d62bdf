"""Site search that works for Chinese.

Chinese is written without spaces, so word-tokenising full-text indexes (SQLite FTS,
PostgreSQL tsvector) cannot find 漏水 inside 自来水管漏水. Search here is a plain
case-insensitive substring match (`icontains`: LIKE on SQLite, UPPER() LIKE UPPER() on
PostgreSQL) over live, public pages: notices by title and body text, community pages by title and
introduction, every other page by title. Every whitespace-separated term must match.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.core.paginator import Page as PaginatorPage
from django.core.paginator import Paginator
from django.db.models import Case, F, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from wagtail.models import Page, Site

from portal.sanitize import plain_text

from .models import CommunityPage, NoticePage

MAX_QUERY_LENGTH = 100
MAX_TERMS = 5
PER_PAGE = 20
SNIPPET_LENGTH = 120

# Control characters are never meant as search text, and PostgreSQL rejects NUL outright.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class SearchQuery:
    text: str  # what was searched for, after cleaning and cutting
    terms: tuple[str, ...]
    truncated: bool  # the visitor typed more than MAX_QUERY_LENGTH characters or MAX_TERMS terms


@dataclass(frozen=True)
class SearchHit:
    page: Page  # the specific page
    kind: str  # "notice", "community" or "page"
    label: str  # shown in the badge: a notice's category or the kind of page
    badge: str  # CSS modifier for the badge, as in the notice lists
    community: CommunityPage | None  # the community the page belongs to, not itself
    date: datetime | None
    title_html: SafeString
    snippet_html: SafeString


@dataclass(frozen=True)
class SearchResults:
    query: SearchQuery
    page: PaginatorPage  # object_list holds SearchHit

    @property
    def count(self) -> int:
        return self.page.paginator.count

    @property
    def hits(self) -> list[SearchHit]:
        return list(self.page.object_list)


def parse_query(raw: str | None) -> SearchQuery:
    """Clean what the visitor typed into at most MAX_TERMS distinct terms."""
    text = _CONTROL_CHARACTERS.sub(" ", raw or "").strip()
    truncated = len(text) > MAX_QUERY_LENGTH
    text = text[:MAX_QUERY_LENGTH].strip()
    terms: list[str] = []
    seen: set[str] = set()
    # str.split() also splits on the ideographic space (U+3000) of Chinese input methods.
    for term in text.split():
        key = term.casefold()
        if key in seen:
            continue
        if len(terms) == MAX_TERMS:
            truncated = True
            break
        seen.add(key)
        terms.append(term)
    return SearchQuery(text=text, terms=tuple(terms), truncated=truncated)


def search_site(
    *,
    query: str | None,
    page_number: int | str | None = 1,
    site: Site | None = None,
    per_page: int = PER_PAGE,
) -> SearchResults:
    """Live, public, unexpired pages containing every term of `query`, best first.

    Pages whose title holds more of the terms come first, then newer pages. An empty
    query finds nothing. Limited to `site`'s pages when a site is given.
    """
    parsed = parse_query(query)
    if not parsed.terms:
        return SearchResults(query=parsed, page=Paginator([], per_page).get_page(1))
    queryset = matching_pages(terms=parsed.terms, site=site).specific()
    result_page = Paginator(queryset, per_page).get_page(page_number)
    result_page.object_list = _hits(list(result_page.object_list), parsed.terms)
    return SearchResults(query=parsed, page=result_page)


def searchable_pages(*, site: Site | None = None) -> QuerySet[Page]:
    """Pages a visitor may find: live, not behind a privacy setting, not past expiry."""
    now = timezone.now()
    pages = (
        Page.objects.live()
        .public()
        .filter(Q(expire_at__isnull=True) | Q(expire_at__gt=now))
        .filter(depth__gt=1)  # the tree's root is no page anyone visits
    )
    if site is not None:
        pages = pages.descendant_of(site.root_page, inclusive=True)
    return pages


def matching_pages(*, terms: Sequence[str], site: Site | None = None) -> QuerySet[Page]:
    """The pages containing every term, ordered best first (not yet specific)."""
    pages = searchable_pages(site=site)
    text_match = Q()
    for term in terms:
        text_match &= Q(title__icontains=term) | Q(noticepage__search_text__icontains=term)
    community_ids = _communities_matching(pages, terms)
    title_score = sum(
        (Case(When(title__icontains=term, then=Value(1)), default=Value(0)) for term in terms),
        start=Value(0),
    )
    return (
        pages.filter(text_match | Q(pk__in=community_ids))
        .annotate(title_score=title_score)
        .order_by(
            F("title_score").desc(),
            F("first_published_at").desc(nulls_last=True),
            "-pk",
        )
    )


def _communities_matching(pages: QuerySet[Page], terms: Sequence[str]) -> list[int]:
    """Community pages whose title and introduction together hold every term.

    The introduction is stored as HTML, so the database only narrows the candidates
    (a term like "strong" would match the markup); the visible text decides.
    """
    narrowed = Q()
    for term in terms:
        narrowed &= Q(title__icontains=term) | Q(intro__icontains=term)
    candidates = (
        CommunityPage.objects.filter(pk__in=pages.values("pk"))
        .filter(narrowed)
        .only("pk", "title", "intro")
    )
    return [
        page.pk
        for page in candidates
        if _contains_all(f"{page.title}\n{plain_text(page.intro)}", terms)
    ]


def _contains_all(text: str, terms: Sequence[str]) -> bool:
    folded = text.casefold()
    return all(term.casefold() in folded for term in terms)


def _terms_pattern(terms: Sequence[str]) -> re.Pattern[str]:
    # Longest first, so that a term containing another is marked whole.
    ordered = sorted(terms, key=len, reverse=True)
    return re.compile("|".join(re.escape(term) for term in ordered), re.IGNORECASE)


def highlight(text: str, terms: Sequence[str], *, length: int | None = None) -> SafeString:
    """`text` escaped, with each occurrence of a term wrapped in <mark>.

    With `length`, only an excerpt of about that many characters around the first
    match is kept, marked with ellipses where it was cut.
    """
    text = " ".join(text.split())
    pattern = _terms_pattern(terms) if terms else None
    prefix = suffix = ""
    if length is not None and len(text) > length:
        first = pattern.search(text) if pattern else None
        start = max(0, first.start() - length // 3) if first else 0
        end = min(len(text), start + length)
        start = max(0, end - length)
        prefix = "…" if start > 0 else ""
        suffix = "…" if end < len(text) else ""
        text = text[start:end]
    pieces: list[str] = [prefix]
    position = 0
    if pattern is not None:
        for match in pattern.finditer(text):
            pieces.append(text[position : match.start()])
            pieces.append(format_html("<mark>{}</mark>", match.group()))
            position = match.end()
    pieces.append(text[position:])
    pieces.append(suffix)
    # format_html_join escapes the plain pieces and keeps the <mark> ones as they are.
    return format_html_join("", "{}", ((piece,) for piece in pieces if piece))


def notice_body_text(notice: NoticePage) -> str:
    """search_text without its first line, the title, which is shown already."""
    title, _newline, rest = notice.search_text.partition("\n")
    return rest if title == notice.title else notice.search_text


def _hits(pages: list[Page], terms: Sequence[str]) -> list[SearchHit]:
    """Describe one page of results; `pages` are specific pages."""
    ancestor_paths = {
        page.path[:length]
        for page in pages
        for length in range(Page.steplen, len(page.path), Page.steplen)
    }
    communities = {
        community.path: community
        for community in CommunityPage.objects.live().filter(path__in=ancestor_paths)
    }
    hits = []
    for page in pages:
        community = next(
            (
                communities[page.path[:length]]
                for length in range(Page.steplen, len(page.path), Page.steplen)
                if page.path[:length] in communities
            ),
            None,
        )
        if isinstance(page, NoticePage):
            kind, label, badge = "notice", page.get_category_display(), page.category
            text = notice_body_text(page)
        elif isinstance(page, CommunityPage):
            kind, label, badge = "community", str(_("Community")), "community"
            text = plain_text(page.intro)
        else:
            kind, badge = "page", "page"
            label = str(capfirst(page._meta.verbose_name))
            text = ""
        hits.append(
            SearchHit(
                page=page,
                kind=kind,
                label=label,
                badge=badge,
                community=community,
                date=page.first_published_at,
                title_html=highlight(page.title, terms),
                snippet_html=highlight(text, terms, length=SNIPPET_LENGTH)
                if text
                else SafeString(),
            )
        )
    return hits
