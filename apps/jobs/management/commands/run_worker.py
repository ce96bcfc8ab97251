import logging
import os
import threading

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django_tasks import task_backends

from apps.engines.errors import ProviderError
from apps.jobs.registry import job_models
from apps.jobs.services import jobs_reap
from apps.jobs.workers import worker_id

logger = logging.getLogger(__name__)


def queues_by_priority(queues: list[str]) -> list[str]:
    """Queues of interactive kinds first (RQ serves them in this order; the database queue
    goes by each task's priority instead)."""
    top = {}
    for model in job_models():
        top[model.queue_name] = max(top.get(model.queue_name, model.priority), model.priority)
    return sorted(queues, key=lambda q: -top.get(q, 0))


def _uses_rq() -> bool:
    return type(task_backends["default"]).__module__.startswith("django_tasks_rq")


class Command(BaseCommand):
    help = (
        "Run one task worker. While it runs it also looks for jobs whose worker died (on any "
        "host) and queues them again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--queue-name",
            default="default",
            help="Comma-separated queues: default (long jobs), speech, or *.",
        )
        parser.add_argument("--batch", action="store_true", help="Exit when the queue is empty.")
        parser.add_argument("--max-tasks", type=int, default=None)
        # Seconds between looks at an empty queue. At 0.5 a transcription through the API
        # waited 0.44-0.55 s in the queue, 5 % of a 3-minute recording's. On SQLite each look
        # is a short exclusive transaction (one query under the write lock): ten a second per
        # idle worker, which other writers wait out within the database's 30 s busy timeout.
        parser.add_argument("--interval", type=float, default=0.1)

    def handle(self, *args, queue_name, batch, max_tasks, interval, **options):
        # Below the web server: a busy worker never slows pages down.
        os.nice(settings.VOICEPORTAL_WORKER_NICE)
        reaped = jobs_reap()
        if reaped:
            self.stdout.write(f"Recovered {len(reaped)} job(s) left by dead workers.")
        if not batch:
            Reaper(settings.VOICEPORTAL_JOB_REAP_SECONDS).start()
        self._warm_up(set(queue_name.split(",")))
        queues = [q for q in queue_name.split(",") if q]
        if _uses_rq():
            self._run_rq(queues, batch=batch, max_tasks=max_tasks)
            return
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

    def _run_rq(self, queues: list[str], *, batch: bool, max_tasks: int | None) -> None:
        """Redis through RQ. Its simple worker runs each task in this process, where the
        models stay loaded (the forking one would load them again for every task); queues are
        served in the order given, the first whenever it has work."""
        if "*" in queues:
            queues = list(task_backends["default"].queues)
        call_command(
            "rqworker",
            *queues_by_priority(queues),
            job_class="django_tasks_rq.backend.Job",
            worker_class="rq.worker.SimpleWorker",
            name=worker_id(),
            burst=batch,
            max_jobs=max_tasks,
            verbosity=0,
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

            # Every local engine, not the default alone: Kokoro's first use costs seconds.
            for alias in tts_backends.aliases():
                backend = tts_backends[alias]
                problem = getattr(backend, "configuration_problem", lambda: None)()
                if not backend.runs_locally or problem:
                    continue
                try:
                    for _ in backend.synthesize_pcm(SpeechRequest(text="Ready.", format="wav")):
                        pass
                except ProviderError as exc:
                    logger.warning("Could not warm up %s: %s", alias, exc.message)


class Reaper(threading.Thread):
    """Looks for lost jobs every `every` seconds for as long as the worker lives: a worker that
    dies while the others keep running is noticed without waiting for a restart."""

    def __init__(self, every: float):
        super().__init__(daemon=True, name="job-reaper")
        self.every = every

    def run(self) -> None:
        stop = threading.Event()
        while not stop.wait(self.every):
            try:
                jobs_reap()
            except Exception:  # a locked database now is no reason to stop looking later
                logger.exception("Looking for lost jobs failed")
            finally:
                close_old_connections()
