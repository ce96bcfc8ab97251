import numpy as np
import pytest
from faster_whisper.feature_extractor import FeatureExtractor

from apps.core.media import decode_all
from apps.engines.stt.features import ChunkedFeatureExtractor, floored_on


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


def test_audio_after_the_end_changes_nothing_before_it(corpus):
    """A part decoded past its end (lanes.py) is floored under its own loudest bin, not under
    louder speech after it: its spectrogram before the end is the same however far it runs on."""
    quiet = decode_all(corpus / "jfk.flac") * 0.05
    loud = decode_all(corpus / "libri_2412-153948-0000.flac")
    extractor = ChunkedFeatureExtractor.replacing(FeatureExtractor(feature_size=80))
    alone = extractor(quiet)
    with floored_on(len(quiet)):
        followed = extractor(np.concatenate([quiet, loud]))
    before = alone.shape[1] - 2  # the last frames' windows reach into the audio after
    assert np.abs(followed[:, :before] - alone[:, :before]).max() < 1e-5
    unfloored = extractor(np.concatenate([quiet, loud]))
    assert np.abs(unfloored[:, :before] - alone[:, :before]).max() > 0.1
