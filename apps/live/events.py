"""The live page's socket protocol: the relay's events as JSON for the browser."""

from apps.engines.stt.streaming.base import (
    Final,
    Lagging,
    Partial,
    SpeechStarted,
    SpeechStopped,
    StreamError,
)

from .relay import Ready, RelayEvent, Saved


def event_json(event: RelayEvent) -> dict:
    match event:
        case Ready():
            return {"type": "ready", "session": event.session_id,
                    "transcript": event.transcript_id, "offset": event.offset}  # fmt: skip
        case SpeechStarted():
            return {"type": "speech_started", "utterance": event.utterance, "at": event.at}
        case SpeechStopped():
            return {"type": "speech_stopped", "utterance": event.utterance, "at": event.at}
        case Partial():
            return {"type": "partial", "utterance": event.utterance, "start": event.start,
                    "text": event.text, "stable": event.stable}  # fmt: skip
        case Final():
            s = event.segment
            words = [{"word": w.word, "start": w.start, "end": w.end} for w in s.words]
            return {"type": "final", "utterance": event.utterance, "start": s.start,
                    "end": s.end, "text": s.text.strip(), "words": words}  # fmt: skip
        case Lagging():
            return {"type": "lagging", "behind": event.behind, "dropped": event.dropped}
        case StreamError():
            return error_json(event.kind, event.message)
        case Saved():
            return {"type": "saved", "transcript": event.transcript_id, "url": event.url,
                    "duration": event.duration, "text": event.text}  # fmt: skip
    raise TypeError(f"Unknown live event {event!r}")


def error_json(code: str, message: str) -> dict:
    return {"type": "error", "code": code, "message": message}
