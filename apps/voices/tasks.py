from django_tasks import task

from . import services


@task(queue_name="default")
def voice_build_job(voice_id: str) -> None:
    services.voice_build(voice_id=voice_id)


@task(queue_name="default")
def voice_clone_job(voice_id: str) -> None:
    services.clone_run(voice_id=voice_id)


@task(queue_name="speech")
def voice_preview_job(key: str) -> None:
    services.preview_run(key=key)
