import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def move_job_state(apps, schema_editor):
    AnalysisRun = apps.get_model("analysis", "AnalysisRun")
    for run in AnalysisRun.objects.select_related("transcript"):
        run.owner_id = run.transcript.owner_id
        run.save(update_fields=["owner"])
    # Progress was a fraction; it is now done of a total.
    AnalysisRun.objects.update(progress_total=1.0)
    AnalysisRun.objects.filter(status="unavailable").update(status="skipped")


class Migration(migrations.Migration):
    dependencies = [
        ("analysis", "0004_jobs"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(move_job_state, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="analysisrun",
            name="owner",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="analysis_runs",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
    ]
