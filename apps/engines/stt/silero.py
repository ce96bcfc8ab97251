"""Silero VAD run once over a window, read with as many settings as the engine needs.

The engine asks where speech is twice per window: with its sensitive settings (language parts,
speech left without text; regions.py) and with faster-whisper's defaults (what the decoder keeps).
Each ask ran the Silero network over the whole window again, ~0.35 CPU s per 3 minutes of audio,
though only the thresholds differ. Here the network's speech probabilities are computed once and
turned into speech chunks by the same rules as faster-whisper's `get_speech_timestamps` (Silero's
own, MIT), so each setting finds exactly the chunks a separate pass would (tested).

Silero's recurrent state carries all of the window before a frame: after 20 s of one voice, a
quieter one (another microphone or room, a speaker further away) went unheard for 11 s
(probabilities 0.00-0.06 where the same speech alone reads 0.7-0.97; docs/benchmarks.md, issue
9, session 33). So the network also runs over short stretches, each from a fresh state after a
second of the audio before it, twice (the second time the stretches shifted by half a
stretch, so no frame has more than half a stretch before it in both; +0.14 CPU s a minute).
Where those fresh passes hear speech for a sustained while that the whole pass does not, their
probabilities are taken there; elsewhere the whole pass's stand (any two passes differ a little
frame by frame, and on far-field meetings such small differences moved the decode and the marks:
docs/benchmarks.md, issue 9, session 33).
"""

import numpy as np

from apps.core.media import SAMPLE_RATE

_FRAME = 512  # samples per probability
# The fresh pass: stretches this long, each after this much of the audio before it. 6 s of the
# louder voice before the quieter one still left it heard (0.6-0.96), 15 s not (0.05-0.8).
_FRESH_SECONDS = 8.0
_WARM_UP_SECONDS = 1.0
# A miss is taken from the fresh passes where it is sustained: this many seconds of frames they
# hear (probability 0.5 or more) and the whole pass does not, gaps under _MISS_BRIDGE_SECONDS
# between them bridged. The longest such run was 1.25 s on the AMI excerpts (ami_trn05) and
# 0.16 s on the LJ Speech and sonnets sets; 6.8 s where the quieter voice went unheard.
_MISS_SECONDS = 1.5
_MISS_BRIDGE_SECONDS = 2.0


class SpeechProbabilities:
    """Silero's speech probability for each 32 ms of `audio`."""

    def __init__(self, audio: np.ndarray):
        from faster_whisper.vad import get_vad_model

        self.length = len(audio)
        padded = np.pad(audio, (0, _FRAME - audio.shape[0] % _FRAME))
        model = get_vad_model()
        step = int(_FRESH_SECONDS * SAMPLE_RATE) // _FRAME
        self.probabilities = model(padded)
        if padded.size // _FRAME > step:
            fresh = np.maximum(
                *(_from_fresh_states(model, padded, step, shift) for shift in (0, step // 2))
            )
            for first, end in _sustained_misses(self.probabilities, fresh):
                self.probabilities[first:end] = np.maximum(
                    self.probabilities[first:end], fresh[first:end]
                )

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


def _from_fresh_states(model, padded: np.ndarray, step: int, shift: int) -> np.ndarray:
    """Silero's probabilities with its state started afresh every `step` frames (the first
    stretch `shift` frames shorter), each stretch after _WARM_UP_SECONDS of the audio before it
    (whose probabilities are dropped)."""
    frames = padded.size // _FRAME
    warm = int(_WARM_UP_SECONDS * SAMPLE_RATE) // _FRAME
    bounds = [0, *range(step - shift, frames, step), frames]
    stretches = []
    for first, end in zip(bounds, bounds[1:], strict=False):
        start = max(0, first - warm)
        stretches.append(model(padded[start * _FRAME : end * _FRAME])[first - start :])
    return np.concatenate(stretches)


def _sustained_misses(whole: np.ndarray, fresh: np.ndarray) -> list[tuple[int, int]]:
    """Runs of frames (first, end) that `fresh` hears as speech and `whole` does not, for at
    least _MISS_SECONDS in all, gaps under _MISS_BRIDGE_SECONDS bridged."""
    missed = np.flatnonzero((fresh >= 0.5) & (whole < 0.5))
    if not len(missed):
        return []
    bridge = _MISS_BRIDGE_SECONDS * SAMPLE_RATE / _FRAME
    breaks = np.flatnonzero(np.diff(missed) > bridge)
    runs = np.split(missed, breaks + 1)
    least = _MISS_SECONDS * SAMPLE_RATE / _FRAME
    return [(int(run[0]), int(run[-1]) + 1) for run in runs if len(run) >= least]


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
