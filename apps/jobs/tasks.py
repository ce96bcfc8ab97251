from django_tasks import task

from .registry import job_model
from .runner import job_run_next


# One task for every kind of job, queued on the kind's queue. The task stands for one job
# waiting there; the worker runs the fairest waiting one, which may be another.
@task()
def run_job(kind: str, job_id: str) -> None:
    job_run_next(queue=job_model(kind).queue_name)
