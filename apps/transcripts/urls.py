from django.urls import path

from . import views

app_name = "transcripts"
urlpatterns = [
    path("", views.transcript_list, name="list"),
    path("new/", views.transcript_new, name="new"),
    path("search/", views.transcript_search, name="search"),
    path("delete/", views.transcript_delete_selected, name="delete_selected"),
    path("<uuid:pk>/", views.transcript_detail, name="detail"),
    path("<uuid:pk>/progress/", views.transcript_progress, name="progress"),
    path("<uuid:pk>/cancel/", views.transcript_cancel, name="cancel"),
    path("<uuid:pk>/retry/", views.transcript_retry, name="retry"),
    path("<uuid:pk>/rename/", views.transcript_rename, name="rename"),
    path("<uuid:pk>/delete/", views.transcript_delete, name="delete"),
    path("<uuid:pk>/media/", views.transcript_media, name="media"),
    path("<uuid:pk>/export/<str:fmt>/", views.transcript_export, name="export"),
    path("<uuid:pk>/undo/", views.transcript_undo, name="undo"),
    path("<uuid:pk>/segments/<int:segment_pk>/", views.segment_detail, name="segment"),
    path("<uuid:pk>/segments/<int:segment_pk>/edit/", views.segment_edit, name="segment_edit"),
]
