"""The speaker encoder's gradient: how the similarity of an utterance to a target embedding
changes with each value of its mel partials (backpropagation through embed.py's forward pass).

steer.py uses it to fit its equaliser with a quasi-Newton search (a few dozen passes) instead
of trying one gain at a time. The forward pass is embed.forward's own layers (lstm_layer);
tests/engines/test_voice_steer.py checks the gradient against finite differences.
"""

import numpy as np

from .embed import load_weights, lstm_layer


def similarity_and_gradient(
    mels: np.ndarray, target: np.ndarray, weights: dict[str, np.ndarray] | None = None
) -> tuple[float, np.ndarray]:
    """Cosine similarity of `target` to the mean embedding of `mels` (batch, frames, 40), and
    its gradient with respect to `mels` (same shape and dtype)."""
    from threadpoolctl import threadpool_limits

    # Small matrices, many steps: one BLAS thread is quicker (embed.forward).
    with threadpool_limits(limits=1, user_api="blas"):
        return _similarity_and_gradient(np.asarray(mels), target, weights or load_weights())


def _similarity_and_gradient(mels, target, w):
    dtype = mels.dtype
    x, layers = mels, []
    for layer in range(3):
        outputs, cells, gates = lstm_layer(x, w, layer)
        layers.append((cells, gates))
        x = outputs
    pre = x[:, -1] @ w["linear.weight"].T + w["linear.bias"]
    raw = np.maximum(pre, 0)
    norms = np.maximum(np.linalg.norm(raw, axis=1, keepdims=True), 1e-12)
    embeddings = raw / norms
    mean = embeddings.mean(axis=0)
    mean_norm, target_norm = np.linalg.norm(mean), np.linalg.norm(target)
    value = float(mean @ target / (mean_norm * target_norm))

    d_mean = target / (mean_norm * target_norm) - value * mean / mean_norm**2
    d_emb = np.broadcast_to(d_mean / len(mels), embeddings.shape)
    d_raw = (d_emb - embeddings * (d_emb * embeddings).sum(axis=1, keepdims=True)) / norms
    d_out = np.zeros_like(x)
    d_out[:, -1] = ((d_raw * (pre > 0)) @ w["linear.weight"]).astype(dtype)
    for layer in (2, 1, 0):
        d_out = _lstm_backward(d_out, *layers[layer], w, layer)
    return value, d_out


def _lstm_backward(d_out, cells, gates, w, layer):
    """Gradient with respect to the layer's input, given the gradient of its outputs."""
    w_ih, w_hh = w[f"lstm.weight_ih_l{layer}"], w[f"lstm.weight_hh_l{layer}"]
    batch, steps, size = cells.shape
    d_h = np.zeros((batch, size), cells.dtype)
    d_c = np.zeros((batch, size), cells.dtype)
    d_gates = np.empty_like(gates)
    for t in range(steps - 1, -1, -1):
        i, f, g, o = np.split(gates[:, t], 4, axis=1)
        c_prev = cells[:, t - 1] if t else np.zeros_like(d_c)
        tanh_c = np.tanh(cells[:, t])
        d_h = d_out[:, t] + d_h
        d_c = d_h * o * (1 - tanh_c**2) + d_c
        d_gates[:, t] = np.concatenate(
            [
                d_c * g * i * (1 - i),
                d_c * c_prev * f * (1 - f),
                d_c * i * (1 - g**2),
                d_h * tanh_c * o * (1 - o),
            ],
            axis=1,
        )
        d_c = d_c * f
        d_h = d_gates[:, t] @ w_hh
    return d_gates @ w_ih
