from django.apps import AppConfig


class SpeechConfig(AppConfig):
    name = "apps.speech"
    label = "speech"
    verbose_name = "Speech studio"
