"""espeak-ng (Debian package `espeak-ng`, GPL-3.0): formant synthesis, robotic but instant,
in 100+ languages. Run as a subprocess, one per sentence.

A voice id is an espeak language ("fr", "en-gb-x-rp"), optionally with a variant ("en-us+f3").
"""

import shutil
import subprocess
import threading
from collections.abc import Iterator

import numpy as np

from ..errors import ErrorKind, ProviderError
from .base import AudioChunk, TextToSpeechBackend, VoiceInfo
from .phonemes import Lexicon, espeak_phonemes, pieces

_DEFAULT_WPM = 175
_PREVIEW = "Hello, this is eSpeak."

_listing_lock = threading.Lock()
_listings: dict[tuple[str, str], list[tuple[str, str, str]]] = {}


def list_voices(executable: str, kind: str = "") -> list[tuple[str, str, str]]:
    """(language, name, gender) rows of `espeak-ng --voices[=kind]`, cached per process."""
    key = (executable, kind)
    with _listing_lock:
        if key not in _listings:
            args = [executable, f"--voices={kind}" if kind else "--voices"]
            try:
                out = subprocess.run(args, capture_output=True, check=True, timeout=30).stdout
            except (OSError, subprocess.SubprocessError) as exc:
                raise ProviderError(
                    f"espeak-ng could not list its voices: {exc}", kind=ErrorKind.UNAVAILABLE
                ) from exc
            _listings[key] = _parse_voices(out.decode("utf-8", "replace"))
        return _listings[key]


def _parse_voices(listing: str) -> list[tuple[str, str, str]]:
    rows, seen = [], set()
    for line in listing.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 5:
            continue
        language, age_gender, name, file = fields[1], fields[2], fields[3], fields[4]
        if language == "variant":
            language = file.split("/")[-1]
        if language in seen:
            continue
        seen.add(language)
        gender = {"M": "male", "F": "female"}.get(age_gender.split("/")[-1], "")
        rows.append((language, name.replace("_", " "), gender))
    return rows


class EspeakBackend(TextToSpeechBackend):
    label = "eSpeak NG (robotic, 100+ languages, offline)"
    speed_range = (80 / _DEFAULT_WPM, 450 / _DEFAULT_WPM)  # espeak-ng's words per minute
    runs_locally = True
    # Its [[...]] input takes its own phoneme names, which `espeak_phonemes` writes from IPA.
    supports_phonemes = True

    def __init__(
        self,
        *,
        alias: str,
        executable: str = "espeak-ng",
        variants_for: tuple[str, ...] = ("en-us",),
        timeout: float = 60.0,
        **options,
    ):
        options.setdefault("default_voice", "en-us")
        super().__init__(alias=alias, **options)
        self.executable = executable
        # Languages whose voice is also listed once per variant (f1-f5, m1-m8, klatt, ...).
        self.variants_for = tuple(variants_for)
        self.timeout = timeout

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(language for language, _, _ in list_voices(self.executable))

    def voices(self) -> list[VoiceInfo]:
        voices = [
            self._voice(language, name, gender)
            for language, name, gender in list_voices(self.executable)
        ]
        by_id = {v.id: v for v in voices}
        for language in self.variants_for:
            if language in by_id:
                voices.extend(
                    self._variant(by_id[language], *row)
                    for row in list_voices(self.executable, "variant")
                )
        return voices

    def resolve_voice(self, voice_id: str) -> VoiceInfo | None:
        voice_id = voice_id or self.default_voice
        language, _, variant = voice_id.partition("+")
        base = next((v for v in self.voices() if v.id == language), None)
        if base is None or not variant:
            return base
        row = next((r for r in list_voices(self.executable, "variant") if r[0] == variant), None)
        return self._variant(base, *row) if row else None

    def configuration_problem(self) -> str | None:
        if shutil.which(self.executable) is None:
            return f"{self.executable!r} is not installed (apt-get install espeak-ng)"
        return None

    def speak(
        self,
        sentence: str,
        *,
        voice: VoiceInfo,
        language: str,
        speed: float,
        lexicon: Lexicon = (),
    ) -> Iterator[AudioChunk]:
        if lexicon:
            sentence = " ".join(
                f"[[{espeak_phonemes(ipa)}]]" if ipa is not None else text
                for text, ipa in pieces(sentence, lexicon)
            )
        args = [
            self.executable,
            "-v",
            voice.id,
            "-s",
            str(round(_DEFAULT_WPM * speed)),
            "-b",
            "1",
            "--stdout",
        ]
        try:
            result = subprocess.run(
                args,
                input=sentence.encode("utf-8"),
                capture_output=True,
                timeout=self.timeout,
                check=True,
            )
        except subprocess.TimeoutExpired as exc:
            raise ProviderError("espeak-ng took too long.", kind=ErrorKind.TIMEOUT) from exc
        except (OSError, subprocess.CalledProcessError) as exc:
            raise ProviderError(f"espeak-ng failed: {exc}", kind=ErrorKind.UNAVAILABLE) from exc
        samples, rate = read_wav(result.stdout)
        if len(samples):
            yield AudioChunk(samples, rate, sentence)

    def _voice(self, language: str, name: str, gender: str) -> VoiceInfo:
        return VoiceInfo(
            id=language,
            name=name,
            engine=self.alias,
            languages=(language,),
            gender=gender,
            style="robotic",
            description=f"eSpeak NG {name}: formant synthesis.",
            preview_text=_PREVIEW,
        )

    def _variant(self, base: VoiceInfo, variant: str, name: str, gender: str) -> VoiceInfo:
        return VoiceInfo(
            id=f"{base.id}+{variant}",
            name=f"{base.name} ({name})",
            engine=self.alias,
            languages=base.languages,
            gender=gender or base.gender,
            style="robotic",
            description=f"eSpeak NG {base.name}, variant {name}.",
            preview_text=_PREVIEW,
        )


def read_wav(data: bytes) -> tuple[np.ndarray, int]:
    """PCM of the WAV espeak-ng (or flite) writes to a pipe (its sizes say 'unknown', so chunks are
    walked by hand and the data runs to the end)."""
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ProviderError("The engine wrote no WAV audio.", kind=ErrorKind.INTERNAL)
    rate, pos = 22050, 12
    while pos + 8 <= len(data):
        tag, size = data[pos : pos + 4], int.from_bytes(data[pos + 4 : pos + 8], "little")
        if tag == b"fmt ":
            rate = int.from_bytes(data[pos + 12 : pos + 16], "little")
        if tag == b"data":
            body = data[pos + 8 :]
            body = body[: len(body) // 2 * 2]
            return np.frombuffer(body, dtype="<i2").copy(), rate
        pos += 8 + size
    raise ProviderError("The engine wrote no audio data.", kind=ErrorKind.INTERNAL)
