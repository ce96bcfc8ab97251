"""Voice embeddings for diarization, in batches, on the portal's numpy Resemblyzer encoder.

An embedder is any callable `embed(audio16k) -> np.ndarray` returning an L2-normalised vector
(an optional `embed_many(clips)` lets it batch); diarization takes one as a parameter, so tests
and other encoders can stand in. The default runs `apps.engines.voice.embed` (Resemblyzer's
weights in numpy, no torch) on whole windows: the windows come from VAD speech already, so its
own silence trimming, made for whole utterances, is skipped.
"""

from collections.abc import Callable, Sequence

import numpy as np

SAMPLE_RATE = 16_000
Embedder = Callable[[np.ndarray], np.ndarray]
# Partial utterances sent to the encoder at once: bounds memory on long recordings.
_BATCH = 128


class VoiceEncoder:
    """Resemblyzer's embedding of a clip: the mean of its 1.6 s partials, L2-normalised."""

    def __call__(self, audio: np.ndarray) -> np.ndarray:
        return self.embed_many([audio])[0]

    def embed_many(self, clips: Sequence[np.ndarray]) -> np.ndarray:
        from apps.engines.voice import embed as voice

        mels, owners = [], []
        for index, clip in enumerate(clips):
            clip = np.asarray(clip, dtype=np.float32)
            slices = voice.partial_slices(len(clip))
            needed = slices[-1].stop * voice.HOP
            if needed >= len(clip):  # the last partial is zero-padded, as Resemblyzer does
                clip = np.pad(clip, (0, needed - len(clip)))
            mel = voice.mel_spectrogram(clip)
            mels.extend(mel[s] for s in slices)
            owners.extend([index] * len(slices))
        raw = np.concatenate(
            [voice.forward(np.stack(mels[i : i + _BATCH])) for i in range(0, len(mels), _BATCH)]
        )
        sums = np.zeros((len(clips), raw.shape[1]), dtype=np.float64)
        np.add.at(sums, np.asarray(owners), raw)
        return (sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)).astype(
            np.float32
        )


def default_embedder() -> Embedder:
    return VoiceEncoder()


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Each row of `vectors` scaled to length 1 (cosine similarity is then a dot product)."""
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


def normalize_volume(audio: np.ndarray) -> np.ndarray:
    """Raise quiet audio to -30 dBFS, the level the encoder was trained on."""
    from apps.engines.voice import embed as voice

    return voice.normalize_volume(np.asarray(audio, dtype=np.float32))


def embed_many(embedder: Embedder, clips: Sequence[np.ndarray]) -> np.ndarray:
    """Embed clips in one batch when the embedder can, one by one otherwise."""
    if not clips:
        return np.zeros((0, 256), dtype=np.float32)
    batch = getattr(embedder, "embed_many", None)
    if batch is not None:
        return np.asarray(batch(clips), dtype=np.float32)
    return np.stack([np.asarray(embedder(clip), dtype=np.float32) for clip in clips])
