from django.apps import AppConfig
from django.db.models.signals import post_migrate

INDEX_MIGRATION = ("transcripts", "0008_search_index")


class TranscriptsConfig(AppConfig):
    name = "apps.transcripts"
    label = "transcripts"

    def ready(self) -> None:
        post_migrate.connect(_search_index_check, sender=self, dispatch_uid="search_index")
        from apps.jobs.quotas import quota_register

        from .selectors import transcripts_audio_seconds_since, transcripts_storage_bytes

        quota_register(
            storage=transcripts_storage_bytes, audio_seconds=transcripts_audio_seconds_since
        )


def _search_index_check(sender, using="default", **kwargs) -> None:
    """A later migration that rebuilt a table on SQLite took the index's triggers with it."""
    from django.db import connections
    from django.db.migrations.recorder import MigrationRecorder

    from .search_index import search_index_ensure

    if INDEX_MIGRATION in MigrationRecorder(connections[using]).applied_migrations():
        search_index_ensure(using)
