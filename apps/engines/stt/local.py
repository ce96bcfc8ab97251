"""The offline default: faster-whisper with Whisper models from PyPI packages."""

import contextlib
import dataclasses
import functools
import logging
import threading
import time
from collections.abc import Callable, Iterator

import ctranslate2
import numpy as np
from faster_whisper.transcribe import restore_speech_timestamps
from faster_whisper.vad import VadOptions

from apps.core.media import SAMPLE_RATE, InvalidMedia, iter_pcm, probe

from ..errors import ErrorKind, ProviderError
from .base import (
    Decoded,
    LanguageDetected,
    ModelInfo,
    Segment,
    SpeechHeard,
    SpeechToTextBackend,
    TranscriptionEvent,
    TranscriptionRequest,
    Word,
)
from .batched import CLIP_SECONDS, BatchedDecoder
from .batched import batch_size as batch_size_for
from .batched import cpu_threads as cpu_threads_available
from .faint import faint_seconds, faint_speech, rise_over_floor, with_faint_marks
from .features import ChunkedFeatureExtractor, floored_on
from .greedy_first import DECODE_MODES, greedy_first
from .invented import invented
from .lanes import (
    DECODED_PAST_CUT_SECONDS,
    IDLE_CORES_FOR_LANES,
    idle_cores,
    in_order,
    lane_bounds,
    lane_count,
    loudest_bin,
)
from .loops import RepetitionGuard, marking_loops, repetitive, stutters, words
from .loudness import Levels, quiet_room, steady_sound
from .memory import give_back_large_blocks, needed_bytes, trim_freed, wait_for_memory
from .other_language import flagged, hearing, hearing_clips
from .overlap import with_overlap_marks
from .pauses import Pieces, lone_word, split_at_pauses
from .regions import (
    MIN_GAP_SECONDS,
    PAUSE_FRAME,
    SURE_SPEECH_SECONDS,
    VAD_PARAMETERS,
    Part,
    Region,
    WindowLanguages,
    ended,
    language_parts,
    quiet_runs,
    seconds_within,
    speech_heard,
    speech_regions,
    switches,
    uncovered,
    within,
)
from .repeats import HORIZON_SECONDS, SAME_SHARE, repeats_later, too_fast
from .scripts import without_stray_marks, wrong_script
from .silero import SpeechProbabilities
from .sounds import sound_in
from .sparse import held_word, too_few_words, word_count
from .timing import timed_words
from .token_logprobs import TokenLogprobRecorder
from .vad import heard
from .whisper_models import (
    PACKAGED_MODELS,
    ModelNotInstalled,
    is_installed,
    model_path,
    packaged_model_infos,
)
from .wordless import wordless

logger = logging.getLogger(__name__)

# Loaded models live for the whole worker process: loading per job would waste seconds each time.
_loaded: dict[tuple, object] = {}
_load_lock = threading.Lock()

# Where a window is cut, the quietest 100 ms within this many final seconds is chosen,
# so a word is rarely split between two windows.
_CUT_SEARCH_SECONDS = 15.0
# Text decoded again this close to a neighbouring segment touches it (aligned word edges are
# a few tenths of a second off).
_TOUCHING_SECONDS = 0.25
# The previous window's last segments are handed on as the prompt of the next, for continuity,
# as tokens with their timestamps, the way Whisper conditions each 30 s on the text before
# within a window, and up to as many as it keeps (half its 448-token context, less one). Given
# as plain text instead, a prompt without timestamps taught tiny.en to write none: the next
# window came out in segments of 25-30 s that fell into loops (a 4-minute recording in 120 s
# windows: WER 5.7 % against 1.7 %).
_CARRIED_PROMPT_TOKENS = 223
# Whisper's fallback ladder (faster-whisper's and openai-whisper's default): a 30 s chunk whose
# text compresses too well (a repetition loop) or whose tokens are too unsure is decoded again,
# hotter, and above _PROMPT_RESET_TEMPERATURE without the text before it. A single temperature
# switches the ladder off, and a loop then runs on, fed by its own text as the next prompt.
# Segments flagged `other_language` this close to a stretch decoded again stand beside it.
_AROUND_SECONDS = 1.0
_TEMPERATURE_STEP = 0.2
_PROMPT_RESET_TEMPERATURE = 0.5
# Text with these flags never prompts a decode (_prompts): a guard found it looping, doubted its
# words, or heard it in another language or script. ("loop_cut" is on the text decoded afresh
# after a cut loop, not on the loop, which is gone.)
_NO_PROMPT_FLAGS = frozenset(
    {"loop", "too_few_words", "repeats_later", "other_language", "wrong_script"}
)
_COMPRESSION_RATIO_THRESHOLD = 2.4
_LOG_PROB_THRESHOLD = -1.0
# A stretch of speech without text decoded again may loop (tiny.en with beam 5 on 2.8 s of a
# development recording: 224 tokens, 2.3 CPU s, for no text kept; base on far-field AMI: up to
# 15 CPU s for 1.3 s). Its decode stops at _CAP_BASE_TOKENS and _CAP_TOKENS_PER_SECOND of
# audio (fast speech writes about 5 a second with timestamps), and never beyond what fits
# beside the longest prompt in Whisper's 448. A decode that reaches the cap is taken for a
# loop; one that loops yet ends by itself is caught by loops.repetitive.
_CAP_BASE_TOKENS = 48
_CAP_TOKENS_PER_SECOND = 8
_MAX_NEW_TOKENS = 220
# Text decoded again where the first pass gave none is kept only below this no-speech
# probability; above it the stretch is marked instead.
_GAP_NO_SPEECH_PROB = 0.5
# What a stretch the decoder could not transcribe (a loop even decoded afresh) says instead.
UNTRANSCRIBED_TEXT = "[untranscribed]"
# Conditioned on its previous text, Whisper sometimes jumps over a passage that repeats what was
# just said (whole clips on the benchmark's hour): a stretch this long with no text is decoded
# again on its own. Silence costs little there: the VAD drops it before decoding.
_SKIP_SECONDS = 6.0
# With `faint_decoded`, faint speech rising this far (dB, its louder tenth) over the local noise
# floor is decoded (docs/benchmarks.md, issue 9, session 33 "whispers transcribed").
FAINT_DECODED_OVER_DB = 55.0
_SAMPLING_SEED = 1
# With parts decoded at once, how much further they must have gone together for a new Decoded
# (a progress bar's step; each one is a write to the job's row).
_DECODED_STEP_SECONDS = 5.0
# A part decoded alongside the one before it (lanes.py) is prompted with the text of this many
# seconds before its start, as a window is with the text of the window before.
_PROMPT_BEFORE_SECONDS = 20.0
# A part left to detect its language takes the one detected on those seconds only when
# detection is this sure of it (a prompt in another language misleads).
_PRIME_LANGUAGE_PROBABILITY = 0.8
# Asked to detect, a segment shorter than a part needs to switch language (SURE_SPEECH_SECONDS)
# whose words the decoder gave this probability or less on average is detected on its own, and
# decoded again in another language where detection is as sure of it as a part must be: a
# phrase in another language inside a part is no part of its own (fr_ru_zh: 1 s of Chinese
# after Russian in one block heard as Russian, written in Cyrillic at 0.40 a word; alone it is
# Chinese 0.98). On the AMI training excerpts such segments were heard as another language at
# 0.43 at most (docs/benchmarks.md, issue 9, session 31). A segment under _SHORT_SWITCH_SECONDS
# is not asked: a far-field "Yeah." at 0.1-0.4 s each cost an encoder pass (8 % more CPU on
# those excerpts) for a guess.
_UNSURE_WORD_PROBABILITY = 0.5
_SHORT_SWITCH_SECONDS = 0.6
# Once a segment ends this close to the end of a part's last speech region (its VAD padding and
# this much more), what is left is silence: the decoder is not asked about it. Whisper given a
# fraction of a second past the last word tends to loop through the whole fallback ladder there
# (a minute of CPU for 0.4 s of audio on the mixed-language test file).
_TAIL_SECONDS = 0.3
# The decoder skips silences of this many milliseconds or more (faster-whisper's vad_filter:
# 2,000). Shorter ones it decodes, as a plain call without VAD does: cut out at 2 s, the pieces
# of speech either side were written otherwise ("seatbelts" for the plain call's "seat belts",
# a passage jumped over; tiny.en, 3-minute development recordings, docs/benchmarks.md issue 9).
DECODER_SILENCE_MS = 5000
# The silence before the first words is kept when shorter than this: cut off, it moves every
# 30 s view of the decoder and the wording with it (read speech, where it lasts up to 1.4 s),
# but 4.9 s of a far-field meeting's quiet room kept gave a view that wrote nothing for 3 s of
# speech (AMI trn08; docs/benchmarks.md, issue 9, session 29).
DECODER_LEAD_IN_MS = 2000
# With `marks_need_heard_speech`, a stretch without text that the VAD hears under 1 s of speech
# in is marked "no text" only where segmentation-3.0 hears this much speech in it
# (_WindowedRun._speech_in).
_FAINT_SPEECH_FOR_A_MARK = 0.5


def load_model(
    name: str,
    *,
    device: str,
    compute_type: str,
    cpu_threads: int,
    cache: str | None = None,
    workers: int = 1,
):
    """The model, loaded once per process; `workers` decoders can run on it at once, from as
    many threads, sharing its weights (lanes.py)."""
    from faster_whisper import WhisperModel

    key = (name, device, compute_type, cpu_threads, workers)
    with _load_lock:
        if key not in _loaded:
            # A process that decodes long recordings gives each window's memory back.
            give_back_large_blocks()
            started = time.monotonic()
            model = WhisperModel(
                str(model_path(name, cache=cache)),
                device=device,
                compute_type=compute_type,
                cpu_threads=cpu_threads,
                num_workers=workers,
            )
            # Same spectrogram, computed in pieces: a long window costs far less memory.
            model.feature_extractor = ChunkedFeatureExtractor.replacing(model.feature_extractor)
            _loaded[key] = model
            logger.info(
                "Loaded Whisper %s on %s/%s in %.2fs",
                name,
                device,
                compute_type,
                time.monotonic() - started,
            )
        return _loaded[key]


class LocalWhisperBackend(SpeechToTextBackend):
    label = "Local (faster-whisper, offline)"
    runs_locally = True
    supports_logprobs = True

    def __init__(
        self,
        *,
        alias: str,
        default_model: str = "base",
        device: str = "cpu",
        compute_type: str = "int8",
        cpu_threads: int = 0,
        lanes: int = 1,
        lanes_idle_cores: float = IDLE_CORES_FOR_LANES,
        decoded_past_cut: float = DECODED_PAST_CUT_SECONDS,
        batch_size: int = 1,
        beam_size: int = 5,
        decode: str = "beam",
        window_seconds: float = 600.0,
        vad: dict | None = None,
        decoder_silence_ms: int = DECODER_SILENCE_MS,
        decoder_lead_in_ms: int = DECODER_LEAD_IN_MS,
        faint_marks: bool = True,
        marks_need_speech: bool = False,
        marks_need_heard_speech: bool = False,
        marks_skip_steady_sound: bool = False,
        faint_over_floor: bool = True,
        faint_local_floor: bool = True,
        faint_decoded: bool = False,
        faint_decoded_over_db: float = FAINT_DECODED_OVER_DB,
        overlap_marks: bool = True,
        name_sounds: bool = True,
        name_short_sounds: bool = False,
        name_short_laughter: bool = False,
        short_switches: bool = False,
        model_cache: str = "",
        memory_poll_seconds: float = 1.0,
        **options,
    ):
        super().__init__(alias=alias, **options)
        self._default_model = default_model
        self.model_cache = model_cache  # where models shipped in parts are joined
        self.device = device
        self.compute_type = compute_type
        # Parts of a recording decoded at once (lanes.py; 0: two on a CPU with two cores).
        # One by default: two still write some recordings otherwise than one, better or worse
        # (base held out: the later part's wording), and were not faster through the API,
        # quiet or under load (docs/benchmarks.md, issue 9, sessions 29 and 30).
        self.lanes = lane_count(lanes, device)
        # Chosen automatically, the lanes give way to another job on the machine, and to other
        # programs where fewer than `lanes_idle_cores` cores are idle (0: never): one part.
        self.lanes_give_way = lanes == 0
        self.lanes_idle_cores = lanes_idle_cores
        # Seconds a part before another is decoded past its end, the text there dropped.
        self.decoded_past_cut = decoded_past_cut
        # Threads in all (0: every core this process may use; ctranslate2's own 0 means at
        # most 4), shared out between the lanes.
        self.threads = cpu_threads or cpu_threads_available()
        self.cpu_threads = max(1, self.threads // self.lanes)
        # Clips decoded at once; 0: from the device and the memory available, 1: one at a time
        # (the default: batched costs about 0.7x the plain call's CPU on 12 min of read speech
        # but is still less accurate, WER 0.34 % against 0.11 % there and 1.22 % against 0.00 %
        # on 3 min; docs/benchmarks.md).
        self.batch_size = batch_size
        self.beam_size = beam_size
        # "beam": every 30 s view with the beam; "greedy_then_beam": greedy first, the beam
        # only where the greedy text is doubtful (greedy_first.py).
        if decode not in DECODE_MODES:
            raise ValueError(f"decode must be one of {DECODE_MODES}, not {decode!r}")
        self.decode = decode
        self.window_seconds = window_seconds
        # Silero VAD settings (faster-whisper's VadOptions) over the tuned defaults.
        self.vad = VAD_PARAMETERS | (vad or {})
        # What the decoder itself skips: silences of at least this long.
        self.decoder_vad = VadOptions(min_silence_duration_ms=decoder_silence_ms)
        # The silence before the first words is kept when shorter than this (and than the
        # silences the decoder skips).
        self.decoder_lead_in_ms = min(decoder_lead_in_ms, decoder_silence_ms)
        # Speech Silero missed (far-field, quiet, overlapped) marked by a second detector
        # where nothing else covers it (faint.py).
        self.faint_marks = faint_marks
        # What a region leaves beside the segments can be only its padding, the pause between
        # two sentences or the quiet after the last word. With either option on, a stretch
        # that gives no text is marked only where the VAD itself hears a mark's worth of speech
        # in it (unpadded), or, with `marks_need_heard_speech`, where segmentation-3.0 hears
        # speech in it (_WindowedRun._speech_in). Both remove the false marks of clean
        # readings, and both cost 0.9 points of far-field speech marked on the held-out AMI
        # excerpts (the second none on the tuning ones), so both are off by default
        # (docs/benchmarks.md, issue 9, sessions 28 and 29).
        self.marks_need_speech = marks_need_speech
        self.marks_need_heard_speech = marks_need_heard_speech
        # A stretch without text whose level hardly changes (noise, hum) and where Silero hears
        # little speech is not marked (loudness.steady_sound; docs/benchmarks.md, issue 9,
        # session 30 "tails" and 31: fewer false marks under recorded noise, but the faint
        # detector marks some of those stretches instead, longer on a noise-only file).
        self.marks_skip_steady_sound = marks_skip_steady_sound
        # Faint speech heard where the level hardly rises over the window's noise floor is taken
        # for the noise (faint.OVER_FLOOR_DB): segmentation-3.0 hears room noise, dishes and a
        # tap as speech; far-field meeting speech rises far above the floor. On by default: no
        # AMI speech mark lost, tuning or held-out (docs/benchmarks.md, issue 9, session 31).
        self.faint_over_floor = faint_over_floor
        # ... the floor around the mark (loudness.FLOOR_REACH_SECONDS either side) instead of
        # the whole window's, for recordings whose noise changes. On by default: false faint
        # marks in the noisy half of such recordings gone, nothing else moved on tuning or
        # held-out sets (docs/benchmarks.md, issue 9, session 32).
        self.faint_local_floor = faint_local_floor
        # Faint speech that rises `faint_decoded_over_db` or more over its local noise floor is
        # decoded, its text kept where the checks for text found in a gap pass it (_said), else
        # marked: a whisper or falsetto up close is loud against the room, where Silero hears
        # little of it; far-field meeting speech is not (FAINT_DECODED_OVER_DB).
        self.faint_decoded = faint_decoded
        self.faint_decoded_over_db = faint_decoded_over_db
        # Two people talking at once marked "overlap" (overlap.py): the text holds one voice
        # at most there, the other's words are lost. On by default: none on single-speaker
        # recordings, tuning or held out (docs/benchmarks.md, issue 9, session 33).
        self.overlap_marks = overlap_marks
        # A stretch of 3 s or more about to be marked "no text" or "faint" is decoded again with
        # notes of sound allowed, and marked as the sound Whisper names there ("laughter",
        # "music": sounds.py) instead.
        self.name_sounds = name_sounds
        # ... and applause and music from 1 s (sounds.MIN_SHORT_SOUND_SECONDS): the held-out
        # music and applause marks are 1.1-2.9 s long; each mark of 1-3 s then costs a decode
        # (docs/benchmarks.md, issue 9, session 32).
        self.name_short_sounds = name_short_sounds
        # ... and laughter from 1 s, for the speakers analysis to give it to the one laughing
        # (analysis/laughter.py; docs/benchmarks.md, issue 10, session 33).
        self.name_short_laughter = name_short_laughter
        # Asked to detect, a short unsure segment is detected alone and decoded again in the
        # language surely heard there (_UNSURE_WORD_PROBABILITY): fr_ru_zh's Chinese second
        # comes out in Chinese, no other text changed on any set, but each such segment costs an
        # encoder pass: 2.5 % more CPU on the AMI tuning excerpts, 9 % on the held-out ones
        # (docs/benchmarks.md, issue 9, session 31). Off by default.
        self.short_switches = short_switches
        self.memory_poll_seconds = memory_poll_seconds

    def models(self) -> list[ModelInfo]:
        return packaged_model_infos(self._default_model)

    def configuration_problem(self) -> str | None:
        missing = [n for n in PACKAGED_MODELS if not is_installed(n)]
        return f"model packages missing for {missing}" if missing else None

    def model(self, name: str, *, parts: int = 0, share: int = 0):
        """The model loaded for `parts` decoded at once (0: the engine's lanes), each on the
        threads shared out `share` ways (0: between the parts): a recording too short to cut
        gets one with all of them (on one thread, base took 1.3x the wall time on an 11 s
        clip; docs/benchmarks.md)."""
        parts = parts or self.lanes
        try:
            return load_model(
                name,
                device=self.device,
                compute_type=self.compute_type,
                cpu_threads=max(1, self.threads // (share or parts)),
                cache=self.model_cache,
                workers=parts,
            )
        except ModelNotInstalled as exc:
            raise ProviderError(str(exc), kind=ErrorKind.INTERNAL, permanent=True) from exc

    def transcribe(self, request: TranscriptionRequest) -> Iterator[TranscriptionEvent]:
        info = self.resolve_model(request.model)
        if info is None:
            raise ProviderError(f"Unknown model {request.model!r}.", kind=ErrorKind.INVALID_INPUT)
        if request.language and not info.multilingual and request.language != "en":
            raise ProviderError(
                f"{info.name} understands English only; choose the base model for "
                f"{request.language!r}.",
                kind=ErrorKind.INVALID_INPUT,
            )
        duration, bounds = self._parts(request)
        # Giving way to another job, the one part keeps to one lane's share of the threads.
        share = self.lanes if self.lanes_give_way and request.shares_cores else len(bounds)
        if not self._admitted(
            info.name, request, lanes=len(bounds), share=share, duration=duration
        ):
            return  # stopped while waiting for memory
        model = self.model(info.name, parts=len(bounds), share=share)
        language = request.language or (None if info.multilingual else "en")
        if language and language not in _supported_languages(model):
            raise ProviderError(
                f"Unknown language code {language!r}.", kind=ErrorKind.INVALID_INPUT
            )
        if len(bounds) == 1:
            events = _WindowedRun(self, model, request, language).events()
        else:
            # Every part's spectrogram floored as the whole recording's is (features.py).
            floor = loudest_bin(
                request.audio_path, start=request.start_at, of=model.feature_extractor
            )
            reached = {start: start for start, _ in bounds}  # how far each part is decoded
            runs = [
                _reaching(
                    functools.partial(
                        _lane_events, self, model, request, language, start, end, floor
                    ),
                    reached,
                    start,
                )
                for start, end in bounds
            ]
            events = in_order(runs, should_stop=request.should_stop)
            events = _with_decoded(_announced_once(events, duration), reached)
        yield from events if request.word_timestamps else _without_words(events)

    def _parts(self, request: TranscriptionRequest) -> tuple[float, list[tuple]]:
        """The recording's duration (0 when it is not needed) and the parts of what is left to
        do that are decoded at once (lanes.py), the last one to the file's end (None)."""
        if self.lanes == 1 or (self.lanes_give_way and request.shares_cores):
            # One part, on one lane's threads when the lanes were chosen automatically: the
            # other job keeps the cores the second lane would take.
            return 0.0, [(request.start_at, None)]
        try:
            duration = probe(request.audio_path).duration
        except InvalidMedia as exc:
            raise ProviderError(str(exc), kind=ErrorKind.INVALID_INPUT) from exc
        bounds = lane_bounds(
            request.audio_path, start=request.start_at, end=duration, lanes=self.lanes
        )
        if len(bounds) > 1 and self.lanes_give_way and self._cores_taken():
            # Other programs hold the cores a second part would run on: one part, on every
            # thread, as with one lane set.
            return duration, [(request.start_at, None)]
        return duration, [*bounds[:-1], (bounds[-1][0], None)]

    def _cores_taken(self) -> bool:
        """Whether other programs hold the cores a second part would run on (read as the job
        starts: its own decoding has not begun)."""
        return bool(self.lanes_idle_cores) and idle_cores() < self.lanes_idle_cores

    def _admitted(
        self,
        name: str,
        request: TranscriptionRequest,
        *,
        lanes: int,
        share: int,
        duration: float = 0.0,
    ) -> bool:
        """Waits until the job fits in the memory available (see memory.py); `duration`: the
        recording's, 0 when not known yet."""
        model_file = None
        threads = max(1, self.threads // share)
        if (name, self.device, self.compute_type, threads, lanes) not in _loaded:
            # A model not installed: loading it says so, as a clear error.
            with contextlib.suppress(ModelNotInstalled):
                model_file = model_path(name, cache=self.model_cache) / "model.bin"
        need = needed_bytes(
            window_seconds=self._held_seconds(request, duration),
            model_file=model_file,
            lanes=lanes,
        )
        return wait_for_memory(need, should_stop=request.should_stop, poll=self.memory_poll_seconds)

    def _held_seconds(self, request: TranscriptionRequest, duration: float) -> float:
        """The longest window of audio the job holds: a whole window, or all that is left of a
        shorter recording (a 3-minute one needed half what a long one needs)."""
        if not duration:
            try:
                duration = probe(request.audio_path).duration
            except (InvalidMedia, OSError):
                return self.window_seconds  # the run itself says what is wrong with the file
        if not duration:  # a container that does not say
            return self.window_seconds
        return max(0.0, min(self.window_seconds, duration - request.start_at))


def _reaching(lane, reached: dict[float, float], start: float):
    """`lane` (lanes.py Lane) that writes in `reached[start]` how far it has decoded (the end of
    each window's speech report, of each segment), in its own thread."""

    def run(stop) -> Iterator:
        for event in lane(stop):
            if isinstance(event, Segment | SpeechHeard):
                reached[start] = max(reached[start], event.end)
            yield event

    return run


def _with_decoded(events: Iterator, reached: dict[float, float]) -> Iterator:
    """`events` with a Decoded each time the parts together have gone _DECODED_STEP_SECONDS
    further (`reached`: each part's start and how far it is decoded): later parts' segments
    wait their turn, and the progress bar stood at the first part's end as long as it ran."""
    told = 0.0
    first = min(reached)
    for event in events:
        yield event
        done = first + sum(end - start for start, end in reached.items())
        if done - told >= _DECODED_STEP_SECONDS:
            told = done
            yield Decoded(float(done))


def _without_words(events: Iterator) -> Iterator:
    """`events` with no segment's words: the engine aligns them for its own checks (_decode),
    the caller did not ask for them."""
    for event in events:
        yield dataclasses.replace(event, words=()) if isinstance(event, Segment) else event


def _announced_once(events: Iterator, duration: float) -> Iterator:
    """`events` of parts decoded apart, with one LanguageDetected: the first part's, unless
    that part had no speech to detect on (probability 0) and a later part had."""
    held: LanguageDetected | None = None
    announced = False
    for event in events:
        if isinstance(event, LanguageDetected):
            if announced:
                continue
            if event.probability == 0.0:
                held = held or dataclasses.replace(event, duration=duration)
                continue
            announced, held = True, None
        elif held is not None:
            yield held
            announced, held = True, None
        yield event
    if held is not None:
        yield held


def _lane_events(backend, model, request, language, start, end, floor, should_stop) -> Iterator:
    run = _WindowedRun(
        backend,
        model,
        request,
        language,
        start=start,
        end=end,
        past_end=backend.decoded_past_cut,
        floor=floor,
    )
    run.should_stop = should_stop
    if start > request.start_at:  # a later part
        run.prime()
    yield from run.events()


def _supported_languages(model) -> set[str]:
    return set(getattr(model, "supported_languages", []) or [])


class _WindowedRun:
    """Transcribes a file window by window, so hours of audio never sit in memory at once."""

    def __init__(
        self,
        backend: LocalWhisperBackend,
        model,
        request: TranscriptionRequest,
        language: str | None,
        *,
        start: float | None = None,
        end: float | None = None,
        past_end: float = 0.0,
        floor: float | None = None,
    ):
        self.backend = backend
        self.model = model
        self.request = request
        self.language = language
        # The part of the recording this run decodes (file seconds; end None: to its end).
        self.start = request.start_at if start is None else start
        self.end = end
        # Seconds of audio after `end` its last window is decoded with, the text there left to
        # the part after it (lanes.py DECODED_PAST_CUT_SECONDS).
        self.past_end = past_end if end is not None else 0.0
        # The loudest spectrogram bin each window's first pass is floored under (None: the
        # window's own, as Whisper does; lanes: the recording's, features.py floored_on).
        self.floor = floor
        self.should_stop = request.should_stop
        # Asked to detect with a multilingual model: each part of a window in its language.
        self.per_part = language is None
        # The recording's language (the first window's main one, when detected): other parts
        # leave it only on a sure detection (regions.py).
        self.main_language = language
        self.announced = False
        self.carried: tuple[int, ...] = ()
        self.temperatures = _temperatures(request.temperature or 0.0)
        self.window_vad: tuple[np.ndarray, SpeechProbabilities] | None = None
        self.window_levels: Levels | None = None
        self.window_offset = self.start  # the file second the current window starts at
        # Languages this run's decoder wrote in a script they never use (scripts.py): it cannot
        # write them, and a second decode in one costs a decode's time for no transcript.
        self.unwritten: set[str] = set()
        # (start, end, language) of each segment flagged `other_language`, in file seconds: the
        # neighbours of a stretch decoded again on its own (_flagged_around).
        self.heard_other: list[tuple[float, float, str]] = []

    def events(self) -> Iterator[TranscriptionEvent]:
        offset = self.start
        pieces = Pieces()  # no stop between the pieces of a segment split at a pause
        try:
            for window in self._windows():
                if self.end is not None and offset >= self.end:
                    break  # all of it after the part's end
                events = self._transcribe_window(window, offset)
                for event in self._within_part(events, window, offset):
                    yield event
                    if (
                        isinstance(event, Segment)
                        and pieces.stoppable_after(event)
                        and self.should_stop()
                    ):
                        return
                offset += len(window) / SAMPLE_RATE
                trim_freed()  # a long recording's windows each start from what the first held
                if self.should_stop():
                    return
        except InvalidMedia as exc:
            raise ProviderError(str(exc), kind=ErrorKind.INVALID_INPUT) from exc
        if not self.announced:  # nothing to decode at all
            yield LanguageDetected(self.language or "en", 0.0, offset)

    def prime(self) -> None:
        """Starts this run where the part before it leaves off (lanes.py): its first window is
        prompted as the window before would have prompted it, with the tokens of the last
        _PROMPT_BEFORE_SECONDS before its start, decoded on their own (greedy: it is only a
        prompt), their last sure segments. Where the language is left to detect it is detected
        there too, and the prompt kept only when detection is sure (a prompt in another
        language misleads)."""
        first = max(0.0, self.start - _PROMPT_BEFORE_SECONDS)
        if self.start - first < 1.0:
            return
        blocks = iter_pcm(self.request.audio_path, start_at=first, block_seconds=self.start - first)
        audio = next(blocks, np.zeros(0, dtype=np.float32))
        segments, info = self.model.transcribe(
            audio[: int(round((self.start - first) * SAMPLE_RATE))],
            language=self.language,
            task=self.request.task,
            beam_size=1,
            temperature=0.0,
            condition_on_previous_text=False,
            vad_filter=False,
        )
        if not self.language and info.language_probability < _PRIME_LANGUAGE_PROBABILITY:
            return
        language = self.language or info.language
        sure: list[Segment] = []
        for seg in segments:
            decoded = _segment(seg, first, language)
            sure = [*sure, decoded] if _confident(decoded) else []
        self.language, self.carried = language, _carried(sure)

    def _within_part(self, events: Iterator, audio: np.ndarray, offset: float) -> Iterator:
        """A window's `events` that fall in this run's part. In a window decoded past the part's
        end (lanes.py DECODED_PAST_CUT_SECONDS) a segment across the end keeps its words before
        it, the decoding stops at the first segment after it, and the speech heard is reported
        up to it: the part after this one has the rest."""
        if not self.past_end or offset + len(audio) / SAMPLE_RATE <= self.end:
            yield from events
            return
        for event in events:
            if isinstance(event, Segment) and event.start >= self.end:
                events.close()  # what the decoder would find next is the next part's too
                yield _heard_until(self.window_vad[1], offset, self.end)
                return
            if isinstance(event, SpeechHeard):
                yield _heard_until(self.window_vad[1], offset, self.end)
                return
            if isinstance(event, Segment):
                event = self._cut_at_end(event, audio, offset)
            if event is not None:
                yield event

    def _cut_at_end(self, segment: Segment, audio: np.ndarray, offset: float) -> Segment | None:
        """`segment` up to the part's end: its words before it (none: nothing), a mark's time
        before it; without words, whole or nothing by where its middle falls. The end is in a
        pause, so a word aligned across it was said on one side: where its loudest moment is
        (the aligner stretches a first word back over the pause and the tail of the word
        before: "How" from 83.1 to 84.6 s, said after a cut at 84.2 s, on the held-out
        sonnets)."""
        if segment.end <= self.end:
            return segment
        if segment.untranscribed:
            return dataclasses.replace(segment, end=self.end)
        if not segment.words:
            return segment if (segment.start + segment.end) / 2 < self.end else None
        after = next(
            (w for w in segment.words if _loudest(audio, offset, w.start, w.end) >= self.end),
            None,
        )
        if after is None:
            return segment
        # Its words after the end are the next part's: no piece of it follows in this one.
        kept = next(iter(self._cut_before(segment, after)), None)
        return kept and dataclasses.replace(kept, continues=False)

    def _windows(self) -> Iterator[np.ndarray]:
        """Windows of about window_seconds, each cut at a quiet moment; a part's last one runs
        on past_end seconds after the part's end."""
        size = int(self.backend.window_seconds * SAMPLE_RATE)
        buffer = np.zeros(0, dtype=np.float32)
        left = None
        if self.end is not None:
            left = int(round((self.end + self.past_end - self.start) * SAMPLE_RATE))
        for block in iter_pcm(self.request.audio_path, start_at=self.start):
            if left is not None:
                block, left = block[:left], left - len(block[:left])
            buffer = np.concatenate([buffer, block])
            if len(buffer) >= size:
                cut = _quiet_cut(buffer, size)
                yield buffer[:cut]
                buffer = buffer[cut:]
            if left == 0:  # the end of this run's part (lanes.py)
                break
        if len(buffer):
            yield buffer

    def _transcribe_window(self, audio: np.ndarray, offset: float) -> Iterator[TranscriptionEvent]:
        if not self.request.logprobs:
            yield from self._window_events(audio, offset)
            return
        with TokenLogprobRecorder(self.model) as recorder:
            for event in self._window_events(audio, offset):
                if isinstance(event, Segment):
                    event = dataclasses.replace(event, logprobs=recorder.for_tokens(event.tokens))
                yield event

    def _window_events(self, audio: np.ndarray, offset: float) -> Iterator[TranscriptionEvent]:
        self.window_offset = offset
        # One Silero pass per window, read with the sensitive settings here and with the
        # decoder's own where it decodes the whole window (silero.py).
        spoken = self.hear(audio)
        regions = speech_regions(self.window_vad[1], self.backend.vad)
        pad = self.backend.vad["speech_pad_ms"] / 1000
        closed = ended(regions, spoken, pad)
        languages = self._languages(audio, regions)
        parts = languages.parts
        if not self.announced and languages.main:
            self.announced = True
            self.main_language = languages.main
            yield LanguageDetected(languages.main, languages.probability, 0.0)
        for part in parts:
            first, last = int(part.start * SAMPLE_RATE), int(part.end * SAMPLE_RATE)
            if part is parts[-1]:
                # To the last sample (seconds times the rate can round down by one), so a part
                # spanning the window reads the window's speech probabilities.
                last = len(audio)
            if self.language and part.language != self.language:
                self.carried = ()  # text in one language is no prompt for another
            self.language = part.language or self.language
            inside = _within(regions, part, offset)
            events = self._filled(audio[first:last], offset + part.start)
            # Text stops at the end of the last region that starts in the part: a region cut
            # at the part's end (within) does not end the speech there.
            if starting := [r for r in regions if part.start <= r.start < part.end]:
                events = _until(events, offset + starting[-1].end - pad - _TAIL_SECONDS)
            events = self._unrepeated(self._dense(events, audio, offset, inside), audio, offset)
            kept: list[Segment] = []
            heard_again: list[Segment] = []
            gap = functools.partial(self._gap, audio, offset, heard_again)
            translated = self.request.task == "translate"
            events = uncovered(events, _within(closed, part, offset), gap, whole=translated)
            events = _without_echoes(events, heard_again)
            events = self._in_its_language(events, audio, offset)
            events = self._split_at_pauses(events, kept, audio, offset, spoken)
            # A translation's segments do not follow its speech word by word: speech beside
            # them is no sign of loss (regions no segment touches are still marked above).
            if self.backend.faint_marks and not translated:
                events = with_faint_marks(
                    events,
                    audio,
                    offset,
                    start=offset + part.start,
                    end=offset + part.end,
                    mark=functools.partial(self._mark, audio, offset, "faint"),
                    silero=self.window_vad[1],
                    floor_at=self._noise_floor(),
                    text=functools.partial(self._faint_text, audio, offset),
                )
            if self.backend.overlap_marks and not translated:
                events = with_overlap_marks(
                    events,
                    audio,
                    offset,
                    start=offset + part.start,
                    end=offset + part.end,
                    mark=functools.partial(_gap_mark, reason="overlap"),
                )
            yield from events
            self.carried = _carried(kept, self.language)
        # The silence flags read the same probabilities instead of running the VAD again.
        yield SpeechHeard(
            offset, offset + len(audio) / SAMPLE_RATE, heard(self.window_vad[1], offset)
        )

    def _faint_text(self, audio: np.ndarray, offset: float, start: float, end: float, runs):
        """The text for the stretch of file seconds [start, end) between segments where faint
        speech (`runs`) was heard, with `faint_decoded`: the whole stretch decoded where its
        faint speech rises far enough over the local noise floor and the text passes the checks
        for text found in a gap (_said); else none (the runs are marked)."""
        backend = self.backend
        if not backend.faint_decoded or self.request.task == "translate":
            return []
        floor = self.window_levels.floor
        rise = max(rise_over_floor(audio, a - offset, b - offset, floor) for a, b in runs)
        if rise < backend.faint_decoded_over_db:
            logger.info("Faint speech %.1f-%.1fs, %.1f dB over the floor: marked", start, end, rise)
            return []
        _, piece = _span(audio, offset, start, end)
        # Unfiltered: Silero hears little of a whisper, its chunks would drop it whole.
        writes = self._writes(self.language)
        found = self._said(piece, offset, start, self.language, unfiltered=True) if writes else []
        logger.info(
            "Faint speech %.1f-%.1fs, %.1f dB over the floor: %s",
            start,
            end,
            rise,
            repr(" ".join(s.text for s in found)) if found else "no text passes, marked",
        )
        return found

    def _noise_floor(self) -> Callable[[float], float] | None:
        """The noise floor faint marks must rise over, at a window second (faint.py)."""
        if not self.backend.faint_over_floor:
            return None
        if self.backend.faint_local_floor:
            return self.window_levels.floor
        whole = self.window_levels.floor()
        return lambda _: whole

    def _split_at_pauses(
        self, events: Iterator, kept: list, audio: np.ndarray, offset: float, spoken: list
    ) -> Iterator:
        """`events` with each segment split where its words pause long (pauses.py), a lone word
        no detector hears flagged; `kept` gets the segments as decoded, for the next window's
        prompt: the guards before read them so too, and a faint mark is no reason to drop the
        text before it from the prompt (marks come after). `spoken`: the speech Silero heard
        in the window (window seconds, unpadded)."""
        heard = functools.partial(self._heard_share, audio, offset, spoken)
        for event in events:
            if not isinstance(event, Segment):
                yield event
                continue
            kept.append(event)
            pieces = split_at_pauses(event, self.model)
            for piece in pieces:
                if len(pieces) > 1 and lone_word(piece, heard):
                    piece = dataclasses.replace(piece, flags=(*piece.flags, "lone_word"))
                yield piece

    def _heard_share(
        self, audio: np.ndarray, offset: float, spoken: list, start: float, end: float
    ) -> float:
        """The larger share of file seconds [start, end) that Silero (`spoken`, window seconds)
        or the faint detector (where the engine uses it) takes for speech."""
        a, b = start - offset, end - offset
        found = (
            faint_speech(audio, a, b, silero=self.window_vad[1]) if self.backend.faint_marks else []
        )
        shares = [seconds_within(spoken, a, b), seconds_within([Region(*f) for f in found], a, b)]
        return max(shares) / max(b - a, 1e-3)

    def hear(self, audio: np.ndarray) -> list[Region]:
        """The window's speech probabilities and levels, kept for what reads them later; the
        speech heard in it (window seconds, unpadded)."""
        self.window_vad = (audio, SpeechProbabilities(audio))
        spoken = speech_heard(self.window_vad[1], self.backend.vad)
        self.window_levels = Levels(audio, spoken)
        return spoken

    def _speech_seconds(self, offset: float, start: float, end: float) -> float:
        """Seconds of file seconds [start, end) the VAD itself takes for speech, unpadded."""
        threshold = self.backend.vad["threshold"]
        return self.window_vad[1].seconds_above(threshold, start - offset, end - offset)

    def _dense(self, events: Iterator, audio: np.ndarray, offset: float, regions) -> Iterator:
        """`events` with each segment that has far too few words for the speech under it
        (sparse.py) decoded again on its own, or flagged where that gives nothing better; a
        segment whose text stops before its speech does (a word held over the rest) has the
        rest decoded again from that word on."""
        before: list[Segment] = []
        for event in events:
            if not isinstance(event, Segment) or event.untranscribed:
                yield event
                continue
            if (held := held_word(event, regions)) is not None:
                context = _carried(before, self.language) or self.carried
                decided = self._held_again(audio, offset, event, held, context)
            elif too_few_words(event, regions):
                decided = self._sparse_again(audio, offset, event)
            else:
                decided = [event]
            before.extend(decided)
            yield from decided

    def _in_its_language(self, events: Iterator, audio: np.ndarray, offset: float) -> Iterator:
        """`events` with each segment the decoder was unsure of, long enough for detection to
        be more than a guess, detected on its own: where it is surely another language (as a
        part must be to leave the language around it, regions.switches; and the user asked to
        detect), decoded again in that language. A sentence of another language at the end of a
        block heard as the block's language (3.3 s of Italian after 23 s of English) was written
        as invented English at temperature 1.0 ("From now on, you will be on the wall").
        With `short_switches`, a short segment whose words are unsure is detected too (a phrase
        quoted in another language: fr_ru_zh's Chinese second)."""
        for event in events:
            if not self._unsure_of_language(event):
                yield event
                continue
            first, piece = _span(audio, offset, event.start, event.end)
            probabilities = self._detect(piece)
            if not switches(probabilities, event.language or self.language):
                yield event
                continue
            language = max(probabilities, key=probabilities.get)
            found = self._said(piece, offset, offset + first / SAMPLE_RATE, language)
            logger.info(
                "Unsure text from %.1fs to %.1fs is %s: %s",
                event.start,
                event.end,
                language,
                f"decoded again ({len(found)} segments)" if found else "kept",
            )
            yield from found or [event]

    def _unsure_of_language(self, event) -> bool:
        if not (
            self.per_part
            and self.request.task == "transcribe"
            and self.model.model.is_multilingual
            and isinstance(event, Segment)
            and not event.untranscribed
        ):
            return False
        if event.end - event.start >= SURE_SPEECH_SECONDS:
            return not _confident(event)
        return self.backend.short_switches and _short_and_unsure(event)

    def _unrepeated(self, events: Iterator, audio: np.ndarray, offset: float) -> Iterator:
        """`events` with each segment whose words come again soon after, over other audio
        (repeats.py), decoded again on its own. A segment waits for the text of the next
        HORIZON_SECONDS before it goes on (the other events keep their place behind it)."""
        held: list = []
        for event in events:
            held.append(event)
            now = event.start if isinstance(event, Segment) else None
            while held and (
                not isinstance(held[0], Segment)
                or (now is not None and now - held[0].start >= HORIZON_SECONDS)
            ):
                yield from self._judged(held.pop(0), held, audio, offset)
        while held:
            yield from self._judged(held.pop(0), held, audio, offset)

    def _judged(self, event, later: list, audio: np.ndarray, offset: float) -> list:
        if not isinstance(event, Segment) or event.untranscribed:
            return [event]
        texts = [e for e in later if isinstance(e, Segment) and not e.untranscribed]
        if not repeats_later(event, texts):
            return [event]
        return self._repeat_again(audio, offset, event, texts)

    def _repeat_again(self, audio: np.ndarray, offset: float, segment: Segment, later) -> list:
        """The span of a segment whose words come again later, decoded afresh (no text before
        it, the full fallback ladder): the same words again are real speech said twice, kept as
        they were; other words Whisper's checks pass replace them; else the segment is dropped
        when it holds more words than its time could (repeats.too_fast), flagged otherwise."""
        first, piece = _span(audio, offset, segment.start, segment.end)
        start = offset + first / SAMPLE_RATE
        # A quick greedy look first: real speech said twice (most of what the guard judges on
        # the development recordings) comes back the same from it, and the beam's full decode
        # is only needed when it does not.
        for look in ({"beam_size": 1, "temperatures": (0.0,)}, {}):
            decoded = self._decode(piece, start, conditioned=False, **look)
            again = [e for e in decoded if isinstance(e, Segment)]
            if _said_again(again, segment, later):
                logger.info("Words from %.1fs come again later: said twice, kept", segment.start)
                return [segment]
        if again and all(_checked(s) for s in again):
            outcome, kept = f"decoded again: {' '.join(s.text for s in again)!r}", again
        elif too_fast(segment):
            # Words said later, at a rate no one speaks, that their own audio does not give
            # back: the later sentence written over a pause. Nothing said is lost; speech the
            # VAD hears in the stretch is then decoded again or marked like any without text.
            outcome, kept = "dropped: more words than its time could hold", []
        else:
            flagged = dataclasses.replace(segment, flags=(*segment.flags, "repeats_later"))
            outcome, kept = "flagged", [flagged]
        logger.warning(
            "Words from %.1fs to %.1fs come again later: %s", segment.start, segment.end, outcome
        )
        return kept

    def _sparse_again(self, audio: np.ndarray, offset: float, segment: Segment) -> list:
        """The segment's span decoded afresh (no text before it, the full fallback ladder):
        kept where it gives more words, each as likely and as little repetitive as Whisper's
        own checks ask; else the segment as it was, flagged for the reader."""
        first, piece = _span(audio, offset, segment.start, segment.end)
        decoded = self._decode(piece, offset + first / SAMPLE_RATE, conditioned=False)
        again = [e for e in decoded if isinstance(e, Segment)]
        better = word_count(again) > word_count([segment]) and all(_checked(s) for s in again)
        logger.warning(
            "Too few words for the speech from %.1fs to %.1fs (%d): %s",
            segment.start,
            segment.end,
            word_count([segment]),
            f"decoded again ({word_count(again)} words)" if better else "flagged",
        )
        if better:
            return again
        return [dataclasses.replace(segment, flags=(*segment.flags, "too_few_words"))]

    def _held_again(
        self, audio: np.ndarray, offset: float, segment: Segment, held, context: tuple
    ) -> list:
        """The segment up to `held`, the word aligned over speech it does not hold, then that
        speech decoded again from the word on, after the text before it (`context` and the
        segment's words before `held`): the text the decoder left out. Kept where it gives
        more words than the word alone and passes Whisper's checks."""
        head = self._cut_before(segment, held)
        first, piece = _span(audio, offset, held.start, segment.end)
        decoded = self._decode(
            piece,
            offset + first / SAMPLE_RATE,
            conditioned=False,
            context=(*context, *(head[0].tokens if head and _prompts(segment) else ())),
        )
        again = [e for e in decoded if isinstance(e, Segment)]
        found = word_count(again)
        better = found > 1 and all(_checked(s) for s in again)
        logger.warning(
            "Speech left out after %.1fs (%r held to %.1fs): %s",
            held.start,
            held.word,
            held.end,
            f"decoded again ({found} words)" if better else "kept as it was",
        )
        return [*head, *again] if better else [segment]

    def _cut_before(self, segment: Segment, held) -> list[Segment]:
        """`segment` with its words before `held` only (none left: nothing)."""
        kept = segment.words[: segment.words.index(held)]
        if not kept:
            return []
        text = "".join(w.word for w in kept)
        tokens = self.model.hf_tokenizer.encode(text, add_special_tokens=False).ids
        return [
            dataclasses.replace(
                segment, text=text, words=kept, end=kept[-1].end, tokens=tuple(tokens)
            )
        ]

    def _languages(self, audio: np.ndarray, regions) -> WindowLanguages:
        if not self.per_part:
            part = Part(0.0, len(audio) / SAMPLE_RATE, self.language, 1.0)
            return WindowLanguages(self.language, 1.0, [part])
        return language_parts(audio, regions, self._detect, main=self.main_language)

    def _detect(self, audio: np.ndarray) -> dict[str, float]:
        _, _, probabilities = self.model.detect_language(audio=audio)
        return {language: float(probability) for language, probability in probabilities}

    def _gap(self, audio: np.ndarray, offset: float, heard: list, start: float, end: float):
        """What stands for speech in file seconds [start, end) that got no text: the text the
        decoder finds there on its own (conditioned on the text before, Whisper jumps over
        passages), or in another language when detection is sure of one as a part must be to
        leave the language around it (regions.switches; and the user asked to detect), else a
        mark saying why there is none. Text found is added to `heard`. A stretch too quiet to
        be marked (quiet room) is not decoded either: decoded alone, the 1 s of silence between
        two sentences of a telephone recording came back as "All right." (log probability
        -0.89, no-speech 0.42: the checks for text found in a gap pass it; docs/benchmarks.md,
        issue 9, session 32)."""
        if self._quiet_room(offset, start, end):
            return
        _, piece = _span(audio, offset, start, end)
        found = (
            self._said(piece, offset, start, self.language) if self._writes(self.language) else []
        )
        heard.extend(found)
        if not found and not self._speech_in(audio, offset, start, end):
            return
        # Detection on a second or two is a guess (a part switches language only on 3 s of
        # sure speech, regions.py), and each costs an encoder pass: short gaps are not asked.
        short = end - start < SURE_SPEECH_SECONDS
        if found or short or not self.model.model.is_multilingual:
            yield from found or [self._mark(audio, offset, "no_text", start, end)]
            return
        probabilities = self._detect(piece)
        if not switches(probabilities, self.language):
            yield self._mark(audio, offset, "no_text", start, end)
            return
        language = max(probabilities, key=probabilities.get)
        found = self._said(piece, offset, start, language) if self.per_part else []
        heard.extend(found)
        yield from found or [_gap_mark(start, end, "other_language", language)]

    def _mark(self, audio: np.ndarray, offset: float, reason: str, start: float, end: float):
        """The mark for file seconds [start, end) that got no text for `reason`: the sound
        Whisper names there where it names one and the stretch is long enough (sounds.py), else
        `reason`."""
        piece = _span(audio, offset, start, end)[1]
        backend = self.backend
        short, laughter = backend.name_short_sounds, backend.name_short_laughter
        if backend.name_sounds and (
            sound := sound_in(self.model, piece, short=short, short_laughter=laughter)
        ):
            return _gap_mark(start, end, "sound", sound=sound)
        return _gap_mark(start, end, reason)

    def _speech_in(self, audio: np.ndarray, offset: float, start: float, end: float) -> bool:
        """Whether file seconds [start, end), left without text, hold speech worth a "no text"
        mark. A region's padding, the pause between two sentences or the quiet after the last
        word can leave a stretch of 1 s beside the segments: false marks on clean readings,
        where the VAD itself heard 0.03-0.06 s of speech and segmentation-3.0 0.3 s at most
        (the edges of the words beside it). Far-field speech that got no text is often as
        faint to the VAD (0.03 s on an AMI excerpt), but segmentation-3.0, trained on such
        meetings, hears 1.2 s or more of it on the AMI tuning excerpts. On the held-out ones,
        though, 0.9 points of the speech marked by default lay in stretches it heard less of
        (docs/benchmarks.md, issue 9, session 29). So by default a stretch is marked unless it
        is far quieter than the window's speech (quiet room: loudness.py); either option asks
        more of it, and `marks_skip_steady_sound` leaves steady noise unmarked too."""
        threshold = self.backend.vad["threshold"]
        window = (start - offset, end - offset)
        if self._quiet_room(offset, start, end):
            return False
        backend = self.backend
        if backend.marks_skip_steady_sound and steady_sound(
            self.window_levels, self.window_vad[1], threshold, *window
        ):
            return False
        if not (backend.marks_need_speech or backend.marks_need_heard_speech):
            return True
        if self._speech_seconds(offset, start, end) >= MIN_GAP_SECONDS:
            return True
        if backend.marks_need_speech:
            return False
        silero = self.window_vad[1]
        heard = faint_seconds(audio, start - offset, end - offset, silero=silero)
        return heard >= _FAINT_SPEECH_FOR_A_MARK

    def _quiet_room(self, offset: float, start: float, end: float) -> bool:
        """Whether file seconds [start, end) of the window from `offset` are quiet room: far
        quieter than the window's speech once the last word's tail stops (loudness.py)."""
        threshold = self.backend.vad["threshold"]
        window = (start - offset, end - offset)
        return quiet_room(self.window_levels, self.window_vad[1], threshold, *window)

    def _said(
        self,
        piece: np.ndarray,
        offset: float,
        start: float,
        language: str | None,
        *,
        unfiltered: bool = False,
    ):
        """The text decoded with confidence in `piece` (from file second `start`, in a window
        from `offset`; `unfiltered`: all of it, _decode) less what the decoder made up over
        music or noise (invented.py)."""
        speech = functools.partial(self._speech_seconds, offset)
        found = self._confidently(piece, start, language, unfiltered=unfiltered)
        return [segment for segment in found if not invented(segment, speech)]

    def _confidently(
        self, audio: np.ndarray, offset: float, language: str | None, *, unfiltered: bool = False
    ) -> list:
        # Only text decoded at up to 0.5 is kept (_confident): the hotter steps of the ladder
        # would cost a decode each for nothing (most of a far-field gap's time went there).
        ladder = tuple(t for t in self.temperatures if t <= _PROMPT_RESET_TEMPERATURE)
        cap = _token_cap(len(audio) / SAMPLE_RATE)
        decoded = self._decode(
            audio,
            offset,
            conditioned=False,
            language=language,
            temperatures=ladder or None,
            max_new_tokens=cap,
            unfiltered=unfiltered,
        )
        segments = [e for e in decoded if isinstance(e, Segment)]
        if _looped(segments, cap):
            logger.info("Speech without text from %.1fs decoded again loops: not kept", offset)
            return []
        return [s for s in segments if _confident(s)]

    def _filled(self, audio: np.ndarray, offset: float) -> Iterator[TranscriptionEvent]:
        """The window's events, with any long stretch the decoder jumped over decoded again."""
        reached, end = offset, offset + len(audio) / SAMPLE_RATE
        for event in self._guarded(audio, offset):
            if isinstance(event, Segment):
                landed = event.start - reached > _SKIP_SECONDS
                if landed and not event.untranscribed:
                    # Where Whisper lands after a jump is suspect too (over the fourth of a
                    # sentence said four times it wrote "Thank you."): decoded again with the
                    # stretch it jumped over.
                    yield from self._again(audio, offset, reached, event.end)
                    reached = event.end
                    continue
                if landed:
                    yield from self._again(audio, offset, reached, event.start)
                reached = event.end
            yield event
        if end - reached > _SKIP_SECONDS:
            yield from self._again(audio, offset, reached, end)

    def _writes(self, language: str | None) -> bool:
        """Whether a stretch left without text is decoded once more in `language`: not where
        the decoder already wrote it in a script it never uses. On en_then_te and te_six_voices
        (set 5) base wrote Telugu in Urdu or Hangul letters, and each such stretch decoded on its
        own looped or gave more of the same: 7-11 of the files' ~48 CPU s
        (docs/benchmarks.md, issue 9, session 32). Detection still asks whether another
        language is spoken there. A stretch the decoder jumped over is still decoded again
        with what follows (_filled): en_then_te's last English sentence, fallen into the Telugu
        part, is found so."""
        return language not in self.unwritten

    def _guarded(self, audio: np.ndarray, offset: float) -> Iterator[TranscriptionEvent]:
        guard = RepetitionGuard()
        for event in self._first_pass(audio, offset):
            if not isinstance(event, Segment):
                yield event
                continue
            yield from guard.push(event)
            if guard.looping:
                # Conditioned on its own looping text the decoder will not leave the loop.
                restart = guard.held[0].start
                logger.warning("Repetition loop from %.1fs: decoding it again", restart)
                again = self._again(audio, offset, restart, offset + len(audio) / SAMPLE_RATE)
                yield from _flagged_first(again, "loop_cut")
                return
        yield from guard.flush()

    def _again(self, audio: np.ndarray, offset: float, start: float, end: float):
        """Segments for file seconds [start, end), each 30 s decoded on its own, without the
        text before it; a loop even then is dropped and marked as not transcribed."""
        first, piece = _span(audio, offset, start, end)
        segments = self._decode(piece, offset + first / SAMPLE_RATE, conditioned=False)
        yield from marking_loops(segments, _untranscribed)

    def _first_pass(self, audio: np.ndarray, offset: float) -> Iterator:
        """The window's segments: in batches of clips where more than one clip fits and the
        language is known, else one 30 s after another, each conditioned on the text before."""
        size = self.backend.batch_size or batch_size_for(self.backend.device)
        # Token log probabilities are recorded from the one-at-a-time decoder's word alignment
        # (token_logprobs.py): in a batch, segments of several clips are aligned together.
        if size <= 1 or not self.language or self.request.logprobs:
            yield from self._decode(audio, offset, conditioned=True)
            return
        if not self.announced:
            self.announced = True
            yield LanguageDetected(self.language, 1.0, 0.0)
        yield from self._batched(audio, offset, size)

    def _batched(self, audio: np.ndarray, offset: float, size: int) -> Iterator:
        from faster_whisper import BatchedInferencePipeline

        # faster-whisper's own VAD settings, as the one-at-a-time decoder uses (see _decode),
        # with long speech split so that a clip fits in Whisper's 30 s.
        options = VadOptions(max_speech_duration_s=CLIP_SECONDS - 1)
        speech = [
            Region(r["start"] / SAMPLE_RATE, r["end"] / SAMPLE_RATE)
            for r in self._probabilities(audio).chunks(options)
        ]
        language = self.language
        heard: list[dict[str, float]] = []  # each clip's languages, where they are listened to
        notices = self._notices_other_languages(language)
        model = hearing_clips(self.model, heard) if notices else self.model
        pipeline = BatchedInferencePipeline(model)
        clips: list[tuple[Region, dict[str, float]]] = []

        def decode(batch: list[Region]) -> Iterator:
            ctranslate2.set_random_seed(_SAMPLING_SEED)
            segments, _ = pipeline.transcribe(
                audio,
                language=language,
                task=self.request.task,
                beam_size=self.backend.beam_size,
                initial_prompt=self.request.prompt or None,
                temperature=self.temperatures[0],
                word_timestamps=True,  # read by the checks after, whether asked or not
                without_timestamps=False,  # segments of a sentence or so, not of 30 s
                clip_timestamps=[{"start": r.start, "end": r.end} for r in batch],
                batch_size=len(batch),
            )
            yield from segments
            if notices:  # the batch is encoded once its segments are read
                clips.extend(zip(batch, heard[-len(batch) :], strict=True))

        decoder = BatchedDecoder(
            decode,
            size=size,
            log_prob_threshold=_LOG_PROB_THRESHOLD,
            compression_ratio_threshold=_COMPRESSION_RATIO_THRESHOLD,
            should_stop=self.should_stop,
        )
        decoded = self._batch_found(decoder.run(speech), audio, offset, clips)
        if not notices:
            yield from (segment for segment, _ in decoded)
            return
        detect = functools.partial(self._languages_between, audio, offset)
        yield from flagged(decoded, language, self._window_speech, detect)

    def _batch_found(self, found_in_order: Iterator, audio, offset: float, clips) -> Iterator:
        """Each segment the batches found with the languages of the clip it came from (none
        for a stretch decoded one clip at a time, which was listened to there)."""
        for found in found_in_order:
            if isinstance(found, Region):  # Whisper's checks failed: the ladder, on this clip
                first = int(found.start * SAMPLE_RATE)
                piece = audio[first : int(found.end * SAMPLE_RATE)]
                for segment in self._decode(piece, offset + first / SAMPLE_RATE, conditioned=False):
                    yield segment, _NOT_HEARD
            elif not wordless(found.text):
                segment = self._noted(_segment(found, offset, self.language))
                yield segment, _clip_heard(found.start, clips)

    def _whole_window(self, audio: np.ndarray) -> bool:
        return self.window_vad is not None and _same_samples(audio, self.window_vad[0])

    def _probabilities(self, audio: np.ndarray) -> SpeechProbabilities:
        """The window's speech probabilities where `audio` is the whole window, else its own."""
        if self._whole_window(audio):
            return self.window_vad[1]
        return SpeechProbabilities(audio)

    def _prompt(self, conditioned: bool, context: tuple = ()) -> list[int] | None:
        """The user's prompt, then the text before: `context`, else (decoding on from the
        window before) its last tokens."""
        tokens = list(context or (self.carried if conditioned else ()))
        if self.request.prompt:
            # As faster-whisper encodes a text prompt.
            text = " " + self.request.prompt.strip()
            tokens = self.model.hf_tokenizer.encode(text, add_special_tokens=False).ids + tokens
        return tokens or None

    def _decode(
        self,
        audio: np.ndarray,
        offset: float,
        *,
        conditioned: bool,
        language: str | None = None,
        temperatures: tuple[float, ...] | None = None,
        beam_size: int | None = None,
        context: tuple = (),
        max_new_tokens: int | None = None,
        unfiltered: bool = False,
    ) -> Iterator:
        """The segments of `audio`, in `language` (else the run's); announces the language on
        the first call when no part announced it. `unfiltered`: all of `audio`, no silence
        dropped (speech Silero does not hear, which its chunks would drop whole)."""
        language = language or self.language
        prompt = self._prompt(conditioned, context)
        # The decoder drops only long silences (faster-whisper's VAD settings otherwise): each
        # silence dropped joins two pieces of speech, and the decoder then writes them
        # otherwise than a plain call does (docs/benchmarks.md, issue 9). The sensitive
        # far-field VAD only finds speech that got no text, which is then decoded on its own.
        options = self.backend.decoder_vad
        whole = [{"start": 0, "end": len(audio)}]
        chunks = whole if unfiltered else self._probabilities(audio).chunks(options)
        chunks = _from_the_start(chunks, self.backend.decoder_lead_in_ms)
        # The fallback ladder samples above temperature 0. CTranslate2 seeds each decoding
        # thread's generator once, at its first sample, so this fixes only a fresh worker's
        # first samples: later ones follow on from what the worker sampled before, and a
        # stretch decoded up the ladder can differ from run to run (docs/benchmarks.md, issue 9
        # fifth pass, "run to run").
        ctranslate2.set_random_seed(_SAMPLING_SEED)
        decoder = greedy_first(self.model) if self.backend.decode != "beam" else self.model
        heard: list[dict[str, float]] = []  # each view's languages, where they are listened to
        if self._notices_other_languages(language):
            decoder = hearing(decoder, heard)
        # Features are computed in transcribe() itself (its segments are decoded later).
        with floored_on(self.floor if self._whole_window(audio) else None):
            segments, info = decoder.transcribe(
                # What faster-whisper's vad_filter does, on speech found without a second pass.
                _speech_only(audio, chunks),
                language=language,
                task=self.request.task,
                beam_size=beam_size or self.backend.beam_size,
                initial_prompt=prompt,
                temperature=temperatures or self.temperatures,
                compression_ratio_threshold=_COMPRESSION_RATIO_THRESHOLD,
                log_prob_threshold=_LOG_PROB_THRESHOLD,
                prompt_reset_on_temperature=_PROMPT_RESET_TEMPERATURE,
                # Words aligned whether the caller asked for them or not: a segment is split where
                # they pause (pauses.py), the faint marks and the parts' ends read them, and the
                # log probabilities come out of the alignment. Without them the decoder seeks
                # otherwise, and a segment spanned a 12 s silence ("And so it begins." 0-18.5 s,
                # docs/benchmarks.md, issue 9, session 32). Dropped from the output when not asked.
                word_timestamps=True,
                vad_filter=False,
                condition_on_previous_text=conditioned,
                max_new_tokens=max_new_tokens,
            )
        if chunks:
            segments = restore_speech_timestamps(segments, chunks, SAMPLE_RATE)
        if not self.announced:
            self.announced = True
            self.language = self.language or info.language
            probability = info.language_probability if self.request.language is None else 1.0
            yield LanguageDetected(info.language, float(probability), 0.0)
        # A segment without a word ("." over music) is no transcript (wordless.py).
        decoded = (
            (
                self._noted(_segment(seg, offset, language or info.language)),
                heard[-1] if heard else {},
            )
            for seg in segments
            if not wordless(seg.text)
        )
        if not self._notices_other_languages(language):
            yield from (segment for segment, _ in decoded)
            return
        detect = functools.partial(self._languages_between, audio, offset)
        for segment in flagged(decoded, language, self._window_speech, detect, self._around):
            if segment.heard_language:
                self.heard_other.append((segment.start, segment.end, segment.heard_language))
            yield segment

    def _around(self, start: float, end: float) -> set[str]:
        """The languages of segments flagged `other_language` within _AROUND_SECONDS of file
        seconds [start, end): a stretch decoded again on its own ("to fafaan.", 0.8 s inside
        German) is judged beside them as a view is beside the views around it."""
        return {
            language
            for a, b, language in self.heard_other
            if b >= start - _AROUND_SECONDS and a <= end + _AROUND_SECONDS
        }

    def _noted(self, segment: Segment) -> Segment:
        """`segment`, its language noted as one the decoder cannot write where it is in a
        script that language never uses (_writes)."""
        if "wrong_script" in segment.flags:
            self.unwritten.add(segment.language)
        return segment

    def _notices_other_languages(self, language: str | None) -> bool:
        """Whether the decoder listens for speech in another language than `language`, the one
        the user asked for (other_language.py): a multilingual model transcribing. Asked to
        detect, each part is decoded in its own language instead (regions.py)."""
        return (
            self.request.language is not None
            and language is not None
            and self.request.task == "transcribe"
            and self.model.model.is_multilingual
        )

    def _languages_between(self, audio: np.ndarray, offset: float, start: float, end: float):
        """The language probabilities of file seconds [start, end) of `audio` (from `offset`)."""
        return self._detect(_span(audio, offset, start, end)[1])

    def _window_speech(self, start: float, end: float) -> float:
        return self._speech_seconds(self.window_offset, start, end)


# The languages of a segment its batch did not listen to: nothing to flag it by.
_NOT_HEARD: dict[str, float] = {}


def _clip_heard(start: float, clips: list[tuple[Region, dict[str, float]]]) -> dict[str, float]:
    """The languages of the clip a segment starting at `start` (window seconds) came from: the
    latest-starting clip around it (a stream's next clip starts where the text before ended)."""
    around = [(clip, heard) for clip, heard in clips if clip.start <= start < clip.end]
    return max(around, key=lambda found: found[0].start)[1] if around else _NOT_HEARD


def _short_and_unsure(segment: Segment) -> bool:
    return (
        bool(segment.words)
        and _SHORT_SWITCH_SECONDS <= segment.end - segment.start < SURE_SPEECH_SECONDS
        and float(np.mean([w.probability for w in segment.words])) <= _UNSURE_WORD_PROBABILITY
    )


def _from_the_start(chunks: list[dict], lead_in_ms: int) -> list[dict]:
    """The decoder's speech chunks with a silence of under `lead_in_ms` before the first kept,
    as a short silence between chunks is. Cut off, it moves every 30 s view of the decoder, and the
    decoder writes the same speech otherwise than a plain call: 80 ms cut off a development
    recording's start gave "seatbelts" three times for the plain call's "seat belts" (tiny.en;
    1.36 s, the same with base; docs/benchmarks.md, issue 9, session 28)."""
    short = lead_in_ms * SAMPLE_RATE // 1000
    if not chunks or chunks[0]["start"] >= short:
        return chunks
    return [{**chunks[0], "start": 0}, *chunks[1:]]


def _speech_only(audio: np.ndarray, chunks: list[dict]) -> np.ndarray:
    """`audio`'s `chunks` (sample offsets) joined, as faster-whisper's collect_chunks joins
    them, in one copy: it joins them one at a time, each join a new copy of all before it
    (docs/benchmarks.md, issue 9, session 33)."""
    return np.concatenate(
        [np.zeros(0, np.float32), *(audio[c["start"] : c["end"]] for c in chunks)]
    )


def _same_samples(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether `a` is `b` (a view of all of it counts: a part that spans the whole window)."""
    return len(a) == len(b) and a.__array_interface__["data"] == b.__array_interface__["data"]


def _token_cap(seconds: float) -> int | None:
    """The most tokens a decode of a stretch this long (one 30 s view at most; None for
    longer) may write: real speech needs far fewer."""
    if seconds > CLIP_SECONDS:
        return None
    return min(_MAX_NEW_TOKENS, round(_CAP_BASE_TOKENS + _CAP_TOKENS_PER_SECOND * seconds))


def _looped(segments: list[Segment], cap: int | None) -> bool:
    """Whether text decoded again is a loop: it ran to the token cap (cut off there, a loop
    need not compress enough to fail Whisper's check), or one phrase comes back to back
    again and again, within a segment or across them."""
    reached = cap is not None and sum(len(s.tokens) for s in segments) >= cap
    return reached or repetitive(" ".join(s.text for s in segments))


def _temperatures(first: float) -> tuple[float, ...]:
    """The fallback ladder from the requested temperature up to 1.0."""
    steps = max(0, round((1.0 - first) / _TEMPERATURE_STEP))
    return tuple(round(first + i * _TEMPERATURE_STEP, 2) for i in range(steps + 1))


def _carried(segments: list[Segment], language: str = "") -> tuple[int, ...]:
    """The prompt for the next window: the tokens (timestamps included) of the last whole
    segments the decoder was sure of, never a loop, nor text of another `language` than the
    next decode's (empty: any)."""
    healthy: list[Segment] = []
    for seg in segments:
        if _prompts(seg, language):
            healthy.append(seg)
        else:
            healthy = []  # as faster-whisper resets its own prompt within a window
    carried: tuple[int, ...] = ()
    for seg in reversed(healthy):
        if len(seg.tokens) + len(carried) > _CARRIED_PROMPT_TOKENS:
            break
        carried = tuple(seg.tokens) + carried
    return carried


def _prompts(segment: Segment, language: str = "") -> bool:
    """Whether `segment` may prompt a decode in `language`: text decoded with confidence that
    no guard cut, doubted or flagged, that does not loop, in that language. Conditioned on a
    loop the decoder goes on looping; on another language, it writes that one."""
    return not (
        segment.untranscribed
        or segment.temperature > _PROMPT_RESET_TEMPERATURE
        or _NO_PROMPT_FLAGS.intersection(segment.flags)
        or (language and segment.language and segment.language != language)
        or repetitive(segment.text)
        or stutters(segment.text)
    )


def _quiet_cut(buffer: np.ndarray, size: int) -> int:
    """Where a window of about `size` samples ends: the middle of the longest quiet stretch
    among its last _CUT_SEARCH_SECONDS, so that both windows keep part of the pause. Cut at the
    pause's first quiet 100 ms instead, a window ended a few hundredths of a second after its
    last word, and Whisper, given speech to the very end of its audio, wrote "Thank you." over
    that word's end (30.9-minute development recording, docs/benchmarks.md, issue 9)."""
    search = int(_CUT_SEARCH_SECONDS * SAMPLE_RATE)
    start = max(0, size - search)
    region = buffer[start:size]
    if len(region) // PAUSE_FRAME < 2:
        return size
    _, runs = quiet_runs(region)
    first, length = max(runs, key=lambda run: run[1])  # the first of the longest
    return start + first * PAUSE_FRAME + length * PAUSE_FRAME // 2


def _segment(seg, offset: float, language: str) -> Segment:
    """A decoded segment in file seconds; text in a script `language` never uses flagged, a
    mark glued to a letter of another script dropped (scripts.py)."""
    words = tuple(
        Word(
            without_stray_marks(w.word),
            round(w.start + offset, 3),
            round(w.end + offset, 3),
            round(w.probability, 4),
        )
        for w in (seg.words or [])
    )
    text = without_stray_marks(seg.text)
    start = round(seg.start + offset, 3)
    words, end = timed_words(words, start, round(seg.end + offset, 3))
    return Segment(
        start=start,
        end=end,
        text=text,
        words=words,
        avg_logprob=float(seg.avg_logprob),
        no_speech_prob=float(seg.no_speech_prob),
        compression_ratio=float(seg.compression_ratio),
        temperature=float(seg.temperature or 0.0),
        tokens=tuple(seg.tokens),
        language=language,
        flags=("wrong_script",) if wrong_script(text, language) else (),
    )


def _untranscribed(start: float, end: float) -> Segment:
    return Segment(
        start=start, end=end, text=UNTRANSCRIBED_TEXT, untranscribed=True, flags=("loop",)
    )


def _gap_mark(
    start: float, end: float, reason: str, language: str = "", sound: str = ""
) -> Segment:
    return Segment(
        start=round(start, 3),
        end=round(end, 3),
        text="",
        untranscribed=True,
        gap=reason,
        language=language,
        sound=sound,
    )


def _confident(segment: Segment) -> bool:
    """Text a decoder was sure of: taken at the first temperatures, likely enough and not
    repeating itself (Whisper's own log-probability and compression thresholds) and from what
    it took for speech more than not (a breath the sensitive VAD kept came back as "this" at
    no-speech 0.53: invented, not transcribed)."""
    return (
        bool(segment.text.strip())
        and not repetitive(segment.text)
        and segment.temperature <= _PROMPT_RESET_TEMPERATURE
        and segment.avg_logprob >= _LOG_PROB_THRESHOLD
        and segment.compression_ratio <= _COMPRESSION_RATIO_THRESHOLD
        and segment.no_speech_prob < _GAP_NO_SPEECH_PROB
    )


def _said_again(decoded: list[Segment], segment: Segment, later: list) -> bool:
    """Whether `segment`'s span, decoded again as `decoded`, still gives words that come
    again in `later`: real speech said twice (repeats.py)."""
    joined = dataclasses.replace(segment, text=" ".join(s.text for s in decoded), words=())
    return repeats_later(joined, later, share=SAME_SHARE, min_words=1)


def _checked(segment: Segment) -> bool:
    """Whether text decoded again passes Whisper's own checks (likely enough, not repetitive)
    and is no loop too short for the compression check to catch (loops.repetitive)."""
    return (
        segment.avg_logprob >= _LOG_PROB_THRESHOLD
        and segment.compression_ratio <= _COMPRESSION_RATIO_THRESHOLD
        and not repetitive(segment.text)
    )


def _without_echoes(events: Iterator, heard_again: list) -> Iterator:
    """`events` without the text decoded again in a stretch left without text (`heard_again`)
    where it only repeats the words next to it. Words are aligned a few tenths of a second off,
    and the padded speech around them is then taken for speech without text: decoded on its
    own, it gives the neighbouring word again ("Today" before "Today, only platforms ...") or
    the piece of it left outside ("ends" after "begins", "S" before "Ask"): 9 words added on
    the 30.9-minute development recording, 2 on a 3-minute one (docs/benchmarks.md, issue 9).
    Text decoded again that is new or stands apart from its neighbours is kept."""
    before: Segment | None = None
    held: list[Segment] = []
    for event in events:
        if any(event is found for found in heard_again):
            held.append(event)
            continue
        after = event if isinstance(event, Segment) and event.text.strip() else None
        yield from _unless_echo(held, before, after)
        held = []
        before = after or before
        yield event
    yield from _unless_echo(held, before, None)


def _unless_echo(held: list, before: Segment | None, after: Segment | None) -> list:
    said = words(" ".join(s.text for s in held))
    if not said:
        return held
    echoes = [
        words(after.text)[: len(said)] if after else [],
        words(before.text)[-len(said) :] if before else [],
    ]
    # One word touching a segment is the piece of its edge word the aligner left outside
    # (every one-word text decoded again on the development recordings was one).
    touching = (after and held[-1].end + _TOUCHING_SECONDS >= after.start) or (
        before and held[0].start - _TOUCHING_SECONDS <= before.end
    )
    if said in echoes or (len(said) == 1 and touching):
        logger.info("Text decoded again at %.1fs repeats its neighbour: dropped", held[0].start)
        return []
    return held


def _within(regions: list[Region], part: Part, offset: float) -> list[Region]:
    """What of `regions` (window seconds) lies on `part`'s side of its cuts (regions.within),
    in file seconds."""
    return [Region(r.start + offset, r.end + offset) for r in within(regions, part.start, part.end)]


def _until(events: Iterator, end: float) -> Iterator:
    """`events` up to the first segment that reaches `end` (file seconds)."""
    for event in events:
        yield event
        if isinstance(event, Segment) and event.end >= end:
            return


def _loudest(audio: np.ndarray, offset: float, start: float, end: float) -> float:
    """The file second of the loudest 20 ms of file seconds [start, end) in a window starting at
    `offset` (`start` where that is under 20 ms)."""
    first, piece = _span(audio, offset, start, end)
    frame = SAMPLE_RATE // 50
    frames = len(piece) // frame
    if not frames:
        return start
    energy = (piece[: frames * frame].reshape(frames, frame) ** 2).mean(axis=1)
    return offset + (first + (int(energy.argmax()) + 0.5) * frame) / SAMPLE_RATE


def _heard_until(probabilities: SpeechProbabilities, offset: float, end: float) -> SpeechHeard:
    """The speech heard in a window from `offset` up to file second `end`."""
    regions = [(a, min(b, end)) for a, b in heard(probabilities, offset) if a < end]
    return SpeechHeard(offset, end, tuple(regions))


def _flagged_first(segments: Iterator, flag: str) -> Iterator:
    """`segments` with `flag` on the first segment (where something happened)."""
    first = True
    for event in segments:
        if first and isinstance(event, Segment):
            event = dataclasses.replace(event, flags=(*event.flags, flag))
            first = False
        yield event


def _span(audio: np.ndarray, offset: float, start: float, end: float) -> tuple[int, np.ndarray]:
    """The first sample and the samples of file seconds [start, end) in a window starting at
    `offset`. Segment times are rounded to the millisecond, so a segment at the window's start
    can lie a few samples before it: clamped, or the slice would wrap round and come out empty."""
    first = max(0, int((start - offset) * SAMPLE_RATE))
    return first, audio[first : max(first, int((end - offset) * SAMPLE_RATE))]
