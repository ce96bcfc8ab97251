from django.db import migrations


def rebuild(apps, schema_editor):
    """The SQLite index made again with words that keep their combining marks
    (search_index.TOKENIZER): an FTS5 table's tokenizer is fixed when it is created."""
    from apps.transcripts.search_index import search_index_drop, search_index_ensure

    if schema_editor.connection.vendor != "sqlite":
        return
    search_index_drop(schema_editor.connection.alias)
    search_index_ensure(schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [("transcripts", "0013_gap_sound")]

    operations = [migrations.RunPython(rebuild, migrations.RunPython.noop, elidable=False)]
