from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "apps.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        from apps.jobs.signals import job_finished

        from .receivers import on_job_finished

        job_finished.connect(on_job_finished, dispatch_uid="webhooks")
