"""A log-Mel front end for faster-whisper that needs far less memory on long windows.

faster-whisper computes the spectrogram of a whole window at once: for a 10-minute window the
complex STFT alone takes ~0.5 GB. This computes the same values 3,000 frames (30 s) at a time.
The output is identical (tests/engines/test_stt_features.py compares them); it relies on
faster-whisper 1.2's FeatureExtractor attributes, pinned in pyproject.toml.
"""

import contextlib
import threading

import numpy as np
from faster_whisper.feature_extractor import FeatureExtractor

# Per decoding thread: the loudest bin the next spectrograms are floored under (floored_on);
# lanes decode on one model, so this cannot be an attribute of the model.
_floor = threading.local()


@contextlib.contextmanager
def floored_on(loudest: float | None):
    """Spectrograms computed in this thread within the block are floored 80 dB under
    `loudest` (a log10 mel power; None: under their own loudest bin, as Whisper does). Parts
    of a recording decoded apart (lanes.py) are floored as the whole recording is: under its
    own loudest bin, a part's spectrogram differed from the recording's wherever the floor
    holds (digital silence), and the part was written otherwise."""
    _floor.loudest = loudest
    try:
        yield
    finally:
        _floor.loudest = None


class ChunkedFeatureExtractor(FeatureExtractor):
    FRAMES_PER_PIECE = 3000

    @classmethod
    def replacing(cls, original: FeatureExtractor) -> "ChunkedFeatureExtractor":
        """The same front end as `original` (its mel filters and sizes), computed in pieces."""
        chunked = cls.__new__(cls)
        chunked.__dict__.update(original.__dict__)
        return chunked

    def __call__(self, waveform: np.ndarray, padding=160, chunk_length=None):
        if chunk_length is not None:
            self.n_samples = chunk_length * self.sampling_rate
            self.nb_max_frames = self.n_samples // self.hop_length
        log_spec = self._log_mel(waveform, padding)
        loudest = getattr(_floor, "loudest", None)
        floor = (log_spec.max() if loudest is None else loudest) - 8.0
        np.maximum(log_spec, floor, out=log_spec)
        log_spec += 4.0
        log_spec /= 4.0
        return log_spec

    def loudest(self, waveform: np.ndarray) -> float:
        """The loudest bin of `waveform`'s spectrogram (log10 mel power), as __call__ takes it
        for the floor."""
        return float(self._log_mel(waveform, 160).max())

    def _log_mel(self, waveform: np.ndarray, padding: int) -> np.ndarray:
        """log10 mel power, frame by frame, before Whisper's floor and scaling."""
        waveform = np.asarray(waveform, dtype=np.float32)
        # The whole-signal STFT centres frames with reflect padding; do the same once, then
        # take frames piece by piece without centring.
        half = self.n_fft // 2
        padded = reflect_padded(waveform, padding, half)
        window = np.hanning(self.n_fft + 1)[:-1].astype("float32")
        frames = 1 + (len(padded) - self.n_fft) // self.hop_length - 1  # the last is dropped
        mel = np.empty((self.mel_filters.shape[0], frames), dtype=np.float32)
        for first in range(0, frames, self.FRAMES_PER_PIECE):
            last = min(first + self.FRAMES_PER_PIECE, frames)
            piece = padded[first * self.hop_length : (last - 1) * self.hop_length + self.n_fft]
            stft = self.stft(
                piece,
                self.n_fft,
                self.hop_length,
                window=window,
                center=False,
                return_complex=True,
            ).astype("complex64")
            mel[:, first:last] = self.mel_filters @ (np.abs(stft) ** 2)
        return np.log10(np.clip(mel, 1e-10, None, out=mel), out=mel)


def reflect_padded(waveform: np.ndarray, padding: int, half: int) -> np.ndarray:
    """`waveform` with `padding` zeros after it, then reflected `half` samples out at each end
    (numpy's "reflect"), in one array: padded twice, a 600 s window held two more copies of
    its audio (38 MB each) at the engine's peak of memory (docs/benchmarks.md, issue 9,
    session 33)."""
    n = len(waveform) + padding
    if n <= half + 1:  # numpy reflects over and over so short a signal
        return np.pad(np.pad(waveform, (0, padding)), (half, half), mode="reflect")
    out = np.zeros(n + 2 * half, dtype=np.float32)
    signal = out[half : half + n]
    signal[: len(waveform)] = waveform
    out[:half] = signal[half:0:-1]
    out[half + n :] = signal[n - 2 : n - 2 - half : -1]
    return out
