"""Speaker embeddings: Resemblyzer's voice encoder (GE2E, 256-d) run in numpy, without torch.

The weights are the `pretrained.pt` inside the resemblyzer wheel (Apache-2.0), read straight
from the file: it is the legacy (pre-1.6) torch format, a few pickles followed by the raw
tensor storages, and only three names may appear in it (checked while unpickling, so loading
runs no code from the file). The package itself is never imported: it would import torch.

The forward pass follows resemblyzer 0.1.4 exactly: volume normalised to -30 dBFS, long
silences trimmed with WebRTC VAD, a 40-band mel power spectrogram (25 ms windows every 10 ms,
librosa's Slaney filters), partial utterances of 1.6 s 1.3 times a second, a 3-layer LSTM of
256 units, a linear layer with ReLU, L2-normalised; an utterance is the normalised mean of its
partials. tests/engines/test_voice_embed.py checks it against resemblyzer's torch model.
"""

import io
import pickle
import threading
from collections import OrderedDict
from pathlib import Path

import av
import numpy as np

from ..errors import ErrorKind, ProviderError
from ..packages import packaged_file

SAMPLE_RATE = 16_000
N_FFT = 400  # 25 ms
HOP = 160  # 10 ms
N_MELS = 40
PARTIAL_FRAMES = 160  # 1.6 s
PARTIALS_PER_SECOND = 1.3
MIN_COVERAGE = 0.75
VAD_WINDOW = 480  # 30 ms
VAD_AVERAGE_WIDTH = 8
VAD_MAX_SILENCE = 6
TARGET_DBFS = -30.0
# Below this much speech (after silences are trimmed) an embedding means little.
MIN_SPEECH_SECONDS = 1.0

_weights: dict[str, np.ndarray] | None = None
_weights_lock = threading.Lock()


def weights_path() -> Path:
    """The pretrained.pt in the installed resemblyzer package, found without importing it."""
    return packaged_file(
        "resemblyzer",
        "pretrained.pt",
        what="speaker encoder",
        install="pip install resemblyzer==0.1.4 --no-deps",
    )


def load_weights() -> dict[str, np.ndarray]:
    """The encoder's weights as float32 arrays, read once per process."""
    global _weights
    with _weights_lock:
        if _weights is None:
            state = read_legacy_torch_file(weights_path())["model_state"]
            _weights = {
                name: np.ascontiguousarray(t, dtype=np.float32) for name, t in state.items()
            }
        return _weights


# --- Reading a legacy torch checkpoint without torch -------------------------------------------

_DTYPES = {
    "FloatStorage": np.float32,
    "DoubleStorage": np.float64,
    "LongStorage": np.int64,
    "IntStorage": np.int32,
    "HalfStorage": np.float16,
}


class _Storage:
    def __init__(self, dtype, numel: int):
        self.dtype = dtype
        self.numel = numel
        self.data: np.ndarray | None = None


class _StorageType:
    def __init__(self, name: str):
        self.dtype = _DTYPES[name]


class _Tensor:
    """A tensor whose storage is read after the pickle: materialised by `array()`."""

    def __init__(self, storage: _Storage, offset: int, size: tuple, stride: tuple):
        self.storage, self.offset, self.size, self.stride = storage, offset, size, stride

    def array(self) -> np.ndarray:
        data = self.storage.data
        itemsize = data.itemsize
        return np.lib.stride_tricks.as_strided(
            data[self.offset :], shape=self.size, strides=[s * itemsize for s in self.stride]
        ).copy()


def _rebuild_tensor_v2(storage, offset, size, stride, *args):
    return _Tensor(storage, offset, tuple(size), tuple(stride))


class _CheckpointUnpickler(pickle.Unpickler):
    def __init__(self, file, storages: dict[str, _Storage]):
        super().__init__(file)
        self.storages = storages

    def find_class(self, module: str, name: str):
        if (module, name) == ("collections", "OrderedDict"):
            return OrderedDict
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return _rebuild_tensor_v2
        if module == "torch" and name in _DTYPES:
            return _StorageType(name)
        raise pickle.UnpicklingError(f"Unexpected {module}.{name} in the checkpoint")

    def persistent_load(self, pid):
        kind, storage_type, key, _location, numel, _view = pid
        if kind != "storage" or _view is not None:
            raise pickle.UnpicklingError(f"Unsupported storage reference {pid!r}")
        if key not in self.storages:
            self.storages[key] = _Storage(storage_type.dtype, numel)
        return self.storages[key]


def read_legacy_torch_file(path: Path) -> dict:
    """A checkpoint written by torch.save before torch 1.6, tensors as numpy arrays."""
    with open(path, "rb") as file:
        raw = file.read()
    stream = io.BytesIO(raw)
    magic = pickle.load(stream)
    if magic != 0x1950A86A20F9469CFC6C:
        raise ProviderError(
            f"{path} is not a legacy torch checkpoint.", kind=ErrorKind.INTERNAL, permanent=True
        )
    pickle.load(stream)  # protocol version
    pickle.load(stream)  # system info (little endian, type sizes)
    storages: dict[str, _Storage] = {}
    result = _CheckpointUnpickler(stream, storages).load()
    keys = pickle.load(stream)
    offset = stream.tell()
    for key in keys:
        storage = storages[key]
        numel = int(np.frombuffer(raw, "<i8", 1, offset)[0])
        storage.data = np.frombuffer(raw, storage.dtype, numel, offset + 8)
        offset += 8 + numel * storage.data.itemsize
    return _materialise(result)


def _materialise(value):
    if isinstance(value, _Tensor):
        return value.array()
    if isinstance(value, dict):
        return type(value)((k, _materialise(v)) for k, v in value.items())
    if isinstance(value, list | tuple):
        return type(value)(_materialise(v) for v in value)
    return value


# --- Audio front end ---------------------------------------------------------------------------


def load_audio(path: Path) -> np.ndarray:
    """Mono float32 at 16 kHz, decoded with PyAV."""
    from apps.core.media import InvalidMedia, iter_pcm

    try:
        blocks = list(iter_pcm(Path(path)))
    except InvalidMedia as exc:
        raise ProviderError(str(exc), kind=ErrorKind.INVALID_INPUT) from exc
    return np.concatenate(blocks) if blocks else np.zeros(0, np.float32)


def resample(samples: np.ndarray, rate: int, target: int = SAMPLE_RATE) -> np.ndarray:
    """Mono float32 `samples` at `target` Hz (FFmpeg's resampler)."""
    samples = np.asarray(samples, dtype=np.float32)
    if rate == target:
        return samples
    resampler = av.AudioResampler(format="flt", layout="mono", rate=target)
    frame = av.AudioFrame.from_ndarray(samples[np.newaxis, :], format="flt", layout="mono")
    frame.sample_rate = rate
    out = [f.to_ndarray().reshape(-1) for f in resampler.resample(frame)]
    out += [f.to_ndarray().reshape(-1) for f in resampler.resample(None)]
    return np.concatenate(out).astype(np.float32) if out else np.zeros(0, np.float32)


def preprocess(wav: np.ndarray) -> np.ndarray:
    """resemblyzer.audio.preprocess_wav for audio already at 16 kHz."""
    return trim_long_silences(normalize_volume(np.asarray(wav, dtype=np.float32)))


def normalize_volume(wav: np.ndarray, target_dbfs: float = TARGET_DBFS) -> np.ndarray:
    """Raise (never lower) the level to `target_dbfs`."""
    rms = np.sqrt(np.mean((wav.astype(np.float64) * 32767) ** 2)) if len(wav) else 0.0
    if rms == 0:
        return wav
    change = target_dbfs - 20 * np.log10(rms / 32767)
    return wav if change < 0 else (wav * 10 ** (change / 20)).astype(np.float32)


def trim_long_silences(wav: np.ndarray) -> np.ndarray:
    """Drop the parts WebRTC VAD hears as silence for longer than ~200 ms."""
    import webrtcvad

    wav = wav[: len(wav) - len(wav) % VAD_WINDOW]
    if not len(wav):
        return wav
    pcm = np.round(wav * 32767).astype("<i2").tobytes()
    vad = webrtcvad.Vad(3)
    flags = np.array(
        [
            vad.is_speech(pcm[i * 2 : (i + VAD_WINDOW) * 2], SAMPLE_RATE)
            for i in range(0, len(wav), VAD_WINDOW)
        ],
        dtype=float,
    )
    width = VAD_AVERAGE_WIDTH
    padded = np.concatenate([np.zeros((width - 1) // 2), flags, np.zeros(width // 2)])
    sums = np.cumsum(padded)
    sums[width:] = sums[width:] - sums[:-width]
    mask = np.round(sums[width - 1 :] / width).astype(bool)
    mask = _dilate(mask, VAD_MAX_SILENCE + 1)
    return wav[np.repeat(mask, VAD_WINDOW)]


def _dilate(mask: np.ndarray, size: int) -> np.ndarray:
    """scipy.ndimage.binary_dilation with a flat structure of `size` (centred like scipy)."""
    before = size // 2
    after = size - 1 - before
    padded = np.concatenate([np.zeros(after, bool), mask, np.zeros(before, bool)])
    windows = np.lib.stride_tricks.sliding_window_view(padded, size)
    return windows.any(axis=1)


def _mel_filters() -> np.ndarray:
    """librosa.filters.mel(sr=16000, n_fft=400, n_mels=40): Slaney scale and norm."""

    def hz_to_mel(hz):
        hz = np.asarray(hz, dtype=np.float64)
        mel = hz / (200.0 / 3)
        log_part = hz >= 1000.0
        return np.where(
            log_part, 15.0 + np.log(np.maximum(hz, 1e-10) / 1000.0) / (np.log(6.4) / 27.0), mel
        )

    def mel_to_hz(mel):
        hz = mel * (200.0 / 3)
        return np.where(mel >= 15.0, 1000.0 * np.exp((np.log(6.4) / 27.0) * (mel - 15.0)), hz)

    fft_freqs = np.linspace(0, SAMPLE_RATE / 2, 1 + N_FFT // 2)
    mel_freqs = mel_to_hz(np.linspace(hz_to_mel(0.0), hz_to_mel(SAMPLE_RATE / 2), N_MELS + 2))
    fdiff = np.diff(mel_freqs)
    ramps = mel_freqs[:, np.newaxis] - fft_freqs[np.newaxis, :]
    lower = -ramps[:-2] / fdiff[:-1, np.newaxis]
    upper = ramps[2:] / fdiff[1:, np.newaxis]
    weights = np.maximum(0, np.minimum(lower, upper))
    weights *= (2.0 / (mel_freqs[2 : N_MELS + 2] - mel_freqs[:N_MELS]))[:, np.newaxis]
    return weights.astype(np.float32)


_MEL = _mel_filters()
_WINDOW = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)).astype(np.float32)


def mel_spectrogram(wav: np.ndarray) -> np.ndarray:
    """(frames, 40) mel power spectrogram, centred frames, as librosa 0.10+ computes it."""
    padded = np.pad(wav.astype(np.float32), N_FFT // 2)
    frames = np.lib.stride_tricks.sliding_window_view(padded, N_FFT)[::HOP]
    power = np.abs(np.fft.rfft(frames * _WINDOW, axis=1)) ** 2
    return (power.astype(np.float32) @ _MEL.T).astype(np.float32)


def partial_slices(n_samples: int) -> list[slice]:
    """Mel-frame slices of the partial utterances, as resemblyzer's compute_partial_slices."""
    n_frames = int(np.ceil((n_samples + 1) / HOP))
    step = int(np.round((SAMPLE_RATE / PARTIALS_PER_SECOND) / HOP))
    steps = max(1, n_frames - PARTIAL_FRAMES + step + 1)
    slices = [slice(i, i + PARTIAL_FRAMES) for i in range(0, steps, step)]
    last = slices[-1]
    coverage = (n_samples - last.start * HOP) / (PARTIAL_FRAMES * HOP)
    if coverage < MIN_COVERAGE and len(slices) > 1:
        slices = slices[:-1]
    return slices


# --- The network -------------------------------------------------------------------------------


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def forward(mels: np.ndarray, weights: dict[str, np.ndarray] | None = None) -> np.ndarray:
    """(batch, 160, 40) mel partials -> (batch, 256) L2-normalised embeddings."""
    from threadpoolctl import threadpool_limits

    # The recurrent step multiplies small matrices 480 times: BLAS threads cost more than they
    # give (5-10x slower with two threads on a busy two-core machine).
    with threadpool_limits(limits=1, user_api="blas"):
        return _forward(mels, weights or load_weights())


def _forward(mels: np.ndarray, w: dict[str, np.ndarray]) -> np.ndarray:
    x = mels.astype(np.float32)
    for layer in range(3):
        x, _, _ = lstm_layer(x, w, layer)
    raw = np.maximum(x[:, -1] @ w["linear.weight"].T + w["linear.bias"], 0)
    norms = np.linalg.norm(raw, axis=1, keepdims=True)
    return raw / np.maximum(norms, 1e-12)


def lstm_layer(x: np.ndarray, w: dict[str, np.ndarray], layer: int):
    """One LSTM layer over (batch, steps, inputs): its outputs, and the cell states and gate
    activations (i, f, g, o) at each step, which backprop.py needs to go back through it."""
    w_ih, w_hh = w[f"lstm.weight_ih_l{layer}"], w[f"lstm.weight_hh_l{layer}"]
    inputs = x @ w_ih.T + (w[f"lstm.bias_ih_l{layer}"] + w[f"lstm.bias_hh_l{layer}"])
    batch, steps, size = len(x), x.shape[1], w_hh.shape[1]
    h = np.zeros((batch, size), x.dtype)
    c = np.zeros((batch, size), x.dtype)
    outputs = np.empty((batch, steps, size), x.dtype)
    cells = np.empty((batch, steps, size), x.dtype)
    gates = np.empty((batch, steps, 4 * size), x.dtype)
    w_hh_t = np.ascontiguousarray(w_hh.T)
    for t in range(steps):
        raw = inputs[:, t] + h @ w_hh_t  # all time steps' inputs at once, above
        act = _sigmoid(raw)
        act[:, 2 * size : 3 * size] = np.tanh(raw[:, 2 * size : 3 * size])
        i, f, g, o = np.split(act, 4, axis=1)  # torch's gate order
        c = f * c + i * g
        h = o * np.tanh(c)
        outputs[:, t], cells[:, t], gates[:, t] = h, c, act
    return outputs, cells, gates


def embed_utterance(wav: np.ndarray, *, preprocessed: bool = False) -> np.ndarray:
    """The 256-d embedding of one utterance of 16 kHz mono audio."""
    if not preprocessed:
        wav = preprocess(wav)
    if len(wav) < MIN_SPEECH_SECONDS * SAMPLE_RATE:
        raise ProviderError(
            "The recording holds too little speech (at least a second is needed).",
            kind=ErrorKind.INVALID_INPUT,
        )
    slices = partial_slices(len(wav))
    needed = slices[-1].stop * HOP
    if needed >= len(wav):
        wav = np.pad(wav, (0, needed - len(wav)))
    mel = mel_spectrogram(wav)
    partials = forward(np.stack([mel[s] for s in slices]))
    mean = partials.mean(axis=0)
    return mean / np.linalg.norm(mean)


def embed_speaker(wavs: list[np.ndarray], *, preprocessed: bool = False) -> np.ndarray:
    """One embedding for several recordings of the same speaker."""
    mean = np.mean([embed_utterance(w, preprocessed=preprocessed) for w in wavs], axis=0)
    return mean / np.linalg.norm(mean)


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine similarity of two embeddings (same speaker ~0.85+, different ~0.5-0.75)."""
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))
