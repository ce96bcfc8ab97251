"""Speech Whisper's VAD never heard (far-field, quiet, overlapped) is marked "faint" by a second
detector, where nothing else covers it; clean recordings get no such marks."""

from types import SimpleNamespace

from apps.core.media import decode_all
from apps.engines.stt.base import Segment, TranscriptionRequest
from apps.engines.stt.faint import with_faint_marks
from apps.engines.stt.local import LocalWhisperBackend, _WindowedRun


def reference(rttm):
    rows = [line.split() for line in rttm.read_text().splitlines()]
    return [(float(r[3]), float(r[3]) + float(r[4])) for r in rows]


def overlap(spans, others):
    return sum(max(0.0, min(b, d) - max(a, c)) for a, b in spans for c, d in others)


def mark(start, end):
    return SimpleNamespace(start=start, end=end, mark=True)


def test_speech_no_segment_covers_is_marked(corpus):
    """ami_trn04 (AMI, far-field): speech from 14 s on; segments over 14-24 s leave the
    speakers of 25-30 s without text."""
    audio = decode_all(corpus / "ami_trn04.wav")
    turns = reference(corpus / "ami_trn04.rttm")
    segments = [SimpleNamespace(start=14.0, end=19.0), SimpleNamespace(start=19.5, end=24.0)]
    events = list(with_faint_marks(iter(segments), audio, 0.0, start=0.0, end=30.0, mark=mark))
    marks = [(e.start, e.end) for e in events if hasattr(e, "mark")]
    late = [(a, b) for a, b in turns if a >= 24.0]
    assert overlap(marks, late) >= 0.9 * overlap(late, [(24.0, 30.0)])
    # Nothing in the 14 s before anyone speaks, nor over the segments.
    assert all(a >= 24.0 for a, b in marks)
    # In time order, between the segments.
    assert [e.start for e in events] == sorted(e.start for e in events)


class DeafModel:
    """Stands in for faster-whisper's model: it hears no words at all."""

    model = SimpleNamespace(is_multilingual=False)

    def transcribe(self, audio, **options):
        return iter(()), SimpleNamespace(language="en", language_probability=1.0)


def marks_of(corpus, **options):
    # A VAD made deaf to all but the loudest speech: what it misses, only faint marks can show.
    backend = LocalWhisperBackend(alias="t", vad={"threshold": 0.99}, **options)
    request = TranscriptionRequest(audio_path=corpus / "ami_trn04.wav")
    events = _WindowedRun(backend, DeafModel(), request, "en").events()
    return [(e.start, e.end, e.gap) for e in events if isinstance(e, Segment)]


def test_the_engine_marks_speech_its_vad_missed(corpus):
    marks = marks_of(corpus)
    faint = [(a, b) for a, b, gap in marks if gap == "faint"]
    turns = reference(corpus / "ami_trn04.rttm")
    # The VAD hears 17.4-23.9 s and the last second; the turns from 14.0 s and 25.2 s are
    # left to the faint marks.
    assert overlap(faint, [(14.0, 17.0)]) > 2.0 and overlap(faint, [(25.0, 29.0)]) > 2.0
    assert overlap(faint, turns) > 0.8 * sum(b - a for a, b in faint)
    assert {gap for *_, gap in marks} == {"faint", "no_text"}
    assert all(b <= c for (_, b, _), (c, _, _) in zip(marks, marks[1:], strict=False))
    assert not any(gap == "faint" for *_, gap in marks_of(corpus, faint_marks=False))
