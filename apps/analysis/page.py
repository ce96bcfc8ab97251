"""What the transcript page shows of the analyses, prepared so templates only lay it out."""

from dataclasses import dataclass, field

from apps.core.clock import clock
from apps.engines.analysis.base import ENTITY_TYPES, Entity, SentenceSentiment
from apps.engines.analysis.second_voices import second_voice
from apps.engines.stt.languages import language_name
from apps.transcripts.formats import Stretches
from apps.transcripts.models import Transcript

from .models import AnalysisRun, Speaker
from .options import KINDS, unavailable_analyses
from .selectors import (
    AnalysisResults,
    analysis_language,
    analysis_results,
    analysis_run_progress,
    analysis_runs,
)

Kind = AnalysisRun.Kind


@dataclass(frozen=True)
class WordView:
    space: str  # the spaces before the word, kept out of its highlight
    word: str
    start: float
    end: float
    entity: str = ""  # the entity type this word is part of


@dataclass(frozen=True)
class OverlapView:
    """A second speaker likely talking during a segment, as its marker shows it."""

    speaker: Speaker  # the second voice
    start: float
    end: float
    when: str  # "0:12–0:14", or "0:12" when both round to one second


@dataclass(frozen=True)
class SegmentView:
    pk: int
    start: float
    end: float
    text: str
    words: tuple[WordView, ...]
    speaker: Speaker | None
    language: str = ""  # where the engine detected it per part
    # The first segment of a speaker's turn shows the name; the rest of the turn only the time.
    turn_start: bool = True
    flags: tuple[str, ...] = ()  # why the text may be made up (apps/transcripts/flags.py)
    machine_text: str = ""  # the engine's text when a person edited it
    overlaps: tuple[OverlapView, ...] = ()  # other speakers talking at the same time
    # Another voice heard through most of it: said by two at once (diarized_json's "speakers").
    second_speaker: Speaker | None = None
    # The language heard where it is not the one written (flag "other_language").
    heard_language: str = ""


@dataclass(frozen=True)
class SpeakerRow:
    speaker: Speaker
    share: int  # percent of all talk time


@dataclass(frozen=True)
class EntityMention:
    """One entity, however often it is said: where it is first said and how often."""

    text: str
    start: float
    count: int


@dataclass(frozen=True)
class EntityGroup:
    type: str
    description: str
    mentions: tuple[EntityMention, ...]
    count: int  # all mentions


@dataclass(frozen=True)
class PlotPoint:
    x: float
    y: float
    label: str
    confidence: float
    text: str
    start: float


@dataclass(frozen=True)
class SentimentPlot:
    width: int
    height: int
    zero_y: float
    line: str  # SVG polyline points of the moving average
    points: tuple[PlotPoint, ...]
    ticks: tuple[tuple[float, float], ...]  # (x, seconds) for the time axis
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class AnalysisPage:
    runs: list[AnalysisRun]
    language: str
    unavailable: dict[str, str]
    results: AnalysisResults
    segments: list[SegmentView]
    speakers: list[SpeakerRow]
    entity_groups: list[EntityGroup]
    sentiment_plot: SentimentPlot | None

    @property
    def unavailable_names(self) -> str:
        return ", ".join(Kind(k).label for k in KINDS if k in self.unavailable)


def analysis_page(transcript: Transcript) -> AnalysisPage:
    results = analysis_results(transcript)
    runs = analysis_runs(transcript)
    for run in runs:  # each waiting, running or failed run shows the one progress partial
        run.progress_view = analysis_run_progress(run)
    language = analysis_language(transcript)
    done = transcript.status == Transcript.Status.DONE
    return AnalysisPage(
        runs=runs,
        language=language_name(language).title() if done else "",
        unavailable=unavailable_analyses(language) if done else {},
        results=results,
        segments=segment_views(transcript, results),
        speakers=_speaker_rows(results.speakers),
        entity_groups=_entity_groups(results.entities),
        sentiment_plot=sentiment_plot(results.sentiment, transcript.duration),
    )


def segment_views(transcript: Transcript, results: AnalysisResults) -> list[SegmentView]:
    speakers = {s.pk: s for s in results.speakers}
    entities = sorted(results.entities, key=lambda e: e.start)
    during = Stretches(results.overlaps)
    views, previous, e = [], None, 0
    for s in transcript.segments.all():
        words = []
        for w in s.words:
            while e < len(entities) and entities[e].end < w["start"]:
                e += 1
            entity = entities[e] if e < len(entities) else None
            text = w["word"].lstrip()
            inside = entity and _within(entity, w["start"], w["end"], text)
            space = w["word"][: len(w["word"]) - len(text)]
            words.append(WordView(space, text, w["start"], w["end"], entity.type if inside else ""))
        speaker = speakers.get(s.speaker_id)
        overlaps = _overlaps_during(s, during(s.start, s.end), speakers)
        views.append(
            SegmentView(
                pk=s.pk,
                start=s.start,
                end=s.end,
                text=s.text,
                words=tuple(words),
                speaker=speaker,
                language=s.language,
                turn_start=speaker is None or s.speaker_id != previous,
                flags=tuple(s.flags),
                machine_text=s.machine_text,
                overlaps=overlaps,
                second_speaker=_second_speaker(s, speaker, overlaps),
                heard_language=s.heard_language,
            )
        )
        previous = s.speaker_id
    return views


def _overlaps_during(segment, overlaps, speakers: dict) -> tuple[OverlapView, ...]:
    """The marks within the segment's time of another voice than its own."""
    return tuple(
        OverlapView(speakers[o.speaker_id], o.start, o.end, _when(o.start, o.end))
        for o in overlaps
        if o.speaker_id != segment.speaker_id and o.speaker_id in speakers
    )


def _second_speaker(segment, speaker, overlaps) -> Speaker | None:
    """The voice heard through most of the segment besides its own, as diarized_json names
    both (engines/analysis/second_voices.py)."""
    if speaker is None:
        return None
    voices = {o.speaker.label: o.speaker for o in overlaps}
    marks = [(o.speaker.label, o.start, o.end) for o in overlaps]
    return voices.get(second_voice(segment.start, segment.end, speaker.label, marks) or "")


def _when(start: float, end: float) -> str:
    first, last = clock(start), clock(end)
    return first if first == last else f"{first}–{last}"


def _within(entity: Entity, start: float, end: float, word: str) -> bool:
    """Whether a word is part of an entity: inside its time, and one of its words (a short word
    can share a timestamp with its neighbour)."""
    if not (entity.start <= start and end <= entity.end):
        return False
    token = word.strip(_PUNCTUATION).lower()
    return bool(token) and token in {t.strip(_PUNCTUATION).lower() for t in entity.text.split()}


_PUNCTUATION = ".,;:!?\"'()[]«»“”‘’…-"


def _speaker_rows(speakers: tuple[Speaker, ...]) -> list[SpeakerRow]:
    total = sum(s.talk_time for s in speakers) or 1.0
    return [SpeakerRow(s, round(100 * s.talk_time / total)) for s in speakers]


def _entity_groups(entities: tuple[Entity, ...]) -> list[EntityGroup]:
    by_type: dict[str, dict[str, list[Entity]]] = {}
    for entity in entities:
        by_type.setdefault(entity.type, {}).setdefault(entity.text.lower(), []).append(entity)
    order = list(ENTITY_TYPES)
    groups = [
        EntityGroup(
            type=kind,
            description=ENTITY_TYPES.get(kind, kind.title()),
            mentions=tuple(EntityMention(m[0].text, m[0].start, len(m)) for m in found.values()),
            count=sum(len(m) for m in found.values()),
        )
        for kind, found in by_type.items()
    ]
    return sorted(groups, key=lambda g: order.index(g.type) if g.type in order else len(order))


_SCORES = {"positive": 1.0, "neutral": 0.0, "negative": -1.0}


def sentiment_plot(
    sentences: tuple[SentenceSentiment, ...], duration: float, *, width=900, height=160, pad=12
) -> SentimentPlot | None:
    """Each sentence a dot (up: positive, down: negative, by confidence) at its time, and a
    line through the moving average of three sentences."""
    if not sentences:
        return None
    duration = duration or max(s.end for s in sentences) or 1.0
    middle = height / 2

    def x(t: float) -> float:
        return round(pad + (width - 2 * pad) * min(t, duration) / duration, 1)

    def y(score: float) -> float:
        return round(middle - score * (middle - pad), 1)

    scores = [_SCORES[s.label] * (s.confidence if s.label != "neutral" else 0) for s in sentences]
    points = tuple(
        PlotPoint(x((s.start + s.end) / 2), y(score), s.label, s.confidence, s.text, s.start)
        for s, score in zip(sentences, scores, strict=True)
    )
    averaged = [
        sum(scores[max(0, i - 1) : i + 2]) / len(scores[max(0, i - 1) : i + 2])
        for i in range(len(scores))
    ]
    line = " ".join(f"{p.x},{y(a)}" for p, a in zip(points, averaged, strict=True))
    counts = {label: sum(1 for s in sentences if s.label == label) for label in _SCORES}
    ticks = tuple((x(duration * i / 4), duration * i / 4) for i in range(5))
    return SentimentPlot(width, height, middle, line, points, ticks, counts)
