from django.urls import path

from . import map_views

urlpatterns = [
    path("maps/<int:community_id>/", map_views.grid_map_page, name="grid_map"),
]
