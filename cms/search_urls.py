from django.urls import path

from . import feeds, search_views

urlpatterns = [
    path("search/", search_views.search, name="search"),
    path("communities/<int:community_id>/feed/rss/", feeds.NoticesRssFeed(), name="notices_rss"),
    path("communities/<int:community_id>/feed/atom/", feeds.NoticesAtomFeed(), name="notices_atom"),
]
