from django_tasks import task

from . import services


@task()
def analysis_job(run_id: str) -> None:
    services.analysis_run_execute(run_id=run_id)
