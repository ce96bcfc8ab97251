from django.apps import AppConfig


class ConversationConfig(AppConfig):
    name = "apps.conversation"
    label = "conversation"
    default_auto_field = "django.db.models.BigAutoField"
