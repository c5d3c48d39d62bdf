from django.urls import path

from . import printing

urlpatterns = [
    path("grids/<int:grid_id>/poster/", printing.grid_poster, name="grid_poster"),
    path("grids/<int:grid_id>/cards/", printing.grid_cards, name="grid_cards"),
    path("households/<int:household_id>/card/", printing.household_card, name="household_card"),
]
