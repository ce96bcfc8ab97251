from django.urls import path

from . import views

app_name = "analysis"
urlpatterns = [
    path("transcripts/<uuid:pk>/run/", views.analysis_start, name="start"),
    path("transcripts/<uuid:pk>/status/<str:kind>/", views.analysis_status, name="status"),
    path("transcripts/<uuid:pk>/redacted/<str:fmt>/", views.redacted_export, name="redacted"),
    path("transcripts/<uuid:pk>/redacted-audio/", views.redacted_audio, name="redacted_audio"),
    path("speakers/<int:pk>/rename/", views.speaker_rename, name="speaker_rename"),
    path("speakers/<int:pk>/merge/", views.speaker_merge, name="speaker_merge"),
    path("speakers/<int:pk>/profile/", views.speaker_save_profile, name="speaker_profile"),
    path("segments/<int:pk>/speaker/", views.segment_reassign, name="segment_reassign"),
    path("profiles/", views.profile_list, name="profiles"),
    path("profiles/<int:pk>/rename/", views.profile_rename, name="profile_rename"),
    path("profiles/<int:pk>/delete/", views.profile_delete, name="profile_delete"),
]
