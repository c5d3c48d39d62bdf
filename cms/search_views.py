"""The site search page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from wagtail.models import Site

from .search import MAX_QUERY_LENGTH, MAX_TERMS, search_site


def search(request: HttpRequest) -> HttpResponse:
    results = search_site(
        query=request.GET.get("q", ""),
        page_number=request.GET.get("page"),
        site=Site.find_for_request(request),
    )
    return render(
        request,
        "cms/search.html",
        {"results": results, "max_query_length": MAX_QUERY_LENGTH, "max_terms": MAX_TERMS},
    )
