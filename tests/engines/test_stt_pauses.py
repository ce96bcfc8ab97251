"""A segment that runs over a long silence is split there: no subtitle spans the silence, every
word, its time and the text stay, and each piece carries its own tokens."""

import numpy as np
import pytest
from django.conf import settings as django_settings

from apps.core.media import decode_all
from apps.engines.stt.base import Segment, TranscriptionRequest
from apps.engines.stt.local import LocalWhisperBackend
from apps.engines.stt.pauses import PAUSE_SECONDS
from tests import media_factory

SR = 16_000


def _with_silence(corpus, folder, cut: float, seconds: float):
    """falcon_3spk.wav with `seconds` of digital silence put in at second `cut`."""
    speech = decode_all(corpus / "falcon_3spk.wav")
    at = int(cut * SR)
    joined = np.concatenate([speech[:at], np.zeros(int(seconds * SR), np.float32), speech[at:]])
    return media_factory.write_wav(folder / f"falcon_{cut}_{seconds}.wav", joined)


@pytest.fixture(scope="module")
def engine():
    return LocalWhisperBackend(
        alias="t",
        default_model="tiny.en",
        model_cache=str(django_settings.VOICEPORTAL_MODEL_CACHE),
    )


def _segments(engine, path, **options) -> list[Segment]:
    request = TranscriptionRequest(audio_path=path, model="tiny.en", **options)
    return [e for e in engine.transcribe(request) if isinstance(e, Segment) and e.text]


def test_a_sentence_said_across_a_long_silence_is_two_subtitles(engine, corpus, tmp_path):
    # 8 s of silence after "This is what": the decoder's VAD drops it and tiny.en wrote "This
    # is what a crocodile sounds like." as one segment from 6.0 to 16.9 s, over the silence.
    path = _with_silence(corpus, tmp_path, cut=7.0, seconds=8.0)
    segments = _segments(engine, path, logprobs=True)

    text = "".join(s.text for s in segments)
    assert "This is what a crocodile sounds like" in text, "every word is kept"
    assert not [s for s in segments if s.start < 7.0 and s.end > 15.0], "none spans the silence"
    for s in segments:
        pauses = [b.start - a.end for a, b in zip(s.words, s.words[1:], strict=False)]
        assert max(pauses, default=0.0) < PAUSE_SECONDS
        assert s.start <= s.words[0].start and s.words[-1].end <= s.end
        assert "".join(w.word for w in s.words) == s.text
        # Each piece's tokens are its own text (the next window's prompt and the API's token
        # log probabilities read them).
        tokenizer = engine.model("tiny.en").hf_tokenizer
        eot = tokenizer.token_to_id("<|endoftext|>")
        assert tokenizer.decode([t for t in s.tokens if t < eot]) == s.text
        assert "".join(p.token for p in s.logprobs) == s.text


def test_a_lone_word_placed_over_silence_is_flagged_not_dropped(engine, corpus, tmp_path):
    # 12 s of silence before "This is what a crocodile": tiny.en aligned "This" over the
    # pause and the silence, 14 s before the rest of its sentence. A real word, misplaced: kept,
    # and flagged since no speech detector hears speech over most of it.
    path = _with_silence(corpus, tmp_path, cut=4.5, seconds=12.0)
    segments = _segments(engine, path)

    lone = [s for s in segments if "lone_word" in s.flags]
    assert [s.text for s in lone] == [" This"]
    assert lone[0].end < 4.5 + 12.0, "aligned over the silence, far from where it was said"
    assert "is what a crocodile sounds like" in "".join(s.text for s in segments)
    # Words heard as speech, alone or not, are never flagged.
    assert all(len(s.words) == 1 for s in lone)


def test_a_job_paused_between_the_pieces_of_a_split_segment_resumes_without_a_word_twice(
    engine, corpus, tmp_path
):
    # The lone " This" (aligned over the silence, said after it) is a piece of the segment that
    # ends after the silence. A job paused right after it resumed from its end, 12 s before the
    # rest of the sentence, and wrote "This is what a crocodile" again: "This" twice. A job
    # stops after a whole decoded segment, as it did before segments were split.
    path = _with_silence(corpus, tmp_path, cut=4.5, seconds=12.0)
    saved = []
    paused = lambda: any("lone_word" in s.flags for s in saved)  # noqa: E731
    request = TranscriptionRequest(audio_path=path, model="tiny.en", should_stop=paused)
    for event in engine.transcribe(request):
        if isinstance(event, Segment):
            saved.append(event)
    assert paused(), "asked to pause once the lone word was saved"
    resumed = TranscriptionRequest(audio_path=path, model="tiny.en", start_at=saved[-1].end)
    saved += [e for e in engine.transcribe(resumed) if isinstance(e, Segment) and e.text]

    text = "".join(s.text for s in saved)
    assert text.count("This") == 1, text
    assert "is what a crocodile sounds like" in text


def test_without_word_timestamps_no_segment_spans_a_long_silence(engine, corpus, tmp_path):
    # Asked without word times, the engine had no words to split at: "And so it begins." ran
    # from 0.0 to 18.5 s, over 12 s of silence. It aligns words for itself and leaves them out.
    path = _with_silence(corpus, tmp_path, cut=4.5, seconds=12.0)
    asked = _segments(engine, path)
    segments = _segments(engine, path, word_timestamps=False)

    assert not [s for s in segments if s.start < 4.5 and s.end > 4.5 + 12.0]
    assert all(s.words == () for s in segments), "no words where none were asked for"
    assert [(s.start, s.end, s.text) for s in segments] == [(s.start, s.end, s.text) for s in asked]
