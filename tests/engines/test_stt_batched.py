"""Batched decoding: streams side by side, nothing a pass leaves undone is lost, and what fails
Whisper's checks goes back to the one-at-a-time ladder (a model stands in: no decoding here)."""

from types import SimpleNamespace

from django.conf import settings

from apps.engines.stt.base import Segment, TranscriptionRequest
from apps.engines.stt.batched import BatchedDecoder, batch_size, streams
from apps.engines.stt.local import LocalWhisperBackend
from apps.engines.stt.regions import Region
from tests.wer import wer

SPEECH = [Region(0, 20), Region(22, 50), Region(52, 80), Region(85, 120), Region(125, 150)]


def segment(start, end, text="Words said here.", logprob=-0.2, no_speech=0.1):
    return SimpleNamespace(
        seek=int(start * 100),
        start=start,
        end=end,
        text=" " + text,
        avg_logprob=logprob,
        no_speech_prob=no_speech,
    )


class StoppingEarly:
    """Gives text for each clip's first 20 s only (Whisper stopping before the end of its 30 s),
    and something else where a test asks for it."""

    def __init__(self, special=None):
        self.batches = []
        self.special = special or {}

    def __call__(self, batch):
        self.batches.append([(r.start, r.end) for r in batch])
        for clip in batch:
            if clip.start in self.special:
                yield from self.special[clip.start](clip)
                continue
            end = min(clip.end, clip.start + 20)
            yield segment(clip.start, (clip.start + end) / 2)
            yield segment((clip.start + end) / 2, end)


def decoder(model, size=4):
    return BatchedDecoder(
        model, size=size, log_prob_threshold=-1.0, compression_ratio_threshold=2.4
    )


def test_each_stream_holds_about_as_much_speech():
    assert [[(r.start, r.end) for r in g] for g in streams(SPEECH, 2)] == [
        [(0, 20), (22, 50), (52, 80)],
        [(85, 120), (125, 150)],
    ]
    # Two minutes of speech fill two streams of a minute, not eight of 15 s.
    assert len(streams(SPEECH, 8)) == 3


def test_every_second_of_speech_is_decoded_once_in_time_order():
    model = StoppingEarly()
    found = list(decoder(model).run(SPEECH))
    times = [(s.start, s.end) for s in found]
    assert times == sorted(times)
    # Where a clip's text stopped, the next clip of its stream began: nothing decoded twice,
    # and from the first second of speech to the last.
    covered = sum(s.end - s.start for s in found)
    assert covered == sum(b - a for a, b in _merged(times))
    assert found[0].start == 0 and found[-1].end == 150
    # Streams go side by side: each batch holds a clip of every stream still going.
    assert all(len(batch) <= 4 for batch in model.batches)
    assert len(model.batches[0]) == len(streams(SPEECH, 4))


def test_a_clip_ends_where_speech_does():
    # Cut at 30 s sharp, clips ended mid-word and Whisper left the half-heard words out.
    model = StoppingEarly()
    list(decoder(model).run(SPEECH))
    ends = {r.end for r in SPEECH}
    clips = [clip for batch in model.batches for clip in batch]
    # Only the one region longer than Whisper's 30 s is cut inside.
    assert [c for c in clips if c[1] not in ends] == [(85, 115)]


def _merged(times):
    merged = []
    for a, b in times:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged


def test_a_clip_that_loops_goes_back_to_the_ladder():
    looping = {0: lambda clip: [segment(clip.start, clip.end, "la " * 60)]}
    found = list(decoder(StoppingEarly(looping), size=2).run(SPEECH))
    assert found[0] == Region(0, 20)  # the stretch for the ladder, in place
    assert all(not isinstance(f, Region) for f in found[1:])
    assert found[1].start == 22


def test_silence_is_dropped_as_whisper_drops_it():
    silent = {0: lambda clip: [segment(clip.start, clip.end, "Thank you.", -1.5, 0.9)]}
    found = list(decoder(StoppingEarly(silent), size=2).run(SPEECH))
    assert all(f.text != " Thank you." for f in found)
    assert found[0].start == 22


def test_it_stops_between_batches_when_asked():
    model = StoppingEarly()
    found = list(
        BatchedDecoder(
            model,
            size=1,
            log_prob_threshold=-1.0,
            compression_ratio_threshold=2.4,
            should_stop=lambda: True,
        ).run(SPEECH)
    )
    assert len(model.batches) == 1 and found == []


def test_the_batch_fits_the_memory_available():
    gib = 1024**3
    assert batch_size("cpu", free=16 * gib) == 8
    assert batch_size("cuda", free=16 * gib) == 16
    assert batch_size("cpu", free=gib // 2) == 4
    assert batch_size("cpu", free=0) == 1


def test_the_engine_decodes_real_speech_in_batches(corpus):
    engine = LocalWhisperBackend(
        alias="b",
        default_model="tiny.en",
        batch_size=8,
        model_cache=str(settings.VOICEPORTAL_MODEL_CACHE),
    )
    request = TranscriptionRequest(audio_path=corpus / "jfk.flac", word_timestamps=True)
    segments = [e for e in engine.transcribe(request) if isinstance(e, Segment)]
    assert wer((corpus / "jfk.txt").read_text(), "".join(s.text for s in segments)) < 0.1
    words = [w.start for s in segments for w in s.words]
    assert words == sorted(words) and segments[-1].end > 9.0
