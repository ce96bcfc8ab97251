from django.urls import path

from . import views, views_keys

urlpatterns = [
    path("v1/audio/transcriptions", views.transcriptions, name="api_transcriptions"),
    path("v1/audio/translations", views.translations, name="api_translations"),
    path("v1/audio/speech", views.speech_create, name="api_speech"),
    path("v1/music", views.music_compose, name="api_music"),
    path("v1/sound-generation", views.sound_generation, name="api_sound_generation"),
    path("v1/models", views.models, name="api_models"),
    path("v1/models/<str:model_id>", views.model_detail, name="api_model_detail"),
    path("account/keys/new/", views_keys.api_key_new, name="api_key_new"),
    path("account/keys/<int:key_id>/revoke/", views_keys.api_key_revoke, name="api_key_revoke"),
]
