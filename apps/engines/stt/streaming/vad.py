"""Silero VAD (the ONNX model faster-whisper bundles) run as a stream: the model's recurrent
state and context are carried from one call to the next, so each 32 ms window is seen once."""

import numpy as np

VAD_RATE = 16_000
WINDOW = 512  # samples per decision at 16 kHz
_CONTEXT = 64


class StreamingVad:
    def __init__(self):
        from faster_whisper.vad import get_vad_model

        self.session = get_vad_model().session  # shared, stateless: state is passed in
        self.reset()

    def reset(self) -> None:
        self._h = np.zeros((1, 1, 128), dtype=np.float32)
        self._c = np.zeros((1, 1, 128), dtype=np.float32)
        self._context = np.zeros(_CONTEXT, dtype=np.float32)

    def probabilities(self, windows: np.ndarray) -> np.ndarray:
        """Speech probability of each row of `windows` (n × 512 float32 at 16 kHz)."""
        if not len(windows):
            return np.zeros(0, dtype=np.float32)
        contexts = np.vstack([self._context[None, :], windows[:-1, -_CONTEXT:]])
        batch = np.concatenate([contexts, windows], axis=1).astype(np.float32)
        out, self._h, self._c = self.session.run(None, {"input": batch, "h": self._h, "c": self._c})
        self._context = windows[-1, -_CONTEXT:].copy()
        return np.asarray(out, dtype=np.float32).reshape(-1)
