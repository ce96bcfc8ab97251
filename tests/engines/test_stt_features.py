import numpy as np
import pytest
from faster_whisper.feature_extractor import FeatureExtractor

from apps.core.media import decode_all
from apps.engines.stt.features import ChunkedFeatureExtractor


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
