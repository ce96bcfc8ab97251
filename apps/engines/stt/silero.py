"""Silero VAD run once over a window, read with as many settings as the engine needs.

The engine asks where speech is twice per window: with its sensitive settings (language parts,
speech left without text; regions.py) and with faster-whisper's defaults (what the decoder keeps).
Each ask ran the Silero network over the whole window again, ~0.35 CPU s per 3 minutes of audio,
though only the thresholds differ. Here the network's speech probabilities are computed once and
turned into speech chunks by the same rules as faster-whisper's `get_speech_timestamps` (Silero's
own, MIT), so each setting finds exactly the chunks a separate pass would (tested).
"""

import numpy as np

from apps.core.media import SAMPLE_RATE

_FRAME = 512  # samples per probability


class SpeechProbabilities:
    """Silero's speech probability for each 32 ms of `audio`."""

    def __init__(self, audio: np.ndarray):
        from faster_whisper.vad import get_vad_model

        self.length = len(audio)
        padded = np.pad(audio, (0, _FRAME - audio.shape[0] % _FRAME))
        self.probabilities = get_vad_model()(padded)

    def peak(self, start: float, end: float) -> float:
        """The highest speech probability over seconds [start, end) of the audio (0 if none)."""
        first = max(0, int(start * SAMPLE_RATE) // _FRAME)
        heard = self.probabilities[first : int(np.ceil(end * SAMPLE_RATE / _FRAME))]
        return float(heard.max()) if len(heard) else 0.0

    def falls_silent(self, threshold: float, start: float) -> float:
        """The second, from `start` on, where the probability first falls under `threshold`
        (the audio's end if it never does)."""
        first = max(0, int(start * SAMPLE_RATE) // _FRAME)
        under = np.flatnonzero(self.probabilities[first:] < threshold)
        end = self.length / SAMPLE_RATE
        return min(end, (first + under[0]) * _FRAME / SAMPLE_RATE) if len(under) else end

    def seconds_above(self, threshold: float, start: float, end: float) -> float:
        """Seconds of speech (probability at least `threshold`) in seconds [start, end)."""
        first, last = (max(0, round(t * SAMPLE_RATE / _FRAME)) for t in (start, end))
        return float(np.sum(self.probabilities[first:last] >= threshold)) * _FRAME / SAMPLE_RATE

    def chunks(self, options) -> list[dict]:
        """Speech chunks ({"start", "end"} in samples) for faster-whisper's VadOptions."""
        return speech_chunks(self.probabilities, self.length, options)

    def unpadded(self, options) -> list[dict]:
        """The speech `chunks` pads ({"start", "end"} in samples), as heard: without the
        padding, and a last one that the audio's end left open (its quiet after the last word
        shorter than the minimum silence) ended where the probability fell, as Silero ends
        speech elsewhere."""
        speeches = _thresholded(self.probabilities, self.length, options)
        if speeches and speeches[-1]["end"] == self.length:
            speeches[-1]["end"] = self._fell(speeches[-1]["start"], options)
        return speeches

    def _fell(self, start: int, options) -> int:
        """The sample where speech from sample `start` on last fell under Silero's lower
        threshold for good (the audio's length if it never did)."""
        first = start // _FRAME
        heard = np.flatnonzero(self.probabilities[first:] >= options.threshold)
        if not len(heard):
            return self.length
        after = first + heard[-1] + 1
        fallen = np.flatnonzero(self.probabilities[after:] < _lower_threshold(options))
        return min(self.length, _FRAME * (after + fallen[0])) if len(fallen) else self.length


def speech_chunks(probabilities, length: int, options) -> list[dict]:
    """faster-whisper's `get_speech_timestamps` from probabilities already computed: speech
    chunks ({"start", "end"} in samples of audio `length` long) for its VadOptions."""
    speeches = _thresholded(probabilities, length, options)
    return _padded(speeches, length, SAMPLE_RATE * options.speech_pad_ms / 1000)


def _thresholded(probabilities, length: int, options) -> list[dict]:
    """Chunks where the probability rises above the threshold, ended by long enough silence
    or by the longest speech allowed (cut at the last short silence when there was one)."""
    threshold = options.threshold
    neg_threshold = _lower_threshold(options)
    min_speech = SAMPLE_RATE * options.min_speech_duration_ms / 1000
    pad = SAMPLE_RATE * options.speech_pad_ms / 1000
    max_speech = SAMPLE_RATE * options.max_speech_duration_s - _FRAME - 2 * pad
    min_silence = SAMPLE_RATE * options.min_silence_duration_ms / 1000
    min_silence_at_max = SAMPLE_RATE * 98 / 1000

    triggered, speeches, current = False, [], {}
    temp_end = prev_end = next_start = 0
    for i, probability in enumerate(probabilities):
        here = _FRAME * i
        if probability >= threshold and temp_end:
            temp_end = 0
            if next_start < prev_end:
                next_start = here
        if probability >= threshold and not triggered:
            triggered = True
            current["start"] = here
            continue
        if triggered and here - current["start"] > max_speech:
            if prev_end:
                current["end"] = prev_end
                speeches.append(current)
                current = {}
                if next_start < prev_end:
                    triggered = False
                else:
                    current["start"] = next_start
                prev_end = next_start = temp_end = 0
            else:
                current["end"] = here
                speeches.append(current)
                current = {}
                prev_end = next_start = temp_end = 0
                triggered = False
                continue
        if probability < neg_threshold and triggered:
            if not temp_end:
                temp_end = here
            if here - temp_end > min_silence_at_max:
                prev_end = temp_end
            if here - temp_end < min_silence:
                continue
            current["end"] = temp_end
            if current["end"] - current["start"] > min_speech:
                speeches.append(current)
            current = {}
            prev_end = next_start = temp_end = 0
            triggered = False
    if current and length - current["start"] > min_speech:
        current["end"] = length
        speeches.append(current)
    return speeches


def _lower_threshold(options) -> float:
    """Where speech that rose above the threshold counts as fallen silent (Silero's)."""
    if options.neg_threshold is None:
        return max(options.threshold - 0.15, 0.01)
    return options.neg_threshold


def _padded(speeches: list[dict], length: int, pad: float) -> list[dict]:
    """Each chunk widened by `pad` samples, or by half the silence to the next when shorter."""
    for i, speech in enumerate(speeches):
        if i == 0:
            speech["start"] = int(max(0, speech["start"] - pad))
        if i == len(speeches) - 1:
            speech["end"] = int(min(length, speech["end"] + pad))
            continue
        following = speeches[i + 1]
        silence = following["start"] - speech["end"]
        if silence < 2 * pad:
            speech["end"] += int(silence // 2)
            following["start"] = int(max(0, following["start"] - silence // 2))
        else:
            speech["end"] = int(min(length, speech["end"] + pad))
            following["start"] = int(max(0, following["start"] - pad))
    return speeches
