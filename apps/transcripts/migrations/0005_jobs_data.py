from django.db import migrations
from django.db.models import F


def move_job_state(apps, schema_editor):
    # A transcription's progress is by audio position, out of the recording's duration.
    apps.get_model("transcripts", "Transcript").objects.update(progress_total=F("duration"))


class Migration(migrations.Migration):
    dependencies = [("transcripts", "0004_jobs")]

    operations = [migrations.RunPython(move_job_state, migrations.RunPython.noop)]
