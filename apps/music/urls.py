from django.urls import path

from . import views

app_name = "music"
urlpatterns = [
    path("", views.studio, name="studio"),
    path("compose/", views.track_compose, name="compose"),
    path("effect/", views.effect_create, name="effect"),
    path("heard/", views.prompt_heard, name="heard"),
    path("<uuid:pk>/progress/", views.track_progress, name="progress"),
    path("<uuid:pk>/cancel/", views.track_cancel, name="cancel"),
    path("<uuid:pk>/file.<str:fmt>", views.track_file, name="file"),
    path("<uuid:pk>/rename/", views.track_rename, name="rename"),
    path("<uuid:pk>/again/", views.track_again, name="again"),
    path("<uuid:pk>/variation/", views.track_variation, name="variation"),
    path("<uuid:pk>/delete/", views.track_delete, name="delete"),
    path("spoken/<uuid:transcript_pk>/", views.spoken_summary, name="spoken"),
    path("spoken/<uuid:transcript_pk>/form/", views.spoken_summary_form, name="spoken_form"),
]
