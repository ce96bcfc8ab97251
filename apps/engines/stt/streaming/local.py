"""The offline streaming engine: Silero VAD splits utterances, LocalAgreement-2 over a fast
model's hypotheses gives partials, and the configured model writes each utterance's final text.
Models load once per process and are shared by every session through the inference pool."""

import threading
import time

import numpy as np
from scipy.signal import firwin, lfilter

from ...errors import ErrorKind, ProviderError
from ..base import ModelInfo, Segment, Word
from ..other_language import FLAG as OTHER_LANGUAGE
from ..other_language import hearing
from ..regions import SURE_SPEECH_SECONDS, switches
from ..whisper_models import ModelNotInstalled, is_installed, model_path, packaged_model_infos
from ..wordless import wordless
from .agreement import LocalAgreement
from .base import (
    Final,
    Partial,
    SpeechStarted,
    SpeechStopped,
    StreamConfig,
    StreamEvent,
    StreamingSpeechToTextBackend,
)
from .pool import PooledSession, Recognizer, inference_pool, pool_size
from .vad import VAD_RATE, WINDOW, StreamingVad

_models: dict[tuple, object] = {}
_models_lock = threading.Lock()

# The most of the user's prompt handed to the models (Whisper takes about 220 tokens).
_PROMPT_CHARS = 200
# Audio kept from before speech starts: Silero decides a little late.
_PREROLL_SECONDS = 0.25
_TAIL_SECONDS = 0.15  # silence kept after the last speech window
_PARTIAL_SHARE = 3.0  # audio seconds between partials, per second a partial takes


class LocalStreamingBackend(StreamingSpeechToTextBackend):
    label = "Local (Silero VAD + faster-whisper, offline)"
    runs_locally = True

    def __init__(
        self,
        *,
        alias: str,
        default_model: str = "base",
        partial_model: str = "tiny.en",
        device: str = "cpu",
        compute_type: str = "int8",
        workers: int = 0,
        final_beam_size: int = 1,
        threshold: float = 0.5,
        min_silence_ms: int = 400,
        partial_every_seconds: float = 0.5,
        max_utterance_seconds: float = 15.0,
        max_backlog_seconds: float = 30.0,
        short_context: bool = True,
        model_cache: str = "",
        **options,
    ):
        super().__init__(alias=alias, **options)
        self.default_model = default_model
        self.partial_model = partial_model
        self.device, self.compute_type = device, compute_type
        self.workers = workers
        self.final_beam_size = final_beam_size
        self.threshold = threshold
        self.min_silence_ms = min_silence_ms
        self.partial_every_seconds = partial_every_seconds
        self.max_utterance_seconds = max_utterance_seconds
        self.max_backlog_seconds = max_backlog_seconds
        self.short_context = short_context
        self.model_cache = model_cache  # where models shipped in parts are joined

    def models(self) -> list[ModelInfo]:
        return packaged_model_infos(self.default_model)

    def configuration_problem(self) -> str | None:
        missing = [n for n in {self.default_model, self.partial_model} if not is_installed(n)]
        return f"model packages missing for {sorted(missing)}" if missing else None

    def model(self, name: str):
        """A model shared by every session, with one CTranslate2 worker per pool thread."""
        from faster_whisper import WhisperModel

        from .short_context import ShortContextWhisper

        model_class = ShortContextWhisper if self.short_context else WhisperModel
        workers = pool_size(self.workers)
        key = (name, self.device, self.compute_type, workers, self.short_context)
        with _models_lock:
            if key not in _models:
                try:
                    path = str(model_path(name, cache=self.model_cache))
                except ModelNotInstalled as exc:
                    raise ProviderError(str(exc), kind=ErrorKind.INTERNAL) from exc
                _models[key] = model_class(
                    path,
                    device=self.device,
                    compute_type=self.compute_type,
                    cpu_threads=1,
                    num_workers=workers,
                )
            return _models[key]

    async def open(self, config: StreamConfig) -> PooledSession:
        info = self.resolve_model(config.model)
        if info is None:
            raise ProviderError(f"Unknown model {config.model!r}.", kind=ErrorKind.INVALID_INPUT)
        if config.language and config.language != "en" and not info.multilingual:
            raise ProviderError(
                f"{info.name} understands English only.", kind=ErrorKind.INVALID_INPUT
            )
        english = (config.language or "en") == "en"
        recognizer = WhisperRecognizer(
            self,
            config,
            final_model=info.name,
            partial_model=self.partial_model if english else info.name,
        )
        pool = inference_pool(self.workers)
        return PooledSession(recognizer, pool, max_backlog=self.max_backlog_seconds)


class Resampler:
    """24 kHz PCM16 to 16 kHz float32, as a stream: a low-pass filter with carried state, then
    two samples out of every three in (positions 0 and 1.5)."""

    def __init__(self):
        self._taps = firwin(31, 7600, fs=24_000)
        self._state = np.zeros(len(self._taps) - 1)
        self._rest = np.zeros(0, dtype=np.float32)

    def __call__(self, pcm16: bytes) -> np.ndarray:
        samples = np.frombuffer(pcm16[: len(pcm16) & ~1], dtype="<i2").astype(np.float32) / 32768
        if not samples.size:  # lfilter refuses empty input
            return np.zeros(0, dtype=np.float32)
        filtered, self._state = lfilter(self._taps, 1.0, samples, zi=self._state)
        x = np.concatenate([self._rest, filtered.astype(np.float32)])
        usable = len(x) - len(x) % 3
        self._rest = x[usable:]
        triples = x[:usable].reshape(-1, 3)
        out = np.empty((len(triples), 2), dtype=np.float32)
        out[:, 0] = triples[:, 0]
        out[:, 1] = (triples[:, 1] + triples[:, 2]) / 2
        return out.reshape(-1)


class WhisperRecognizer(Recognizer):
    """Utterances by VAD, partials by LocalAgreement-2, finals by the configured model."""

    def __init__(self, backend: LocalStreamingBackend, config: StreamConfig, *, final_model,
                 partial_model):  # fmt: skip
        self.backend, self.config = backend, config
        self.final_model, self.partial_model = final_model, partial_model
        self.resample = Resampler()
        self.vad: StreamingVad | None = None  # made in the pool thread
        self.pending = np.zeros(0, dtype=np.float32)  # 16 kHz audio not yet through the VAD
        self.clock = 0  # 16 kHz samples through the VAD
        self.recent = np.zeros(0, dtype=np.float32)  # pre-roll before speech starts
        self.utterance: list[np.ndarray] = []
        self.utterance_start = 0  # in samples
        self.speaking = False
        self.silence = 0  # samples of silence at the end of the utterance
        self.partial_at = 0  # utterance length at the last partial
        self.partial_cost = 0.0  # seconds the last partial took
        self.agreement = LocalAgreement()
        self.count = 0
        self.prompt = config.prompt
        self.language = config.language

    # --- Recognizer ---------------------------------------------------------------------------

    def feed(self, pcm16: bytes) -> list[StreamEvent]:
        if self.vad is None:
            self.vad = StreamingVad()
        self.pending = np.concatenate([self.pending, self.resample(pcm16)])
        usable = len(self.pending) - len(self.pending) % WINDOW
        windows = self.pending[:usable].reshape(-1, WINDOW)
        self.pending = self.pending[usable:]
        events: list[StreamEvent] = []
        for window, prob in zip(windows, self.vad.probabilities(windows), strict=True):
            events += self._window(window, float(prob))
        if self.speaking and self._length() - self.partial_at >= self._partial_every():
            events += self._partial()
        return events

    def skip(self, seconds: float) -> list[StreamEvent]:
        events = self.end_utterance()
        self.clock += int(seconds * VAD_RATE)
        self.recent = np.zeros(0, dtype=np.float32)
        if self.vad is not None:
            self.vad.reset()
        return events

    def end_utterance(self) -> list[StreamEvent]:
        if not self.utterance:
            return []
        if self.pending.size:  # the tail that did not fill a VAD window
            self.utterance.append(self.pending)
            self.clock += len(self.pending)
            self.pending = np.zeros(0, dtype=np.float32)
        audio = np.concatenate(self.utterance)
        if self.speaking and self.silence:
            audio = audio[: max(0, len(audio) - self.silence + int(_TAIL_SECONDS * VAD_RATE))]
        start = self.utterance_start
        index = self.count
        self.utterance, self.speaking, self.silence, self.partial_at = [], False, 0, 0
        self.agreement.reset()
        self.count += 1
        events: list[StreamEvent] = [SpeechStopped(index, self._seconds(start + len(audio)))]
        return [*events, self._final(audio, start, index)]

    # --- Utterances ---------------------------------------------------------------------------

    def _window(self, window: np.ndarray, prob: float) -> list[StreamEvent]:
        events: list[StreamEvent] = []
        b = self.backend
        manual = not self.config.turn_detection
        if not self.utterance and (prob >= b.threshold or manual):
            preroll = self.recent[-int(_PREROLL_SECONDS * VAD_RATE) :]
            self.utterance = [preroll] if len(preroll) else []
            self.utterance_start = self.clock - len(preroll)
            self.speaking = True
            events.append(SpeechStarted(self.count, self._seconds(self.utterance_start)))
        self.clock += len(window)
        if not self.utterance:
            self.recent = np.concatenate([self.recent[-VAD_RATE:], window])
            return events
        self.utterance.append(window)
        quiet = prob < max(b.threshold - 0.15, 0.01)
        self.silence = self.silence + len(window) if quiet else 0
        if manual:
            return events
        if (
            self.silence >= b.min_silence_ms * VAD_RATE // 1000
            or self._length() >= b.max_utterance_seconds * VAD_RATE
        ):
            events += self.end_utterance()
        return events

    def _length(self) -> int:
        return sum(len(a) for a in self.utterance)

    def _partial_every(self) -> int:
        # Partials may take at most a third of the time: on a busy machine they come less
        # often, and the final text (which matters more) is not kept waiting behind them.
        every = max(self.backend.partial_every_seconds, _PARTIAL_SHARE * self.partial_cost)
        return int(every * VAD_RATE)

    def _seconds(self, samples: int) -> float:
        return round(self.config.offset + samples / VAD_RATE, 3)

    # --- Inference ----------------------------------------------------------------------------

    def _partial(self) -> list[StreamEvent]:
        audio = np.concatenate(self.utterance)
        self.partial_at = len(audio)
        model = self.backend.model(self.partial_model)  # loaded before the clock starts
        started = time.monotonic()
        segments, _ = model.transcribe(
            audio,
            language=self.language or "en",
            beam_size=1,
            without_timestamps=True,
            condition_on_previous_text=False,
            initial_prompt=self.prompt[-_PROMPT_CHARS:] or None,
        )
        words = " ".join(s.text.strip() for s in segments).split()
        self.partial_cost = time.monotonic() - started
        stable, text = self.agreement.update(words)
        if not text:
            return []
        return [Partial(self.count, self._seconds(self.utterance_start), text, stable)]

    def _final(self, audio: np.ndarray, start: int, index: int) -> Final:
        """The utterance's text; empty when nothing was understood (it still ends it)."""
        model = self.backend.model(self.final_model)
        heard: list[dict[str, float]] = []  # each 30 s view's languages, where listened to
        if self.config.language and model.model.is_multilingual:
            model = hearing(model, heard)
        segments, info = model.transcribe(
            audio,
            language=self.language,
            beam_size=self.backend.final_beam_size,
            word_timestamps=True,
            condition_on_previous_text=False,
            initial_prompt=self.prompt[-_PROMPT_CHARS:] or None,
        )
        # A segment with no word in it (" ..." over a hum) is no text either (wordless.py).
        segments = [s for s in segments if not _hallucination(s) and not wordless(s.text)]
        text = "".join(s.text for s in segments).strip()
        if not text:
            span = Segment(
                start=self._seconds(start), end=self._seconds(start + len(audio)), text=""
            )
            return Final(index, span, language=info.language)
        # Earlier utterances are not carried as the prompt: one shouted line in capitals made
        # every later final come out in capitals.
        self.language = self.language or info.language
        offset = self._seconds(start)
        words = tuple(
            Word(
                w.word,
                round(offset + float(w.start), 3),
                round(offset + float(w.end), 3),
                round(float(w.probability), 4),
            )
            for s in segments
            for w in s.words or []
        )
        segment = Segment(
            start=offset,
            end=self._seconds(start + len(audio)),
            text=" " + text,
            words=words,
            avg_logprob=float(np.mean([s.avg_logprob for s in segments])),
            no_speech_prob=float(max(s.no_speech_prob for s in segments)),
            **_heard_in_another_language(heard, self.config.language, len(audio) / VAD_RATE),
        )
        return Final(index, segment, language=info.language)


def _heard_in_another_language(heard: list[dict[str, float]], asked: str | None, seconds: float):
    """The flag `other_language` and the language heard, for an utterance whose every view was
    heard surely in another language than the one asked for, on enough speech (as a file's
    view is flagged, other_language.py); nothing otherwise. Asked for English, a German
    utterance comes out as an English translation, and the saved transcript says so."""
    if not heard or seconds < SURE_SPEECH_SECONDS:
        return {}
    if not all(switches(probabilities, asked) for probabilities in heard):
        return {}
    first = heard[0]
    return {"flags": (OTHER_LANGUAGE,), "heard_language": max(first, key=first.get)}


def _hallucination(segment) -> bool:
    # Whisper writes text for noise; both signs together mean no one spoke.
    return segment.no_speech_prob > 0.6 and segment.avg_logprob < -1.0
