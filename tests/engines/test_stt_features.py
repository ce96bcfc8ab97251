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
    assert np.array_equal(got, expected)


def test_it_matches_on_real_speech_to_the_last_bit(corpus):
    # A difference in the last bit of a few values is enough for the decoder to write a word
    # otherwise than a plain call on the same audio.
    audio = decode_all(corpus / "multilingual.mp3")
    original = FeatureExtractor(feature_size=80)
    assert np.array_equal(ChunkedFeatureExtractor.replacing(original)(audio), original(audio))
