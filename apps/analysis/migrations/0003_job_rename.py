from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("analysis", "0002_analysisrun_heartbeat")]

    operations = [
        migrations.RenameField("analysisrun", "progress", "progress_done"),
    ]
