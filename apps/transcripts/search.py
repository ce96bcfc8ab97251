"""Search across a user's library: titles and every segment, through the database's full-text
index (`search_index.py`) — FTS5 on SQLite, tsvector on PostgreSQL, chosen by
`connection.vendor`. Always scoped to the owner: the filters are an ORM query on the owner's
transcripts that the full-text query is joined with."""

import re
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .models import Segment, Transcript
from .search_index import SEGMENTS, TITLES

# Marks around matched words, set by the database and turned into <mark> after escaping.
OPEN, CLOSE = "\ue000", "\ue001"
SNIPPET_WORDS = 14


@dataclass(frozen=True)
class SearchFilters:
    q: str
    date_from: date | None = None
    date_to: date | None = None
    language: str = ""
    speaker: str = ""  # a speaker's name or the voice profile it matched


@dataclass(frozen=True)
class SegmentHit:
    segment: Segment  # with its transcript and speaker
    snippet: SafeString

    @property
    def url(self) -> str:
        """The transcript, opened at the moment the words are said."""
        return f"{self.segment.transcript.get_absolute_url()}#t={self.segment.start:.2f}"


@dataclass(frozen=True)
class TitleHit:
    transcript: Transcript
    title: SafeString


def query_terms(q: str) -> list[list[str]]:
    """The query as terms, each a list of words: a "quoted phrase" is one term."""
    terms = []
    for phrase, word in re.findall(r'"([^"]*)"|(\S+)', q):
        words = _words((phrase or word).lower())
        if words:
            terms.append(words)
    return terms[:20]


def _words(text: str) -> list[str]:
    """The words of `text` as the index cuts them (search_index.TOKENIZER): runs of letters,
    digits and combining marks, so a Devanagari or Telugu word keeps its vowel signs."""
    return "".join(c if unicodedata.category(c)[0] in "LMN" else " " for c in text).split()


def search_segments(
    *, owner, filters: SearchFilters, limit: int = 30, offset: int = 0
) -> list[SegmentHit]:
    """The owner's segments that match every term (the last word also as a prefix), best
    first, each with a snippet of its text where the matched words are marked."""
    terms = query_terms(filters.q)
    if not terms:
        return []
    backend = _POSTGRES if connection.vendor == "postgresql" else _SQLITE
    query = backend["query"](terms)
    scope, params = _segment_scope_sql(owner, filters)
    with connection.cursor() as cursor:
        cursor.execute(backend["segments"].format(scope=scope), [query, *params, limit, offset])
        ids = [row[0] for row in cursor.fetchall()]
        if not ids:
            return []
        # Snippets for this page only: marking every match of a common word costs seconds.
        marks = ", ".join(["%s"] * len(ids))
        cursor.execute(backend["snippets"].format(ids=marks), [query, *ids])
        snippets = dict(cursor.fetchall())
    segments = Segment.objects.select_related("transcript", "speaker").in_bulk(ids)
    return [SegmentHit(segments[pk], _marked(snippets.get(pk, ""))) for pk in ids if pk in segments]


def search_titles(*, owner, filters: SearchFilters, limit: int = 10) -> list[TitleHit]:
    terms = query_terms(filters.q)
    if not terms:
        return []
    scope, scope_params = _transcript_scope(owner, filters).values("id").query.sql_with_params()
    backend = _POSTGRES if connection.vendor == "postgresql" else _SQLITE
    with connection.cursor() as cursor:
        cursor.execute(
            backend["titles"].format(scope=scope),
            [backend["query"](terms), *scope_params, limit],
        )
        rows = cursor.fetchall()
    transcripts = Transcript.objects.defer("text").in_bulk(r[0] for r in rows)
    hits = []
    for pk, title in rows:
        transcript = transcripts.get(_uuid(pk))
        if transcript is not None:
            hits.append(TitleHit(transcript, _marked(title)))
    return hits


def _uuid(value):
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def _transcript_scope(owner, filters: SearchFilters) -> QuerySet:
    """The owner's transcripts within the filters: the only ones the search may return."""
    transcripts: QuerySet = Transcript.objects.filter(owner=owner)
    if filters.date_from:
        transcripts = transcripts.filter(created_at__gte=_day_start(filters.date_from))
    if filters.date_to:
        transcripts = transcripts.filter(
            created_at__lt=_day_start(filters.date_to + timedelta(days=1))
        )
    if filters.language:
        transcripts = transcripts.filter(
            Q(detected_language=filters.language)
            | Q(detected_language="", language=filters.language)
        )
    return transcripts


def _segment_scope_sql(owner, filters: SearchFilters) -> tuple[str, list]:
    """A condition on the segment `s` (SQL and params): in the scope's transcripts, and said by
    a speaker of that name (or voice profile) when asked."""
    sql, params = _transcript_scope(owner, filters).values("id").query.sql_with_params()
    condition, params = f"s.transcript_id IN ({sql})", list(params)
    if filters.speaker:
        speakers = Segment._meta.get_field("speaker").related_model.objects.filter(
            Q(name__icontains=filters.speaker) | Q(profile__name__icontains=filters.speaker),
            transcript__owner=owner,
        )
        sql, more = speakers.values("id").query.sql_with_params()
        condition += f" AND s.speaker_id IN ({sql})"
        params += list(more)
    return condition, params


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _marked(text: str) -> SafeString:
    """Escape the text, then turn the database's marks into <mark>."""
    html = escape(text).replace(OPEN, "<mark>").replace(CLOSE, "</mark>")
    return mark_safe(html)  # noqa: S308 — escaped above; only our own tags added


# --- SQLite: FTS5 ----------------------------------------------------------------------------


def _fts5_query(terms: list[list[str]]) -> str:
    """Every term must match; a phrase as a phrase; the last word also as a prefix (typing)."""
    parts = []
    for i, words in enumerate(terms):
        quoted = '"' + " ".join(words) + '"'
        last = i == len(terms) - 1 and len(words) == 1
        parts.append(quoted + ("*" if last else ""))
    return " AND ".join(parts)


_SQLITE = {
    "query": _fts5_query,
    # The matches first, materialized: left to itself SQLite runs the full-text query once per
    # segment in scope.
    "segments": (
        f"WITH m AS MATERIALIZED (SELECT rowid AS id, bm25({SEGMENTS}) AS score FROM {SEGMENTS}"
        f" WHERE {SEGMENTS} MATCH %s)"
        " SELECT s.id FROM m JOIN transcripts_segment s ON s.id = m.id WHERE {scope}"
        " ORDER BY m.score, s.id LIMIT %s OFFSET %s"
    ),
    "snippets": (
        f"SELECT rowid, snippet({SEGMENTS}, 0, '{OPEN}', '{CLOSE}', '…', {SNIPPET_WORDS})"
        f" FROM {SEGMENTS} WHERE {SEGMENTS} MATCH %s AND rowid IN ({{ids}})"
    ),
    "titles": (
        f"SELECT transcript_id, highlight({TITLES}, 0, '{OPEN}', '{CLOSE}')"
        f" FROM {TITLES} WHERE {TITLES} MATCH %s AND transcript_id IN ({{scope}})"
        f" ORDER BY bm25({TITLES}) LIMIT %s"
    ),
}


# --- PostgreSQL: tsvector --------------------------------------------------------------------


def _tsquery(terms: list[list[str]]) -> str:
    def lexeme(word: str) -> str:
        return "'" + word.replace("'", "''").replace("\\", "\\\\") + "'"

    parts = []
    for i, words in enumerate(terms):
        part = " <-> ".join(lexeme(w) for w in words)
        if i == len(terms) - 1 and len(words) == 1:
            part += ":*"
        parts.append(f"({part})")
    return " & ".join(parts)


_HEADLINE = f"StartSel={OPEN}, StopSel={CLOSE}, MaxWords={SNIPPET_WORDS}, MinWords=6"
_POSTGRES = {
    "query": _tsquery,
    "segments": (
        "SELECT s.id FROM transcripts_segment s, to_tsquery('simple', %s) q"
        " WHERE s.search_vector @@ q AND {scope}"
        " ORDER BY ts_rank(s.search_vector, q) DESC, s.id LIMIT %s OFFSET %s"
    ),
    "snippets": (
        "SELECT s.id, ts_headline('simple', s.text, q, '" + _HEADLINE + "')"
        " FROM transcripts_segment s, to_tsquery('simple', %s) q WHERE s.id IN ({ids})"
    ),
    "titles": (
        "SELECT t.id, ts_headline('simple', t.title, q, 'HighlightAll=true, StartSel="
        + OPEN
        + ", StopSel="
        + CLOSE
        + "')"
        " FROM transcripts_transcript t, to_tsquery('simple', %s) q"
        " WHERE to_tsvector('simple', t.title) @@ q AND t.id IN ({scope})"
        " ORDER BY ts_rank(to_tsvector('simple', t.title), q) DESC LIMIT %s"
    ),
}
