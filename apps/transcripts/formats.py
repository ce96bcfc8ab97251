"""Transcript exports: plain text, SRT, WebVTT and OpenAI's JSON shapes.

They work on plain documents, so the web page, the API and the command line share them.
"""

import json
from dataclasses import dataclass, field

from apps.engines.stt.languages import language_name

TEXT_FORMATS = {"text", "srt", "vtt"}
JSON_FORMATS = {"json", "verbose_json"}
EXPORT_FORMATS = {
    # name: (file extension, content type)
    "txt": ("txt", "text/plain; charset=utf-8"),
    "srt": ("srt", "application/x-subrip; charset=utf-8"),
    "vtt": ("vtt", "text/vtt; charset=utf-8"),
    "json": ("json", "application/json"),
}


@dataclass(frozen=True)
class DocumentWord:
    word: str
    start: float
    end: float
    probability: float = 1.0


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


@dataclass(frozen=True)
class TranscriptDocument:
    language: str
    duration: float
    segments: tuple[DocumentSegment, ...] = field(default_factory=tuple)
    task: str = "transcribe"

    @property
    def text(self) -> str:
        return "".join(s.text for s in self.segments).strip()


def to_text(doc: TranscriptDocument) -> str:
    return doc.text + "\n" if doc.text else ""


def _timestamp(seconds: float, separator: str) -> str:
    millis = max(0, round(seconds * 1000))
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def _cues(doc: TranscriptDocument):
    return [s for s in doc.segments if s.text.strip()]


def to_srt(doc: TranscriptDocument) -> str:
    blocks = [
        f"{n}\n{_timestamp(s.start, ',')} --> {_timestamp(s.end, ',')}\n{s.text.strip()}\n"
        for n, s in enumerate(_cues(doc), start=1)
    ]
    return "\n".join(blocks)


def to_vtt(doc: TranscriptDocument) -> str:
    blocks = [
        f"{_timestamp(s.start, '.')} --> {_timestamp(s.end, '.')}\n{s.text.strip()}\n"
        for s in _cues(doc)
    ]
    return "WEBVTT\n\n" + "\n".join(blocks)


def to_json(doc: TranscriptDocument) -> dict:
    return {"text": doc.text, "usage": {"type": "duration", "seconds": round(doc.duration)}}


def to_verbose_json(doc: TranscriptDocument, *, words: bool = True, segments: bool = True) -> dict:
    """OpenAI's verbose_json: language by name, segments with every field, words flattened."""
    body = {
        "task": doc.task,
        "language": "english" if doc.task == "translate" else language_name(doc.language),
        "duration": round(doc.duration, 3),
        "text": doc.text,
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
            }
            for s in doc.segments
        ]
    if words:
        body["words"] = [
            {"word": w.word.strip(), "start": w.start, "end": w.end}
            for s in doc.segments
            for w in s.words
        ]
    body["usage"] = {"type": "duration", "seconds": round(doc.duration)}
    return body


def render(doc: TranscriptDocument, response_format: str, **options) -> str:
    """The body for an OpenAI response_format (text, srt, vtt, json, verbose_json)."""
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
    raise ValueError(f"Unknown response format {response_format!r}")
