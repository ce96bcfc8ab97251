from django.apps import AppConfig


class TranscriptsConfig(AppConfig):
    name = "apps.transcripts"
    label = "transcripts"

    def ready(self) -> None:
        from apps.jobs.quotas import quota_register

        from .selectors import transcripts_audio_seconds_since, transcripts_storage_bytes

        quota_register(
            storage=transcripts_storage_bytes, audio_seconds=transcripts_audio_seconds_since
        )
