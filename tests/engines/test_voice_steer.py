"""The encoder-steered equaliser's search: the encoder's gradient it follows is the real one."""

import numpy as np

from apps.engines.voice import steer
from apps.engines.voice.backprop import similarity_and_gradient
from apps.engines.voice.embed import forward, load_weights, similarity


def test_the_gradient_is_the_encoders_own():
    """Backpropagation through the three LSTM layers agrees with the forward pass moved a
    little, value for value (in float64, so that rounding does not hide an error)."""
    weights = {k: v.astype(np.float64) for k, v in load_weights().items()}
    rng = np.random.default_rng(0)
    mels = rng.random((2, 24, 40)) * 0.5
    target = rng.standard_normal(256)
    value, gradient = similarity_and_gradient(mels, target, weights)
    embedded = forward(mels.astype(np.float32)).mean(axis=0)
    assert abs(value - similarity(target, embedded)) < 1e-5
    for index in [(0, 23, 3), (1, 10, 20), (0, 0, 39), (1, 15, 7)]:
        step = np.zeros_like(mels)
        step[index] = 1e-5
        up, _ = similarity_and_gradient(mels + step, target, weights)
        down, _ = similarity_and_gradient(mels - step, target, weights)
        assert abs(gradient[index] - (up - down) / 2e-5) < 1e-7 + 1e-4 * abs(gradient[index])


def test_gains_play_at_as_many_anchors_as_they_have():
    """A voice stored with 12 gains plays as it did, whatever the count is now."""
    frequencies = np.array([150.0, 1000.0, 7000.0, 9500.0])
    twelve = steer.power_gains(frequencies, (3.0,) + (0.0,) * 10 + (-3.0,))
    assert np.allclose(10 * np.log10(twelve), [3.0, 0.0, -3.0, 0.0], atol=0.01)
