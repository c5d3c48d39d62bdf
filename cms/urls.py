from django.urls import include, path

from . import views

app_name = "cms"

urlpatterns = [
    path("grids/<int:grid_id>/", views.grid_page, name="grid"),
    path("find-my-grid/", views.find_my_grid, name="find_my_grid"),
    path("", include("cms.map_urls")),
    path("", include("cms.print_urls")),
    path("", include("cms.search_urls")),
]
