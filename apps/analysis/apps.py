from django.apps import AppConfig


class AnalysisConfig(AppConfig):
    name = "apps.analysis"
    label = "analysis"
    verbose_name = "Transcript analysis"

    def ready(self) -> None:
        from apps.transcripts import hooks as transcripts
        from apps.transcripts import signals

        from . import hooks
        from .services import runs

        signals.transcript_created.connect(runs.on_transcript_created, dispatch_uid="analyses")
        signals.transcript_done.connect(runs.analyses_after_transcription, dispatch_uid="analyses")
        if hooks.UploadAnalysisForm not in transcripts.upload_form_bases:
            transcripts.upload_form_bases.append(hooks.UploadAnalysisForm)
            transcripts.page_context.append(hooks.page_context)
            transcripts.document_results.append(hooks.document_results)
