"""Per-token log probabilities from the offline engine, on real recordings."""

import math

import pytest
from django.conf import settings as django_settings

from apps.engines.stt.base import Segment, TranscriptionRequest
from apps.engines.stt.local import LocalWhisperBackend


@pytest.fixture(scope="module")
def engine():
    # The base model is joined from its parts into the settings' cache, as the engine there does.
    return LocalWhisperBackend(
        alias="local",
        default_model="tiny.en",
        cpu_threads=2,
        model_cache=str(django_settings.VOICEPORTAL_MODEL_CACHE),
    )


def segments(engine, path, **kwargs):
    request = TranscriptionRequest(audio_path=path, **kwargs)
    return [e for e in engine.transcribe(request) if isinstance(e, Segment)]


def test_each_segment_carries_its_tokens_with_log_probabilities(engine, corpus):
    found = segments(engine, corpus / "jfk.flac", logprobs=True)
    assert found
    for segment in found:
        assert "".join(t.token for t in segment.logprobs) == segment.text
        assert all(bytes(t.bytes).decode() == t.token for t in segment.logprobs)
        assert all(-100 <= t.logprob <= 0 for t in segment.logprobs)
    logprobs = [t.logprob for s in found for t in s.logprobs]
    # A clear recording: most tokens are near certain, and not every one is.
    assert sorted(logprobs)[len(logprobs) // 2] > math.log(0.8)
    assert min(logprobs) < math.log(0.8)


def test_they_are_the_probabilities_words_are_scored_with(engine, corpus):
    """faster-whisper's word probability is the mean of its tokens' probabilities (before it
    joins punctuation to the word, so only words without any are compared)."""
    found, compared = segments(engine, corpus / "librivox_sns_0870.wav", logprobs=True), 0
    for segment in found:
        tokens = iter(segment.logprobs)
        for word in segment.words:
            probabilities, text = [], ""
            while text != word.word:
                token = next(tokens)
                text += token.token
                probabilities.append(math.exp(token.logprob))
            if word.word.strip().isalpha():
                mean = sum(probabilities) / len(probabilities)
                assert word.probability == pytest.approx(mean, abs=1e-3)
                compared += 1
    assert compared >= 10


def test_characters_split_across_tokens_keep_their_bytes(engine, corpus):
    found = segments(engine, corpus / "cheetah_fr.wav", model="base", language="fr", logprobs=True)
    raw = b"".join(bytes(t.bytes) for s in found for t in s.logprobs)
    assert raw.decode() == "".join(s.text for s in found)
    assert any(ord(c) > 127 for c in raw.decode())


def test_they_are_left_out_unless_asked(engine, corpus):
    assert not any(s.logprobs for s in segments(engine, corpus / "jfk.flac"))


def test_segments_held_while_the_engine_decodes_again_keep_theirs(engine, corpus, tmp_path):
    # 12 s of silence in falcon_3spk: the window's tail is decoded a second time, and that
    # alignment replaced the first before the segments held back (to be checked against the
    # next) got theirs: five of seven segments came without log probabilities.
    from tests.engines.test_stt_pauses import _with_silence

    path = _with_silence(corpus, tmp_path, cut=4.5, seconds=12.0)
    found = [s for s in segments(engine, path, logprobs=True) if s.text]
    assert len(found) >= 5
    for segment in found:
        assert "".join(t.token for t in segment.logprobs) == segment.text
