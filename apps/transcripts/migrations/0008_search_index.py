from django.db import migrations


def create(apps, schema_editor):
    from apps.transcripts.search_index import search_index_ensure

    search_index_ensure(schema_editor.connection.alias)


def drop(apps, schema_editor):
    from apps.transcripts.search_index import search_index_drop

    search_index_drop(schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [("transcripts", "0007_segment_untranscribed")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
