"""The full-text index of titles and segments, kept by the database itself: on SQLite, FTS5
tables updated by triggers; on PostgreSQL, GIN indexes over `to_tsvector('simple', …)` (no
stemming: a library holds many languages). Created by a migration and checked after every
`migrate`, since SQLite drops a table's triggers when a later migration rebuilds the table."""

from django.db import connections

SEGMENTS, TITLES = "transcripts_segment_fts", "transcripts_title_fts"
# Words are runs of letters, digits and combining marks ("M*"): by default unicode61 cuts a word
# at each mark, and the vowel signs of Devanagari, Telugu or Tamil are marks, so "मात्र" (only)
# and "मित्र" (friend) were the same three pieces and a search for one found the other
# (docs/benchmarks.md, issue 9, session 32). Latin accents are still folded (precomposed
# letters, remove_diacritics).
TOKENIZER = "unicode61 remove_diacritics 2 categories 'L* N* Co M*'"

_SQLITE_TABLES = [
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {SEGMENTS} USING fts5(text, content='transcripts_segment',"
    f" content_rowid='id', tokenize=\"{TOKENIZER}\")",
    # Transcripts' ids are UUIDs and their rowids change on VACUUM: the title is stored here.
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {TITLES} USING fts5(title, transcript_id UNINDEXED,"
    f' tokenize="{TOKENIZER}")',
]
_SQLITE_TRIGGERS = {
    "transcripts_segment_fts_insert": f"""AFTER INSERT ON transcripts_segment BEGIN
        INSERT INTO {SEGMENTS}(rowid, text) VALUES (new.id, new.text); END""",
    "transcripts_segment_fts_delete": f"""AFTER DELETE ON transcripts_segment BEGIN
        INSERT INTO {SEGMENTS}({SEGMENTS}, rowid, text) VALUES ('delete', old.id, old.text); END""",
    "transcripts_segment_fts_update": f"""AFTER UPDATE OF text ON transcripts_segment BEGIN
        INSERT INTO {SEGMENTS}({SEGMENTS}, rowid, text) VALUES ('delete', old.id, old.text);
        INSERT INTO {SEGMENTS}(rowid, text) VALUES (new.id, new.text); END""",
    "transcripts_title_fts_insert": f"""AFTER INSERT ON transcripts_transcript BEGIN
        INSERT INTO {TITLES}(title, transcript_id) VALUES (new.title, new.id); END""",
    "transcripts_title_fts_delete": f"""AFTER DELETE ON transcripts_transcript BEGIN
        DELETE FROM {TITLES} WHERE transcript_id = old.id; END""",
    "transcripts_title_fts_update": f"""AFTER UPDATE OF title ON transcripts_transcript BEGIN
        DELETE FROM {TITLES} WHERE transcript_id = old.id;
        INSERT INTO {TITLES}(title, transcript_id) VALUES (new.title, new.id); END""",
}
# Segments keep their tsvector in a stored generated column (unknown to Django's models): ranking
# a common word's tens of thousands of matches then reads it instead of parsing every text.
_POSTGRES_INDEXES = [
    "ALTER TABLE transcripts_segment ADD COLUMN IF NOT EXISTS search_vector tsvector"
    " GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, text)) STORED",
    "CREATE INDEX IF NOT EXISTS transcripts_segment_vector_fts ON transcripts_segment"
    " USING gin (search_vector)",
    "CREATE INDEX IF NOT EXISTS transcripts_transcript_title_fts ON transcripts_transcript"
    " USING gin (to_tsvector('simple', title))",
]


def search_index_ensure(using: str = "default") -> bool:
    """Create what is missing; on SQLite, fill the index again when any trigger was missing
    (changes made meanwhile were not indexed). True when something was created."""
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for sql in _POSTGRES_INDEXES:
                cursor.execute(sql)
            return False
        if connection.vendor != "sqlite":
            return False
        cursor.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')")
        existing = {row[0] for row in cursor.fetchall()}
        missing = [name for name in (SEGMENTS, TITLES, *_SQLITE_TRIGGERS) if name not in existing]
        if not missing:
            return False
        for sql in _SQLITE_TABLES:
            cursor.execute(sql)
        for name, body in _SQLITE_TRIGGERS.items():
            cursor.execute(f"CREATE TRIGGER IF NOT EXISTS {name} {body}")
        _sqlite_rebuild(cursor)
        return True


def _sqlite_rebuild(cursor) -> None:
    cursor.execute(f"INSERT INTO {SEGMENTS}({SEGMENTS}) VALUES ('rebuild')")
    cursor.execute(f"DELETE FROM {TITLES}")
    cursor.execute(
        f"INSERT INTO {TITLES}(title, transcript_id) SELECT title, id FROM transcripts_transcript"
    )


def search_index_drop(using: str = "default") -> None:
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DROP INDEX IF EXISTS transcripts_segment_vector_fts")
            cursor.execute("ALTER TABLE transcripts_segment DROP COLUMN IF EXISTS search_vector")
            cursor.execute("DROP INDEX IF EXISTS transcripts_transcript_title_fts")
        elif connection.vendor == "sqlite":
            for name in _SQLITE_TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            cursor.execute(f"DROP TABLE IF EXISTS {SEGMENTS}")
            cursor.execute(f"DROP TABLE IF EXISTS {TITLES}")
