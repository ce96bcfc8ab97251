"""Transcript exports: plain text or dialogue, SRT, WebVTT, OpenAI's JSON shapes (diarized
too), and a JSON export with every analysis. DOCX is in `docx.py`.

They work on plain documents, so the web page, the API and the command line share them.
"""

import json
from bisect import bisect_left
from dataclasses import asdict, dataclass, field, replace

from apps.core.spans import uncovered_parts
from apps.engines.analysis.base import Chapter, Entity, Keyword, SentenceSentiment, Summary
from apps.engines.analysis.second_voices import second_voice
from apps.engines.stt.base import GAP_REASONS
from apps.engines.stt.languages import language_name
from apps.engines.stt.overlap import MIN_MARK_SECONDS

TEXT_FORMATS = {"text", "srt", "vtt"}
JSON_FORMATS = {"json", "verbose_json", "diarized_json"}
EXPORT_FORMATS = {
    # name: (file extension, content type)
    "txt": ("txt", "text/plain; charset=utf-8"),
    "srt": ("srt", "application/x-subrip; charset=utf-8"),
    "vtt": ("vtt", "text/vtt; charset=utf-8"),
    "json": ("json", "application/json"),
    "docx": ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
}


@dataclass(frozen=True)
class DocumentWord:
    word: str
    start: float
    end: float
    probability: float = 1.0


@dataclass(frozen=True)
class DocumentSpeaker:
    label: str  # SPEAKER_00…
    name: str  # as OpenAI's diarized_json names it: the user's name for it, or A, B, C…
    display_name: str  # as people read it: the name, or "Speaker A"
    talk_time: float = 0.0
    words: int = 0
    words_per_minute: float = 0.0
    colour: str = ""
    profile: str = ""  # the voice profile that named it
    similarity: float | None = None


@dataclass(frozen=True)
class DocumentSegment:
    id: int
    start: float
    end: float
    text: str
    words: tuple[DocumentWord, ...] = ()
    avg_logprob: float = 0.0
    no_speech_prob: float = 0.0
    compression_ratio: float = 1.0
    temperature: float = 0.0
    tokens: tuple[int, ...] = ()
    speaker: DocumentSpeaker | None = None
    # Why its text may be made up (apps/transcripts/flags.py); empty for most.
    flags: tuple[str, ...] = ()
    language: str = ""  # where the engine detected it per part
    # Where the speech was surely in another language than the one decoded (flag
    # "other_language").
    heard_language: str = ""


@dataclass(frozen=True)
class DocumentGap:
    """Speech the engine gave no text for (see apps.transcripts.models.Gap)."""

    start: float
    end: float
    reason: str
    language: str = ""
    sound: str = ""  # where `reason` is "sound": "laughter", "applause" (stt/sounds.py)

    @property
    def label(self) -> str:
        """As the page says it: "no text — speech in another language? (de)"; a sound as
        captions write it: "[laughter]"."""
        if self.reason == "sound" and self.sound:
            return f"[{self.sound}]"
        if self.reason == "overlap":  # text may lie under it: not "no text"
            return GAP_REASONS[self.reason]
        language = f" ({self.language})" if self.language else ""
        return f"no text — {GAP_REASONS.get(self.reason, self.reason)}{language}"


@dataclass(frozen=True)
class DocumentOverlap:
    """A stretch where `speaker` is likely talking at the same time as `over` (the speaker of
    the turn there; None where unknown), from the speaker analysis."""

    speaker: DocumentSpeaker
    over: DocumentSpeaker | None
    start: float
    end: float


@dataclass(frozen=True)
class TranscriptDocument:
    language: str
    duration: float
    segments: tuple[DocumentSegment, ...] = field(default_factory=tuple)
    task: str = "transcribe"
    title: str = ""
    # The language was detected, too unsure to trust (flags.language_unsure).
    language_unsure: bool = False
    # What the analyses found; empty where none ran.
    speakers: tuple[DocumentSpeaker, ...] = ()
    chapters: tuple[Chapter, ...] = ()
    entities: tuple[Entity, ...] = ()
    sentiment: tuple[SentenceSentiment, ...] = ()
    keywords: tuple[Keyword, ...] = ()
    summary: Summary | None = None
    gaps: tuple[DocumentGap, ...] = ()
    overlaps: tuple[DocumentOverlap, ...] = ()  # in time order

    @property
    def text(self) -> str:
        return "".join(s.text for s in self.segments).strip()

    @property
    def has_speakers(self) -> bool:
        return any(s.speaker for s in self.segments)

    @property
    def flagged_segments(self) -> int:
        return sum(1 for s in self.segments if s.flags)


def without_flagged(doc: TranscriptDocument) -> TranscriptDocument:
    """The document less the segments flagged as likely made up (an export option)."""
    return replace(doc, segments=tuple(s for s in doc.segments if not s.flags))


@dataclass(frozen=True)
class Utterance:
    """Consecutive segments of one speaker."""

    speaker: DocumentSpeaker | None
    start: float
    end: float
    text: str
    segments: tuple[DocumentSegment, ...]


def utterances(doc: TranscriptDocument) -> list[Utterance]:
    groups: list[list[DocumentSegment]] = []
    for s in doc.segments:
        if not s.text.strip():
            continue
        if groups and _label(groups[-1][-1]) == _label(s):
            groups[-1].append(s)
        else:
            groups.append([s])
    return [
        Utterance(
            speaker=g[0].speaker,
            start=g[0].start,
            end=g[-1].end,
            text="".join(s.text for s in g).strip(),
            segments=tuple(g),
        )
        for g in groups
    ]


def _label(said: DocumentSegment | Utterance) -> str | None:
    return said.speaker.label if said.speaker else None


class Stretches:
    """Stretches of time (anything with `start` and `end`) looked up by the span they share time
    with, without scanning them all for each of a long recording's segments."""

    def __init__(self, stretches):
        self.items = sorted(stretches, key=lambda s: s.start)
        self.starts = [s.start for s in self.items]
        self.longest = max((s.end - s.start for s in self.items), default=0.0)

    def __call__(self, start: float, end: float) -> list:
        first = bisect_left(self.starts, start - self.longest)
        return [s for s in self.items[first : bisect_left(self.starts, end)] if start < s.end]


def to_text(doc: TranscriptDocument) -> str:
    return doc.text + "\n" if doc.text else ""


def to_dialogue(doc: TranscriptDocument) -> str:
    """One paragraph per turn: `[0:01:02] Alice: …`; plain text when there are no speakers."""
    if not doc.has_speakers:
        return to_text(doc)
    during = Stretches(doc.overlaps)
    turns = [
        f"[{clock(u.start)}] {u.speaker.display_name if u.speaker else 'Unknown'}: {u.text}"
        f"{talked_over(during, u)}\n"
        for u in utterances(doc)
    ]
    return "\n".join(turns)


def talked_over(during: Stretches, turn: Utterance) -> str:
    """` [also talking: Bob, 0:00:12–0:00:14]` for each other voice marked during the turn
    (`during`: the document's overlaps)."""
    return "".join(
        f" [also talking: {o.speaker.display_name}, {clock(o.start)}–{clock(o.end)}]"
        for o in during(turn.start, turn.end)
        if o.speaker.label != _label(turn)
    )


def clock(seconds: float) -> str:
    """h:mm:ss, for people."""
    total = max(0, int(seconds))
    return f"{total // 3600}:{total % 3600 // 60:02d}:{total % 60:02d}"


def _timestamp(seconds: float, separator: str) -> str:
    millis = max(0, round(seconds * 1000))
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def _spoken(doc: TranscriptDocument):
    return [s for s in doc.segments if s.text.strip()]


def _cues(doc: TranscriptDocument):
    """The subtitles' cues: the segments with text and, as captions write them, the sounds
    the engine named where detectors heard speech ("[laughter]", stt/sounds.py)."""
    spoken = _spoken(doc)
    sounds = [
        DocumentSegment(id=-1, start=g.start, end=g.end, text=f"[{g.sound}]")
        for g in doc.gaps
        if g.sound
    ]
    return sorted(spoken + sounds, key=lambda cue: cue.start) if sounds else spoken


def to_srt(doc: TranscriptDocument) -> str:
    blocks = [
        f"{n}\n{_timestamp(s.start, ',')} --> {_timestamp(s.end, ',')}\n{_srt_cue(s)}\n"
        for n, s in enumerate(_cues(doc), start=1)
    ]
    return "\n".join(blocks)


def _srt_cue(s: DocumentSegment) -> str:
    return f"{s.speaker.display_name}: {s.text.strip()}" if s.speaker else s.text.strip()


def to_vtt(doc: TranscriptDocument) -> str:
    blocks = [
        f"{_timestamp(s.start, '.')} --> {_timestamp(s.end, '.')}\n{_vtt_cue(s)}\n"
        for s in _cues(doc)
    ]
    return "WEBVTT\n\n" + "\n".join(blocks)


def _vtt_cue(s: DocumentSegment) -> str:
    text = _vtt_escape(s.text.strip())
    if not s.speaker:
        return text
    # WebVTT's voice span names the speaker; players show it, and it survives conversions.
    name = s.speaker.display_name.replace(">", "").replace("<", "").replace("&", "and")
    return f"<v {name}>{text}"


def _vtt_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_json(doc: TranscriptDocument) -> dict:
    return {"text": doc.text, "usage": {"type": "duration", "seconds": round(doc.duration)}}


def to_verbose_json(doc: TranscriptDocument, *, words: bool = True, segments: bool = True) -> dict:
    """OpenAI's verbose_json: language by name, segments with every field, words flattened."""
    body = {
        "task": doc.task,
        "language": "english" if doc.task == "translate" else language_name(doc.language),
        "duration": round(doc.duration, 3),
        "text": doc.text,
        # Our extension: the language was detected, too unsure to trust; choose it and
        # transcribe again.
        **({"language_unsure": True} if doc.language_unsure else {}),
    }
    if segments:
        body["segments"] = [
            {
                "id": s.id,
                "seek": int(s.start * 100),
                "start": s.start,
                "end": s.end,
                "text": s.text,
                "tokens": list(s.tokens),
                "temperature": s.temperature,
                "avg_logprob": s.avg_logprob,
                "compression_ratio": s.compression_ratio,
                "no_speech_prob": s.no_speech_prob,
                # Our extension: why the text may be made up (OpenAI clients ignore it).
                "flags": list(s.flags),
                # Extension: a segment decoded in a language other than the transcript's.
                **({"language": s.language} if _other_language(doc, s) else {}),
                # Extension: the language heard where the words are in another (a translation
                # the user did not ask for, flag "other_language").
                **({"heard_language": s.heard_language} if s.heard_language else {}),
            }
            for s in doc.segments
        ]
        body["flagged_segments"] = doc.flagged_segments  # our extension too
    if words:
        body["words"] = [
            {"word": w.word.strip(), "start": w.start, "end": w.end}
            for s in doc.segments
            for w in s.words
        ]
    if doc.gaps:  # extension: speech heard but not transcribed, so that none goes missing unseen
        body["gaps"] = [_gap_json(g) for g in doc.gaps]
    body["usage"] = {"type": "duration", "seconds": round(doc.duration)}
    return body


def _gap_json(gap: DocumentGap) -> dict:
    """A gap as verbose_json lists it; "sound" only where the mark names one (stt/sounds.py):
    a sound, not speech, as captions write "[laughter]"."""
    body = asdict(gap)
    if not gap.sound:
        del body["sound"]
    return body


def _other_language(doc: TranscriptDocument, segment: DocumentSegment) -> bool:
    return bool(segment.language) and segment.language != doc.language


def to_diarized_json(doc: TranscriptDocument) -> dict:
    """OpenAI's diarized_json: segments with their speaker, named A, B… or by a known name."""
    both = _both_speakers(doc)
    return {
        "task": "transcribe",
        "duration": round(doc.duration, 3),
        "text": doc.text,
        "segments": [
            {
                "type": "transcript.text.segment",
                "id": f"seg_{n}",
                "start": s.start,
                "end": s.end,
                "text": s.text.strip(),
                "speaker": s.speaker.name if s.speaker else "A",
                # Extension: said mostly under a second voice, both named ("speakers").
                **both(s),
            }
            for n, s in enumerate(_spoken(doc))
        ],
        # Extension: where a second speaker likely talks at the same time (clients ignore it).
        **({"overlaps": _overlaps(doc, lambda s: s.name)} if doc.overlaps else {}),
        "usage": {"type": "duration", "seconds": round(doc.duration)},
    }


def _both_speakers(doc: TranscriptDocument):
    """{"speakers": [first, second]} for a segment another voice's overlap marks cover mostly
    (analysis/second_voices.py), else {}."""
    during = Stretches(doc.overlaps)
    names = {o.speaker.label: o.speaker.name for o in doc.overlaps}

    def both(s: DocumentSegment) -> dict:
        if not s.speaker:
            return {}
        marks = [(o.speaker.label, o.start, o.end) for o in during(s.start, s.end)]
        second = second_voice(s.start, s.end, s.speaker.label, marks)
        return {"speakers": [s.speaker.name, names[second]]} if second else {}

    return both


def with_second_voices_marked(doc: TranscriptDocument) -> TranscriptDocument:
    """`doc` with an "overlap" mark (two people at once: some words may be missing) over each
    of the speaker analysis's second voices that no word of that speaker's segments falls in:
    the text there holds the other voice only. Clipped to the part the engine has not marked
    already; one mark where several such voices share a stretch (three people at once)."""
    own = Stretches([g for g in doc.gaps if g.reason == "overlap"])
    spoken = Stretches([s for s in doc.segments if s.speaker])
    found = _joined(
        piece
        for o in doc.overlaps
        if not _words_of(o.speaker, spoken(o.start, o.end), o.start, o.end)
        for piece in uncovered_parts(o.start, o.end, own(o.start, o.end))
        if piece[1] - piece[0] >= MIN_MARK_SECONDS
    )
    if not found:
        return doc
    return replace(doc, gaps=tuple(sorted((*doc.gaps, *found), key=lambda g: g.start)))


def _joined(stretches) -> list[DocumentGap]:
    """Overlap marks over `stretches` (start, end), those that share time joined into one."""
    marks: list[DocumentGap] = []
    for start, end in sorted(stretches):
        if marks and start < marks[-1].end:
            marks[-1] = replace(marks[-1], end=max(marks[-1].end, end))
        else:
            marks.append(DocumentGap(start, end, "overlap"))
    return marks


def _words_of(speaker: DocumentSpeaker, segments, start: float, end: float) -> bool:
    """Whether `speaker` is likely in the text of `segments` within [start, end): a word of
    theirs falls in it, or, where a segment has no word times (some cloud engines), a segment
    of theirs shares time with it."""
    return any(
        not s.words or any(w.start < end and start < w.end for w in s.words)
        for s in segments
        if s.speaker.label == speaker.label and s.text.strip()
    )


def _overlaps(doc: TranscriptDocument, name) -> list[dict]:
    return [
        {
            "speaker": name(o.speaker),
            "over": name(o.over) if o.over else None,
            "start": o.start,
            "end": o.end,
        }
        for o in doc.overlaps
    ]


def to_export_json(doc: TranscriptDocument) -> dict:
    """verbose_json with speakers on segments, plus utterances and every analysis."""
    body = to_verbose_json(doc)
    if doc.title:
        body = {"title": doc.title, **body}
    for item, segment in zip(body["segments"], doc.segments, strict=True):
        item["speaker"] = segment.speaker.display_name if segment.speaker else None
    body["speakers"] = [asdict(s) for s in doc.speakers]
    body["overlaps"] = _overlaps(doc, lambda s: s.display_name)
    body["utterances"] = [
        {
            "speaker": u.speaker.display_name if u.speaker else None,
            "start": u.start,
            "end": u.end,
            "text": u.text,
            "words": [
                {"word": w.word.strip(), "start": w.start, "end": w.end}
                for s in u.segments
                for w in s.words
            ],
        }
        for u in utterances(doc)
    ]
    body["summary"] = asdict(doc.summary) if doc.summary else None
    body["keywords"] = [asdict(k) for k in doc.keywords]
    body["chapters"] = [asdict(c) for c in doc.chapters]
    body["entities"] = [asdict(e) for e in doc.entities]
    body["sentiment"] = [asdict(s) for s in doc.sentiment]
    body["usage"] = body.pop("usage")  # last, as in OpenAI's shapes
    return body


def render(doc: TranscriptDocument, response_format: str, **options) -> str:
    """The body for an OpenAI response_format (text, srt, vtt, json, verbose_json,
    diarized_json)."""
    if response_format == "text":
        return to_text(doc)
    if response_format == "srt":
        return to_srt(doc)
    if response_format == "vtt":
        return to_vtt(doc)
    if response_format == "json":
        return json.dumps(to_json(doc), ensure_ascii=False)
    if response_format == "verbose_json":
        return json.dumps(to_verbose_json(doc, **options), ensure_ascii=False)
    if response_format == "diarized_json":
        return json.dumps(to_diarized_json(doc), ensure_ascii=False)
    raise ValueError(f"Unknown response format {response_format!r}")
