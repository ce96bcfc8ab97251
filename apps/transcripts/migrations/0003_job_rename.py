from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("transcripts", "0002_segment_speaker")]

    operations = [
        migrations.RenameField("transcript", "progress_seconds", "progress_done"),
    ]
