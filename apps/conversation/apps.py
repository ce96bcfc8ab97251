from django.apps import AppConfig


class ConversationConfig(AppConfig):
    name = "apps.conversation"
    label = "conversation"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from apps.engines.conversation import remote

        from .services import library_synthesizer

        # Live inference workers rebuild a conversation's library voice with it.
        remote.voice_library = library_synthesizer
