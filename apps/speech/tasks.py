from django_tasks import task

from . import services


# Its own queue and worker, polled often: someone is waiting to hear the first sentence.
@task(queue_name="speech")
def synthesize_job(generation_id: str) -> None:
    services.generation_run(generation_id=generation_id)
