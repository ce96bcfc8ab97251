"""Voice matching: the offline stand-in for voice cloning.

No offline package ships zero-shot cloning weights, so a custom voice is the stock voice nearest
to the user's samples (by speaker embedding of each voice's preview), reshaped with the WORLD
vocoder: average pitch and pitch range moved towards the samples' (none, half or all of the way,
whichever the embedding prefers), formants (spectral envelope) warped, the average spectral
tilt/timbre equalised towards the samples', each voiced frame's envelope moved towards the
samples' frames that sound most like it (frames.py), and last a smooth equaliser steered by the
speaker encoder itself (steer.py). It sounds *similar*, it is not a clone, and the product must
say so.

Honesty of the figures: the warp and the equaliser are chosen on one text (FIT_TEXT); the
similarities reported are measured on another (EVAL_TEXT) that the search never saw.
"""

import logging
import threading
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import NamedTuple

import numpy as np

from ..errors import ErrorKind, ProviderError
from ..tts.base import AudioChunk, SpeechRequest, TextToSpeechBackend, VoiceInfo
from . import frames, steer, world
from .embed import SAMPLE_RATE, embed_speaker, embed_utterance, preprocess, resample, similarity

logger = logging.getLogger(__name__)

FIT_TEXT = (
    "My grandmother kept a small garden behind the old stone house. Every summer she grew "
    "beans, sweet peppers and bright yellow flowers."
)
# Chooses among the fitted stock voices: a third text, so that neither the search's own scores
# (FIT_TEXT, flattered by the search) nor the reported ones (EVAL_TEXT) decide.
SELECT_TEXT = (
    "She opened the window and listened to the birds for a while. Then she made a pot of tea "
    "and sat down to write a long letter to her brother."
)
EVAL_TEXT = (
    "The train was late again this morning, so we waited on the platform and talked about the "
    "weather. Nobody expected the sudden storm."
)
# Share of the way from the stock voice's mean pitch (and spread) to the samples'.
PITCH_SHARES = (0.0, 0.5, 1.0)
# Formant warps tried first; the best is then refined by FORMANT_STEP either way.
FORMANT_RATIOS = (0.88, 0.94, 1.0, 1.06, 1.12)
FORMANT_STEP = 0.03
EQ_STRENGTHS = (0.5, 1.0)
# How far each voiced frame is moved to the samples' nearest spectral shapes (frames.py).
FRAME_STRENGTHS = (0.5, 1.0)
# How much of the encoder-steered equaliser (steer.py) is applied.
STEER_STRENGTHS = (0.5, 1.0)


# The equaliser works on these band centres (Hz); above the last it fades out.
EQ_FREQUENCIES = tuple(round(float(f), 1) for f in frames.mel_spaced(100.0, 7600.0, 32))
EQ_LIMIT_DB = 12.0
MIN_SAMPLE_SPEECH_SECONDS = 3.0
# Stock voices fitted, nearest first: the nearest stock voice is not always the one that comes
# closest once reshaped (bench/bench_voice_likeness.py), so each is fitted and the closest on
# SELECT_TEXT wins. Four covers every native English voice offline.
FIT_CANDIDATES = 4


@dataclass(frozen=True)
class VoiceMatch:
    """How to turn a stock voice into one closer to the samples; JSON-able via as_dict()."""

    engine: str  # backend alias of the stock voice
    voice: str  # its voice id
    source_f0: float  # the stock voice's mean F0 (Hz, geometric)
    target_f0: float  # the samples' mean F0
    f0_range: float  # samples' log-F0 spread / stock voice's
    formant_ratio: float = 1.0
    eq_db: tuple[float, ...] = ()  # gain per EQ_FREQUENCIES band, empty for none
    # The samples' spectral shapes, frame by frame (frames.FrameMap), and how far to go to them.
    frame_map: frames.FrameMap | None = field(default=None, compare=False)
    frame_strength: float = 0.0
    # Encoder-steered equaliser gains (dB) at steer.anchors(len(steer_db)), empty for none.
    steer_db: tuple[float, ...] = ()
    similarity_stock: float = 0.0  # stock voice vs samples, on EVAL_TEXT
    similarity_matched: float = 0.0  # matched voice vs samples, on EVAL_TEXT
    # The stock voice only passed through the vocoder, unchanged: how much of the gain is the
    # vocoder's own colouring rather than the matching.
    similarity_vocoded: float = 0.0
    # (engine, voice, similarity of its preview to the samples), best first.
    candidates: tuple[tuple[str, str, float], ...] = field(default=(), compare=False)
    # The samples' language (ISO 639-1, from their transcription); empty when unknown.
    language: str = ""
    # The stock voice was the user's choice among the candidates, not the nearest.
    chosen: bool = False
    # (engine, voice, similarity on SELECT_TEXT once reshaped) of the stock voices fitted, best
    # first: the first is this match's. Empty when only one was fitted.
    fitted: tuple[tuple[str, str, float], ...] = field(default=(), compare=False)

    @property
    def improvement(self) -> float:
        return self.similarity_matched - self.similarity_stock

    def as_dict(self) -> dict:
        return asdict(self)

    def scaled(self, strength: float) -> "VoiceMatch":
        """This match applied `strength` of the way (0: the stock voice as it is, 1: all)."""
        return replace(
            self,
            target_f0=round(self.source_f0 * (self.target_f0 / self.source_f0) ** strength, 2)
            if self.source_f0
            else self.target_f0,
            f0_range=round(self.f0_range**strength, 3),
            formant_ratio=round(self.formant_ratio**strength, 3),
            eq_db=tuple(round(g * strength, 2) for g in self.eq_db),
            frame_strength=round(self.frame_strength * strength, 3),
            steer_db=tuple(round(g * strength, 2) for g in self.steer_db),
        )

    @classmethod
    def from_dict(cls, data: dict) -> "VoiceMatch":
        data = dict(data)
        data["eq_db"] = tuple(data.get("eq_db", ()))
        data["steer_db"] = tuple(data.get("steer_db", ()))
        data["candidates"] = tuple(tuple(c) for c in data.get("candidates", ()))
        data["fitted"] = tuple(tuple(c) for c in data.get("fitted", ()))
        if data.get("frame_map"):
            data["frame_map"] = frames.FrameMap.from_dict(data["frame_map"])
        return cls(**data)


Candidate = tuple[TextToSpeechBackend, VoiceInfo]


def candidates_for_language(candidates: Sequence[Candidate], language: str) -> list[Candidate]:
    """The candidates a voice in `language` may be matched to: the voices native to it, or when
    there are none, those that speak it with an accent; never a voice of another language.
    An unknown language ("") keeps them all."""
    if not language:
        return list(candidates)
    native = [(b, v) for b, v in candidates if v.is_native(language)]
    return native or [(b, v) for b, v in candidates if v.speaks(language)]


def voice_match(
    samples: Sequence[np.ndarray],
    candidates: Sequence[Candidate],
    *,
    language: str = "",
    base: tuple[str, str] | None = None,
    fit_candidates: int = FIT_CANDIDATES,
) -> VoiceMatch:
    """Find the stock voice nearest to `samples` (16 kHz mono float32 recordings of one
    speaker) among the `candidates` for `language` (see candidates_for_language), or take
    `base` (engine alias, voice id) when the user chose one of them, and the pitch/formant/timbre
    changes that bring it closer. The `fit_candidates` nearest are each fitted; the one that
    comes closest once reshaped, reading SELECT_TEXT, wins.

    Takes 30-120 s on two cores (each candidate's preview is synthesised once per process, then
    ~20 vocoder renderings per fitted voice are scored): run it in a worker.
    """
    candidates = candidates_for_language(candidates, language)
    if not candidates:
        raise ProviderError(
            f"No stock voice speaks the samples' language ({language}), so none can be matched.",
            kind=ErrorKind.INVALID_INPUT,
        )
    # Pieces under a second of speech say little about the voice.
    speech = [s for s in map(preprocess, samples) if len(s) >= SAMPLE_RATE]
    if sum(len(s) for s in speech) < MIN_SAMPLE_SPEECH_SECONDS * SAMPLE_RATE:
        raise ProviderError(
            f"The samples hold too little speech: at least {MIN_SAMPLE_SPEECH_SECONDS:g} seconds "
            "of one person speaking are needed.",
            kind=ErrorKind.INVALID_INPUT,
        )
    target = embed_speaker(speech, preprocessed=True)
    ranked = _rank(target, candidates)
    tried = [(b, v) for b, v, _ in ranked[: max(1, fit_candidates)]]
    if base is not None:
        tried = [(b, v) for b, v, _ in ranked if (b.alias, v.id) == tuple(base)]
        if not tried:
            raise ProviderError(
                f"{base[0]}:{base[1]} is not among the voices this one can be matched to.",
                kind=ErrorKind.INVALID_INPUT,
            )
    fits = [(backend, _Search(target, samples, backend, voice).result) for backend, voice in tried]
    scored = []
    if len(fits) > 1:
        scored = sorted(
            ((b, m, _selection_score(target, b, m)) for b, m in fits), key=lambda f: -f[2]
        )
        fits = [(b, m) for b, m, _ in scored]
    backend, match = fits[0]
    match = _measure(target, backend, match)
    return replace(
        match,
        candidates=tuple((b.alias, v.id, round(s, 4)) for b, v, s in ranked),
        language=language,
        chosen=base is not None,
        fitted=tuple((b.alias, m.voice, round(s, 4)) for b, m, s in scored),
    )


def _rank(target: np.ndarray, candidates: Sequence[Candidate]):
    """(backend, voice, similarity of its preview to `target`), nearest first."""
    rows = [
        (backend, voice, similarity(target, stock_embedding(backend, voice, voice.preview_text)))
        for backend, voice in candidates
    ]
    return sorted(rows, key=lambda row: -row[2])


def _selection_score(target: np.ndarray, backend: TextToSpeechBackend, match: VoiceMatch) -> float:
    """`match` without its steered equaliser, reading SELECT_TEXT, against the samples. The
    equaliser is fitted to the same encoder and flatters some voices more than others: chosen
    with it, the chosen voices came closer by Resemblyzer but further by CAM++ for three of the
    four ways of fitting it measured, by 0.069 for the one kept (docs/benchmarks.md)."""
    audio, rate = speak(backend, match.voice, SELECT_TEXT)
    return similarity(target, _embed(transform(audio, rate, replace(match, steer_db=())), rate))


def _measure(target: np.ndarray, backend: TextToSpeechBackend, match: VoiceMatch) -> VoiceMatch:
    """`match` with its similarities measured on EVAL_TEXT, which the search never saw."""
    audio, rate = speak(backend, match.voice, EVAL_TEXT)
    before = similarity(target, _embed(audio, rate))
    vocoded = similarity(target, _embed(transform(audio, rate, _unchanged(match)), rate))
    after = similarity(target, _embed(transform(audio, rate, match), rate))
    logger.info(
        "Voice match %s/%s: similarity %.3f -> %.3f (vocoder alone %.3f)",
        backend.alias,
        match.voice,
        before,
        after,
        vocoded,
    )
    return replace(
        match,
        similarity_stock=round(before, 4),
        similarity_matched=round(after, 4),
        similarity_vocoded=round(vocoded, 4),
    )


def _unchanged(match: VoiceMatch) -> VoiceMatch:
    return replace(
        match,
        target_f0=match.source_f0,
        f0_range=1.0,
        formant_ratio=1.0,
        eq_db=(),
        frame_strength=0.0,
        steer_db=(),
    )


def synthesize_matched(
    backend: TextToSpeechBackend, match: VoiceMatch, request: SpeechRequest
) -> Iterator[AudioChunk]:
    """`backend` speaking `request` in the matched voice, chunk by chunk. The request's
    similarity_boost is how much of the reshaping is applied (none: all of it)."""
    strength = request.voice_settings.similarity_boost
    match = match if strength is None else match.scaled(strength)
    # Each chunk is reshaped on its own: none may end in the middle of a word.
    request = replace(request, voice=match.voice, first_audio_in_pieces=False)
    for chunk in backend.synthesize_pcm(request):
        yield AudioChunk(
            transform(chunk.as_float32(), chunk.sample_rate, match), chunk.sample_rate, chunk.text
        )


def transform(samples: np.ndarray, rate: int, match: VoiceMatch) -> np.ndarray:
    """The stock voice's `samples` reshaped by `match`."""
    if len(samples) < rate // 10:
        return samples
    return _render(world.analyse(samples, rate), match, reference=samples)


# --- Stock voices ------------------------------------------------------------------------------

_stock_cache: dict[tuple[str, str, str], np.ndarray] = {}
_stock_lock = threading.Lock()


def stock_embedding(backend: TextToSpeechBackend, voice: VoiceInfo, text: str) -> np.ndarray:
    """Embedding of `voice` reading `text`, cached for the life of the process."""
    key = (backend.alias, voice.id, text)
    with _stock_lock:
        cached = _stock_cache.get(key)
    if cached is None:
        cached = _embed(*speak(backend, voice.id, text or FIT_TEXT))
        with _stock_lock:
            _stock_cache[key] = cached
    return cached


def speak(backend: TextToSpeechBackend, voice_id: str, text: str) -> tuple[np.ndarray, int]:
    """The whole of `text` as one float32 array and its sample rate."""
    chunks = list(backend.synthesize_pcm(SpeechRequest(text, voice=voice_id, format="pcm")))
    if not chunks:
        raise ProviderError(
            f"{backend.alias}/{voice_id} produced no audio.", kind=ErrorKind.INTERNAL
        )
    rate = chunks[0].sample_rate
    return np.concatenate([c.as_float32() for c in chunks]), rate


def _embed(samples: np.ndarray, rate: int) -> np.ndarray:
    return embed_utterance(resample(samples, rate))


# --- Fitting -----------------------------------------------------------------------------------


class Params(NamedTuple):
    """One setting of the search: how far each step goes."""

    pitch: float  # share of the way to the samples' pitch
    formants: float  # formant warp ratio
    eq: float = 0.0  # equaliser strength
    frames: float = 0.0  # frame-by-frame transfer strength
    steer: float = 0.0  # strength of the encoder-steered equaliser


class _Search:
    """Pitch shift, formant warp, equaliser and the later steps' strengths, searched on FIT_TEXT
    one step after another, each kept at whatever brings the embedding closest.

    Moving the mean F0 all the way to the samples' is not always what brings the embedding
    closer (the voice's other cues stay), so the shift is searched too, from none to all.
    """

    def __init__(
        self,
        target: np.ndarray,
        samples: Sequence[np.ndarray],
        backend: TextToSpeechBackend,
        voice: VoiceInfo,
        *,
        steer_fit=steer.fit,
    ):
        self.target, self.engine, self.voice = target, backend.alias, voice.id
        # None leaves the steered equaliser out: bench_voice_likeness compares ways of fitting
        # the last step on one search (with `unsteered` and `steered`); the app passes none.
        self.steer_fit = steer_fit
        self.audio, self.rate = speak(backend, voice.id, FIT_TEXT)
        self.source = world.analyse(self.audio, self.rate)
        sample_analyses = [world.analyse(s, SAMPLE_RATE) for s in samples]
        self.source_mean, source_std = world.log_f0_stats(self.source)
        self.target_mean, target_std = _pooled_f0_stats(sample_analyses)
        if not self.source_mean or not self.target_mean:
            raise ProviderError(
                "No voiced speech was found in the samples.", kind=ErrorKind.INVALID_INPUT
            )
        self.spread = float(np.clip(target_std / source_std, 0.5, 2.0)) if source_std else 1.0
        self.target_envelope = _mean_envelope_db(sample_analyses)
        self.frame_map = frames.frame_map(sample_analyses, self.source) if FRAME_STRENGTHS else None
        self.steer_db: tuple[float, ...] = ()
        self.scores: dict[Params, float] = {}
        self.result = self.run()

    def run(self) -> VoiceMatch:
        best = self.best_of([Params(p, r) for p in PITCH_SHARES for r in FORMANT_RATIOS])
        best = self.best_of(
            [best._replace(formants=best.formants + d) for d in (-FORMANT_STEP, 0, FORMANT_STEP)]
        )
        best = self.best_of([best._replace(eq=e) for e in (0.0, *EQ_STRENGTHS)])
        if self.frame_map is not None:
            best = self.best_of([best._replace(frames=f) for f in (0.0, *FRAME_STRENGTHS)])
        self.unsteered = best
        if STEER_STRENGTHS and self.steer_fit is not None:
            best = self.steered(best, self.steer_fit)
        return self.make(best)

    def steered(self, best: Params, fit) -> Params:
        """`best` (without steering) with the equaliser `fit` finds for its rendering (see
        steer.fit), at whichever of STEER_STRENGTHS scores best once really rendered."""
        rendered = _render(self.source, self.make(best), reference=self.audio)
        self.steer_db = fit(resample(rendered, self.rate), self.target)
        for params in [p for p in self.scores if p.steer]:  # another fit's gains
            del self.scores[params]
        if not any(self.steer_db):
            return best
        return self.best_of([best._replace(steer=s) for s in (0.0, *STEER_STRENGTHS)])

    def best_of(self, candidates: list[Params]) -> Params:
        for params in candidates:
            if params not in self.scores:
                rendered = _render(self.source, self.make(params), reference=self.audio)
                self.scores[params] = similarity(self.target, _embed(rendered, self.rate))
        return max(candidates, key=self.scores.__getitem__)

    def make(self, params: Params) -> VoiceMatch:
        shifted = self.source_mean + params.pitch * (self.target_mean - self.source_mean)
        match = VoiceMatch(
            engine=self.engine,
            voice=self.voice,
            source_f0=round(float(np.exp(self.source_mean)), 2),
            target_f0=round(float(np.exp(shifted)), 2),
            f0_range=round(self.spread**params.pitch, 3),
            formant_ratio=round(params.formants, 3),
        )
        if params.frames:
            match = replace(match, frame_map=self.frame_map, frame_strength=params.frames)
        if params.steer:
            gains = np.array(self.steer_db) * params.steer
            match = replace(match, steer_db=tuple(np.round(gains, 2).tolist()))
        if not params.eq:
            return match
        warped = _mean_envelope_db([_warped(self.source, params.formants)])
        correction = np.clip(self.target_envelope - warped, -EQ_LIMIT_DB, EQ_LIMIT_DB)
        return replace(match, eq_db=tuple(np.round(correction * params.eq, 2).tolist()))


def _pooled_f0_stats(analyses: Sequence[world.Analysis]) -> tuple[float, float]:
    voiced = np.concatenate([a.f0[a.voiced] for a in analyses])
    if len(voiced) < 20:
        return 0.0, 0.0
    logs = np.log(voiced)
    return float(logs.mean()), float(logs.std())


def _warped(analysis: world.Analysis, ratio: float) -> world.Analysis:
    return replace(analysis, envelope=world.warp_frequencies(analysis.envelope, ratio))


def _mean_envelope_db(analyses: Sequence[world.Analysis]) -> np.ndarray:
    """Average voiced spectral envelope in dB at EQ_FREQUENCIES, its mean level removed."""
    rows = []
    for analysis in analyses:
        voiced = analysis.envelope[analysis.voiced]
        if len(voiced):
            db = 10 * np.log10(np.maximum(voiced, 1e-12))
            rows.append(
                np.array(
                    [np.interp(EQ_FREQUENCIES, analysis.bin_frequencies(), frame) for frame in db]
                )
            )
    if not rows:
        return np.zeros(len(EQ_FREQUENCIES))
    mean = np.concatenate(rows).mean(axis=0)
    return mean - mean.mean()


# --- Rendering ---------------------------------------------------------------------------------


def _render(analysis: world.Analysis, match: VoiceMatch, *, reference: np.ndarray) -> np.ndarray:
    f0 = analysis.f0.copy()
    voiced = f0 > 0
    if match.source_f0 and match.target_f0:
        logs = np.log(f0[voiced])
        f0[voiced] = np.exp(
            np.log(match.target_f0) + (logs - np.log(match.source_f0)) * match.f0_range
        )
    f0 = np.clip(f0, 0, world.F0_CEIL)
    envelope = world.warp_frequencies(analysis.envelope, match.formant_ratio)
    aperiodicity = world.warp_frequencies(analysis.aperiodicity, match.formant_ratio)
    if match.eq_db:
        envelope = envelope * _eq_gains(analysis.bin_frequencies(), match.eq_db)
    if match.frame_map is not None and match.frame_strength:
        envelope = frames.apply(analysis, envelope, match.frame_map, match.frame_strength)
    if match.steer_db:
        envelope = envelope * steer.power_gains(analysis.bin_frequencies(), match.steer_db)
    out = world.synthesize(
        replace(analysis, f0=f0, envelope=envelope, aperiodicity=np.clip(aperiodicity, 0.0, 1.0))
    )
    return _match_level(out, reference)


def _eq_gains(frequencies: np.ndarray, eq_db: tuple[float, ...]) -> np.ndarray:
    """Power gain per envelope bin: the band gains interpolated, fading to 0 dB past the top."""
    db = np.interp(frequencies, EQ_FREQUENCIES, eq_db)
    top = EQ_FREQUENCIES[-1]
    fade = np.clip((frequencies - top) / 400.0, 0, 1)
    return 10 ** (db * (1 - fade) / 10)


def _match_level(out: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Same loudness as the stock voice, without clipping."""
    rms_out = np.sqrt(np.mean(out**2)) if len(out) else 0.0
    rms_ref = np.sqrt(np.mean(np.asarray(reference, np.float64) ** 2)) if len(reference) else 0.0
    if rms_out > 0 and rms_ref > 0:
        out = out * (rms_ref / rms_out)
    peak = np.max(np.abs(out)) if len(out) else 0.0
    if peak > 0.99:
        out = out * (0.99 / peak)
    return out.astype(np.float32)
