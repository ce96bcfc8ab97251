from django_tasks import task

from . import services


@task()
def transcribe_job(transcript_id: str) -> None:
    services.transcript_run(transcript_id=transcript_id)
