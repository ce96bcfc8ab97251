from django.urls import path

from . import views

app_name = "speech"
urlpatterns = [
    path("", views.studio, name="studio"),
    path("generate/", views.generation_create, name="generate"),
    path("history/", views.generation_history, name="history"),
    path("<uuid:pk>/progress/", views.generation_progress, name="progress"),
    path("<uuid:pk>/stream/", views.generation_stream, name="stream"),
    path("<uuid:pk>/audio/", views.generation_audio, name="audio"),
    path("<uuid:pk>/cancel/", views.generation_cancel, name="cancel"),
    path("<uuid:pk>/delete/", views.generation_delete, name="delete"),
    path("<uuid:pk>/paragraphs/", views.paragraph_list, name="paragraphs"),
    path(
        "<uuid:pk>/paragraphs/<int:index>/regenerate/",
        views.paragraph_regenerate,
        name="paragraph_regenerate",
    ),
    path("<uuid:pk>/paragraphs/<int:index>/audio/", views.paragraph_audio, name="paragraph_audio"),
    path("<uuid:pk>/paragraphs/<int:index>/form/", views.paragraph_form, name="paragraph_form"),
    path(
        "paragraph-takes/<uuid:pk>/progress/",
        views.regeneration_progress,
        name="regeneration_progress",
    ),
    path(
        "paragraph-takes/<uuid:pk>/cancel/", views.regeneration_cancel, name="regeneration_cancel"
    ),
    path("read/<uuid:transcript_pk>/", views.read_aloud, name="read_aloud"),
    path("read/<uuid:transcript_pk>/form/", views.read_aloud_form, name="read_aloud_form"),
]
