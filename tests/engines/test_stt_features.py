import numpy as np
import pytest
from faster_whisper.feature_extractor import FeatureExtractor

from apps.core.media import decode_all
from apps.engines.stt.features import ChunkedFeatureExtractor, floored_on, reflect_padded


@pytest.mark.parametrize("seconds", [0.5, 7.3, 30.0, 71.9])
def test_it_computes_the_same_spectrogram_in_pieces(seconds):
    audio = np.random.default_rng(7).standard_normal(int(seconds * 16_000)).astype(np.float32)
    original = FeatureExtractor(feature_size=80)
    expected = original(audio * 0.1)
    got = ChunkedFeatureExtractor.replacing(original)(audio * 0.1)
    assert got.shape == expected.shape
    assert np.abs(got - expected).max() < 1e-5


def test_it_matches_on_real_speech(corpus):
    audio = decode_all(corpus / "multilingual.mp3")
    original = FeatureExtractor(feature_size=80)
    assert np.abs(ChunkedFeatureExtractor.replacing(original)(audio) - original(audio)).max() < 1e-5


def test_a_part_floored_as_the_recording_has_the_recordings_spectrogram(corpus):
    """A part of a recording decoded apart (lanes.py) is floored under the recording's loudest
    bin, not its own: its spectrogram is then the recording's over the part, where floored
    under its own quieter speech it differed wherever the floor holds."""
    quiet = decode_all(corpus / "jfk.flac") * 0.05
    loud = decode_all(corpus / "libri_2412-153948-0000.flac")
    recording = np.concatenate([quiet, loud])
    extractor = ChunkedFeatureExtractor.replacing(FeatureExtractor(feature_size=80))
    whole = extractor(recording)
    before = extractor(quiet).shape[1] - 2  # the last frames' windows reach into what follows
    with floored_on(extractor.loudest(recording)):
        part = extractor(quiet)
    assert np.abs(part[:, :before] - whole[:, :before]).max() < 1e-5
    assert np.abs(extractor(quiet)[:, :before] - whole[:, :before]).max() > 0.1


@pytest.mark.parametrize("samples", [1, 40, 41, 42, 200, 8_000, 160_123])
@pytest.mark.parametrize("padding", [0, 160])
def test_the_signal_is_padded_in_one_copy_exactly_as_numpy_pads_it_twice(samples, padding):
    signal = np.random.default_rng(samples).standard_normal(samples).astype(np.float32)
    twice = np.pad(np.pad(signal, (0, padding)), (200, 200), mode="reflect")
    once = reflect_padded(signal, padding, 200)
    assert once.dtype == twice.dtype
    assert np.array_equal(once, twice)
