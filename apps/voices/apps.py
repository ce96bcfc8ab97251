from django.apps import AppConfig


class VoicesConfig(AppConfig):
    name = "apps.voices"
    label = "voices"
