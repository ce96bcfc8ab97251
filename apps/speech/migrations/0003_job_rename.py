from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("speech", "0002_generation_cancel")]

    operations = [
        migrations.RenameField("generation", "sentences_done", "progress_done"),
        migrations.RenameField("generation", "sentences_total", "progress_total"),
    ]
