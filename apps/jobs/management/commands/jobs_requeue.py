from django.core.management.base import BaseCommand

from apps.jobs.services import jobs_requeue_orphans


class Command(BaseCommand):
    help = (
        "Queue a task again for every job marked queued (after an upgrade that renamed the "
        "tasks, or a queue that was emptied). A job that still has its task runs once anyway: "
        "the second task finds it claimed and does nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than", type=float, default=60.0, help="Seconds a job has waited (60)."
        )

    def handle(self, *args, older_than, **options):
        requeued = jobs_requeue_orphans(older_than=older_than)
        self.stdout.write(f"Queued {len(requeued)} job(s) again.")
