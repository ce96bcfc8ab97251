from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from apps.analysis.services import analyses_recover
from apps.core.workers import worker_id
from apps.speech.services import generations_recover
from apps.transcripts.services import jobs_recover
from apps.voices.services import voices_recover


class Command(BaseCommand):
    help = "Run one task worker: first re-queue jobs left running by dead workers, then work."

    def add_arguments(self, parser):
        parser.add_argument(
            "--queue-name",
            default="default",
            help="Comma-separated queues: default (long jobs), speech, or *.",
        )
        parser.add_argument("--batch", action="store_true", help="Exit when the queue is empty.")
        parser.add_argument("--max-tasks", type=int, default=None)
        parser.add_argument("--interval", type=float, default=0.5)

    def handle(self, *args, queue_name, batch, max_tasks, interval, **options):
        recovered = jobs_recover() + analyses_recover() + voices_recover()
        if recovered:
            self.stdout.write(f"Re-queued {len(recovered)} job(s) left by dead workers.")
        failed = generations_recover()
        if failed:
            self.stdout.write(f"Failed {len(failed)} speech generation(s) left by dead workers.")
        self._warm_up(set(queue_name.split(",")))
        # The worker id is host:pid, so a restart can tell which running jobs were ours.
        call_command(
            "db_worker",
            queue_name=queue_name,
            batch=batch,
            max_tasks=max_tasks,
            interval=interval,
            worker_id=worker_id()[-64:],
            startup_delay=False,
            reload=False,
        )

    def _warm_up(self, queues: set[str]) -> None:
        """Load the models this worker's queues need now, so the first job does not wait."""
        if not getattr(settings, "VOICEPORTAL_WARM_UP", True):
            return
        if queues & {"default", "*"}:
            from apps.engines.stt import stt_backends

            backend = stt_backends.default()
            if backend.runs_locally and hasattr(backend, "model"):
                backend.model(backend.default_model)
        if queues & {"speech", "*"}:
            from apps.engines.tts import tts_backends
            from apps.engines.tts.base import SpeechRequest

            backend = tts_backends.default()
            if backend.runs_locally:
                for _ in backend.synthesize_pcm(SpeechRequest(text="Ready.", format="wav")):
                    pass
