from django.urls import path

from . import poll_views, views

app_name = "consultation"

urlpatterns = [
    path("halls/<int:hall_id>/posts/", views.publish, name="publish"),
    path("halls/<int:hall_id>/posts/fragments/", views.fragments, name="fragments"),
    path("halls/<int:hall_id>/follow/", views.follow, name="follow"),
    path("halls/<int:hall_id>/minutes/", views.minutes, name="minutes"),
    path("halls/posts/<int:pk>/edit/", views.edit, name="edit"),
    path("halls/posts/<int:pk>/delete/", views.delete, name="delete"),
    path("halls/posts/<int:pk>/second/", views.second, name="second"),
    path("halls/posts/<int:pk>/report/", views.report, name="report"),
    path("polls/<int:poll_id>/", poll_views.poll_detail, name="poll"),
    path("polls/<int:poll_id>/vote/", poll_views.vote, name="vote"),
    path("me/notifications/", views.notifications, name="notifications"),
]
