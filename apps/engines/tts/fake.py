"""A real, deterministic engine for tests: one tone per sentence, its length set by the text.

It can be slowed down and made to fail, like any engine.
"""

import time
from collections.abc import Iterator

import numpy as np

from ..errors import ErrorKind, ProviderError
from .base import AudioChunk, TextToSpeechBackend, VoiceInfo
from .phonemes import Lexicon, pieces

SAMPLE_RATE = 24_000


class FakeTextToSpeech(TextToSpeechBackend):
    label = "Fake (tests)"
    languages = ("en",)
    runs_locally = True

    def __init__(
        self,
        *,
        alias: str,
        seconds_per_char: float = 0.05,
        delay: float = 0.0,
        fail_with: str = "",
        phonemes: bool = False,
        **options,
    ):
        super().__init__(alias=alias, **options)
        self.seconds_per_char = seconds_per_char
        self.delay = delay  # seconds of "work" per sentence
        self.fail_with = fail_with  # an ErrorKind value: fail after the first sentence
        # Takes phoneme entries, as Piper does; a chunk's text shows such a word as /phonemes/.
        self.supports_phonemes = phonemes

    def voices(self) -> list[VoiceInfo]:
        return [
            VoiceInfo(
                "low",
                "Low tone",
                self.alias,
                ("en",),
                "male",
                "test",
                "A 150 Hz tone.",
                "Hello from the low tone.",
            ),
            VoiceInfo(
                "high",
                "High tone",
                self.alias,
                ("en",),
                "female",
                "test",
                "A 300 Hz tone.",
                "Hello from the high tone.",
            ),
        ]

    def speak(
        self, sentence: str, *, voice: VoiceInfo, language: str, speed: float, lexicon: Lexicon = ()
    ) -> Iterator[AudioChunk]:
        if lexicon:
            sentence = "".join(
                text if ipa is None else f"/{ipa}/" for text, ipa in pieces(sentence, lexicon)
            )
        time.sleep(self.delay)
        pitch = 150.0 if voice.id == "low" else 300.0
        count = int(len(sentence) * self.seconds_per_char / speed * SAMPLE_RATE)
        t = np.arange(count, dtype=np.float32) / SAMPLE_RATE
        samples = (0.3 * np.sin(2 * np.pi * pitch * t)).astype(np.float32)
        yield AudioChunk(samples, SAMPLE_RATE, sentence)
        if self.fail_with:
            raise ProviderError(
                f"The fake engine failed ({self.fail_with}).", kind=ErrorKind(self.fail_with)
            )
