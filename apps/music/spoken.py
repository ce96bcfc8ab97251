"""A spoken summary: a transcript's summary spoken in a chosen voice, over a music bed from the
library ducked under the voice (lowered while the voice speaks, raised in the gaps, the lead-in
and the tail), mixed into one track."""

import wave

import numpy as np
from scipy.signal import resample_poly

from apps.engines.music.base import AudioResult
from apps.engines.tts.base import SpeechRequest
from apps.voices.selectors import voice_resolve_trusted
from apps.voices.services import voice_synthesize_pcm

RATE = 44_100
# Seconds of music before the voice starts and after it ends (without a bed, a short pause).
LEAD_IN, TAIL = 1.5, 3.0
BARE_LEAD_IN, BARE_TAIL = 0.2, 0.4
# The bed's gain in the open and under the voice (-6 dB and about -18 dB), and how fast it moves.
BED_GAIN, DUCKED_GAIN = 0.5, 0.12
ATTACK_SECONDS, RELEASE_SECONDS, HOLD_SECONDS = 0.08, 0.6, 0.3
FRAME = RATE // 100  # the ducking envelope works in 10 ms frames
PEAK = 0.89


def spoken_make(track, progress) -> AudioResult:
    """Speak the track's text (its prompt) in its voice and mix it over its bed."""
    voice = voice_resolve_trusted(voice_id=track.voice_id)
    pieces, spoken = [], 0
    request = SpeechRequest(text=track.prompt)
    for chunk in voice_synthesize_pcm(voice=voice, request=request, speaker_id=track.owner_id):
        pieces.append(_to_rate(chunk.as_float32(), chunk.sample_rate))
        spoken += len(chunk.text)  # each chunk carries the sentence it speaks
        progress(0.8 * min(1.0, spoken / len(track.prompt)))
    speech = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.float32)
    bed = _bed_samples(track.bed)
    mix, _gain = duck_mix(speech, bed)
    over = f", over “{track.bed}” ducked under the voice" if bed is not None else ""
    return AudioResult(
        samples=mix,
        sample_rate=RATE,
        understood=f"The summary spoken by {track.voice_name}{over}.",
    )


def _to_rate(samples: np.ndarray, rate: int) -> np.ndarray:
    if rate == RATE:
        return samples.astype(np.float32)
    g = np.gcd(rate, RATE)
    return resample_poly(samples, RATE // g, rate // g).astype(np.float32)


def _bed_samples(bed) -> np.ndarray | None:
    """The bed's audio as stereo at RATE, or None when there is none (deleted meanwhile)."""
    if bed is None or not bed.has_audio:
        return None
    try:
        with bed.audio.storage.open(bed.audio.name, "rb") as f, wave.open(f, "rb") as wav:
            channels, rate = wav.getnchannels(), wav.getframerate()
            pcm = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    except FileNotFoundError:
        return None
    samples = (pcm.reshape(-1, channels) / 32768.0).astype(np.float32)
    if channels == 1:
        samples = np.repeat(samples, 2, axis=1)
    return np.stack([_to_rate(samples[:, c], rate) for c in range(2)], axis=1)


def duck_mix(speech: np.ndarray, bed: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """The voice (mono) over the bed (stereo, looped to fit), and the bed's gain per sample."""
    lead, tail = (LEAD_IN, TAIL) if bed is not None else (BARE_LEAD_IN, BARE_TAIL)
    start = round(lead * RATE)
    total = start + len(speech) + round(tail * RATE)
    voice = np.zeros(total, dtype=np.float32)
    peak = float(np.max(np.abs(speech))) if len(speech) else 0.0
    voice[start : start + len(speech)] = speech * (0.8 / peak if peak else 1.0)
    out = np.repeat(voice[:, None], 2, axis=1)
    gain = np.zeros(total, dtype=np.float32)
    if bed is not None and len(bed):
        looped = np.resize(bed, (total, 2)) if len(bed) < total else bed[:total]
        gain = _duck_gain(voice)
        fade_in, fade_out = min(total, RATE // 2), min(total, 2 * RATE)
        gain[:fade_in] *= np.linspace(0, 1, fade_in, dtype=np.float32)
        gain[-fade_out:] *= np.linspace(1, 0, fade_out, dtype=np.float32)
        out += looped * gain[:, None]
    top = float(np.max(np.abs(out))) if out.size else 0.0
    if top > PEAK:
        out *= PEAK / top
    return out, gain


def _duck_gain(voice: np.ndarray) -> np.ndarray:
    """Low while the voice speaks (held a little past each word, so the bed does not pump
    between them), high elsewhere; moving with a quick attack and a slow release."""
    frames = len(voice) // FRAME + 1
    padded = np.zeros(frames * FRAME, dtype=np.float32)
    padded[: len(voice)] = np.abs(voice)
    level = padded.reshape(frames, FRAME).max(axis=1)
    speaking = level > 0.05 * (level.max() or 1.0)
    hold = round(HOLD_SECONDS * 100)
    for i in np.flatnonzero(speaking):
        speaking[i : i + hold] = True
    target = np.where(speaking, DUCKED_GAIN, BED_GAIN)
    gain, current = np.empty(frames, dtype=np.float32), BED_GAIN
    down, up = 1 - np.exp(-0.01 / ATTACK_SECONDS), 1 - np.exp(-0.01 / RELEASE_SECONDS)
    for i, wanted in enumerate(target):
        current += (wanted - current) * (down if wanted < current else up)
        gain[i] = current
    return np.repeat(gain, FRAME)[: len(voice)]
