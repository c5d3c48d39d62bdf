from django.urls import path

from . import views

app_name = "volunteers"

urlpatterns = [
    path("volunteers/", views.activity_list, name="list"),
    path("volunteers/colours/<slug:colour>/", views.activity_list, name="colour"),
    path("volunteers/activities/<int:pk>/", views.activity_detail, name="activity"),
    path("volunteers/shifts/<int:pk>/sign-up/", views.sign_up, name="sign_up"),
    path("volunteers/shifts/<int:pk>/roster/", views.roster, name="roster"),
    path("volunteers/shifts/<int:pk>/roster.csv", views.roster_csv, name="roster_csv"),
    path("volunteers/shifts/<int:pk>/message/", views.message, name="message"),
    path("volunteers/shifts/<int:pk>/shift.ics", views.shift_ics, name="shift_ics"),
    path("volunteers/sign-ups/<int:pk>/cancel/", views.cancel, name="cancel"),
    path("volunteers/join/", views.join, name="join"),
    path("volunteers/me/", views.mine, name="mine"),
    path("volunteers/me/certificate/", views.certificate, name="certificate"),
    path("volunteers/check-in/<str:token>/", views.check_in, name="check_in"),
    path("volunteers/calendar/<str:token>.ics", views.feed_ics, name="feed"),
    path("volunteers/leaderboard/<int:community_id>/", views.leaderboard, name="leaderboard"),
]
