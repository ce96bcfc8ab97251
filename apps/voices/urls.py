from django.urls import path

from . import views

app_name = "voices"
urlpatterns = [
    path("", views.voice_library, name="library"),
    path("new/", views.voice_new, name="new"),
    path("pronunciations/", views.pronunciations, name="pronunciations"),
    path("pronunciations/import/", views.pronunciations_import, name="pronunciations_import"),
    path("pronunciations/export.pls", views.pronunciations_export, name="pronunciations_export"),
    path(
        "pronunciations/<int:pk>/delete/", views.pronunciation_delete, name="pronunciation_delete"
    ),
    path("preview/<str:voice_id>/", views.preview, name="preview"),
    path("preview/<str:voice_id>/audio/", views.preview_audio, name="preview_audio"),
    path("<uuid:pk>/", views.voice_detail, name="detail"),
    path("<uuid:pk>/status/", views.voice_status, name="status"),
    path("<uuid:pk>/retry/", views.voice_retry, name="retry"),
    path("<uuid:pk>/base/", views.voice_rebase, name="rebase"),
    path("<uuid:pk>/clone/", views.voice_clone_retry, name="clone_retry"),
    path("<uuid:pk>/clone/status/", views.voice_clone_status, name="clone_status"),
    path("<uuid:pk>/delete/", views.voice_delete, name="delete"),
    path("<uuid:pk>/share/", views.voice_share, name="share"),
    path("<uuid:pk>/share/<int:user_id>/remove/", views.voice_unshare, name="unshare"),
    path("<uuid:pk>/samples/", views.samples_add, name="samples_add"),
    path("<uuid:pk>/samples/<uuid:sample_pk>/", views.sample_audio, name="sample_audio"),
    path("<uuid:pk>/samples/<uuid:sample_pk>/delete/", views.sample_delete, name="sample_delete"),
]
