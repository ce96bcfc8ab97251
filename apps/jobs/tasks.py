from django_tasks import task

from .registry import job_model
from .runner import job_run


# One task for every kind of job; the kind's queue is chosen when it is enqueued.
@task()
def run_job(kind: str, job_id: str) -> None:
    job_run(model=job_model(kind), job_id=job_id)
