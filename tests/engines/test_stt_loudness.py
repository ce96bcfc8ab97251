"""A stretch left without text is told from quiet room by its loudness against the speech."""

import numpy as np
import pytest

from apps.core.media import decode_all
from apps.engines.stt.loudness import (
    QUIET_UNDER_SPEECH_DB,
    STEADY_HEARD_SECONDS,
    STEADY_SPREAD_DB,
    Levels,
    quiet_room,
    steady_sound,
)
from apps.engines.stt.regions import VAD_PARAMETERS, speech_heard
from apps.engines.stt.silero import SpeechProbabilities
from tests import long_recording

SR = 16_000
THRESHOLD = VAD_PARAMETERS["threshold"]


def heard(audio):
    probabilities = SpeechProbabilities(audio)
    return Levels(audio, speech_heard(probabilities, VAD_PARAMETERS)), probabilities


def test_far_field_speech_without_text_is_as_loud_as_speech_and_quiet_room_is_not(corpus):
    # AMI trn04: the VAD's region at 6.0-7.1 s, where nobody speaks (a murmur it heard for
    # 0.3 s), against 14.0-16.4 s, where two people start talking and the decoder wrote nothing.
    levels, probabilities = heard(decode_all(corpus / "ami_trn04.wav"))
    assert levels.under_speech(6.0, 7.09) > 20
    assert levels.under_speech(14.03, 16.41) < 0
    assert quiet_room(levels, probabilities, THRESHOLD, 6.0, 7.09)
    assert not quiet_room(levels, probabilities, THRESHOLD, 14.03, 16.41)
    # The quiet after the last word of a clean reading.
    levels, probabilities = heard(decode_all(corpus / "cheetah_en.wav"))
    assert quiet_room(levels, probabilities, THRESHOLD, 3.42, 4.46)


@pytest.fixture(scope="module")
def sentence_then_a_pause(corpus, tmp_path_factory):
    """Development recording seed 5 from 140 to 150 s: falcon_3spk's "And so it begins.",
    whose last word Whisper (base) ends at 6.4 s here, 0.55 s before its voice stops, then a
    pause; the VAD's region ends at 7.41 s."""
    path = tmp_path_factory.mktemp("dev") / "dev5.wav"
    long_recording.build(path, corpus, seconds=180, seed=5)
    return decode_all(path)[140 * SR : 150 * SR]


def test_the_quiet_after_a_word_whose_voice_outlasts_its_time_is_quiet_room(
    sentence_then_a_pause,
):
    levels, probabilities = heard(sentence_then_a_pause)
    # With the word's loud tail the stretch is within the limit of the speech...
    assert levels.under_speech(6.4, 7.41) < QUIET_UNDER_SPEECH_DB
    # ... but from where the voice stops it is quiet room.
    assert 6.8 < probabilities.falls_silent(THRESHOLD, 6.4) < 7.1
    assert quiet_room(levels, probabilities, THRESHOLD, 6.4, 7.41)


def test_without_speech_heard_nothing_is_called_quiet(corpus):
    audio = decode_all(corpus / "cheetah_en.wav")
    probabilities = SpeechProbabilities(audio)
    assert Levels(audio, []).under_speech(3.42, 4.46) == 0.0
    assert not quiet_room(Levels(audio, []), probabilities, THRESHOLD, 3.42, 4.46)


def under_pink_noise(speech, seconds_after: float, snr_db: float = 5.0):
    """`speech` then `seconds_after` of pause, all under pink noise `snr_db` under the speech's
    louder frames (noise as a street or a fan makes it, synthesised)."""
    audio = np.concatenate([speech, np.zeros(int(seconds_after * SR), np.float32)])
    rng = np.random.default_rng(0)
    spectrum = np.fft.rfft(rng.standard_normal(len(audio)))
    freqs = np.fft.rfftfreq(len(audio), 1 / SR)
    freqs[0] = freqs[1]
    pink = np.fft.irfft(spectrum / np.sqrt(freqs), len(audio))
    frames = speech[: len(speech) // 160 * 160].reshape(-1, 160)
    level = np.sqrt(np.mean(np.square(frames), axis=1))
    loud = np.sqrt(np.mean(np.square(level[level > np.percentile(level, 60)])))
    return (audio + pink / pink.std() * loud * 10 ** (-snr_db / 20)).astype(np.float32)


def test_a_pause_under_steady_noise_is_steady_sound_far_field_speech_is_not(corpus):
    # JFK's sentence, then 3 s of pause, under pink noise 5 dB under his voice: the VAD hears
    # the noise as speech; its level hardly changes.
    speech = decode_all(corpus / "jfk.flac")
    end = len(speech) / SR
    levels, probabilities = heard(under_pink_noise(speech, 3.0))
    assert levels.spread(end + 0.5, end + 3.0) < STEADY_SPREAD_DB
    assert steady_sound(levels, probabilities, THRESHOLD, end + 0.5, end + 3.0)
    # His words rise and fall above noise 10 dB under them (5 dB under, they spread 8-12 dB:
    # the rule's limit, docs/benchmarks.md).
    levels, probabilities = heard(under_pink_noise(speech, 3.0, snr_db=10.0))
    assert not steady_sound(levels, probabilities, THRESHOLD, 1.0, 3.0)
    assert steady_sound(levels, probabilities, THRESHOLD, end + 0.5, end + 3.0)
    # AMI trn04's far-field speech left without text, 14.0-16.4 s, rises and falls too.
    levels, probabilities = heard(decode_all(corpus / "ami_trn04.wav"))
    assert levels.spread(14.03, 16.41) > 2 * STEADY_SPREAD_DB
    assert not steady_sound(levels, probabilities, THRESHOLD, 14.03, 16.41)


def test_speech_drowned_in_noise_is_not_steady_sound_though_it_spreads_as_little(corpus):
    # JFK under pink noise as loud as his voice: his words spread no more than the noise
    # (7 dB, a pause under the same noise 7 dB too), as read speech under recorded noise 0-5 dB
    # under it did where it got no text, but Silero hears his voice and not the pause.
    speech = decode_all(corpus / "jfk.flac")
    end = len(speech) / SR
    levels, probabilities = heard(under_pink_noise(speech, 3.0, snr_db=0.0))
    for start, stop in ((1.0, 3.0), (6.0, 9.0)):
        assert levels.spread(start, stop) < STEADY_SPREAD_DB
        assert probabilities.seconds_above(THRESHOLD, start, stop) > STEADY_HEARD_SECONDS
        assert not steady_sound(levels, probabilities, THRESHOLD, start, stop)
    assert steady_sound(levels, probabilities, THRESHOLD, end + 0.5, end + 3.0)
