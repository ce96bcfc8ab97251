from django.urls import path

from . import views

app_name = "conversation"
urlpatterns = [
    path("", views.conversation_list, name="list"),
    path("<uuid:pk>/", views.conversation_page, name="page"),
    path("<uuid:pk>/delete/", views.conversation_delete, name="delete"),
    path("turns/<int:pk>/audio", views.turn_audio, name="turn_audio"),
]
