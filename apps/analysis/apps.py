from django.apps import AppConfig


class AnalysisConfig(AppConfig):
    name = "apps.analysis"
    label = "analysis"
    verbose_name = "Transcript analysis"

    def ready(self) -> None:
        from apps.transcripts import signals

        from .services import runs

        signals.transcript_created.connect(runs.on_transcript_created, dispatch_uid="analyses")
        signals.transcript_done.connect(runs.on_transcript_done, dispatch_uid="analyses")
