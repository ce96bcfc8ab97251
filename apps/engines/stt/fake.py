"""A real, deterministic engine for tests: it reads the file's duration and 'hears' numbered
segments. It can be slowed down, made to fail, and stopped, like any engine."""

import time
from collections.abc import Iterator

from apps.core.media import InvalidMedia, probe

from ..errors import ErrorKind, ProviderError
from .base import (
    LanguageDetected,
    ModelInfo,
    Segment,
    SpeechToTextBackend,
    TranscriptionEvent,
    TranscriptionRequest,
    Word,
)


class FakeSpeechToText(SpeechToTextBackend):
    label = "Fake (tests)"
    runs_locally = True

    def __init__(
        self,
        *,
        alias: str,
        segment_seconds: float = 2.0,
        delay: float = 0.0,
        fail_with: str = "",
        gaps: tuple[int, ...] = (),
        heard_in: dict[int, str] | None = None,
        sounds: dict[int, str] | None = None,
        language_probability: float = 0.99,
        **options,
    ):
        super().__init__(alias=alias, **options)
        self.segment_seconds = segment_seconds
        self.delay = delay
        self.fail_with = fail_with  # an ErrorKind value: fail after the first segment
        self.gaps = set(gaps)  # these segments come out as marks of speech without text
        # These segments were heard in another language (index: language), flagged so.
        self.heard_in = heard_in or {}
        # These segments come out as marks naming a sound (index: "laughter"), not speech.
        self.sounds = sounds or {}
        # How sure detection is of the language it "hears" (English) when none is given.
        self.language_probability = language_probability

    def models(self) -> list[ModelInfo]:
        return [ModelInfo("fake", "Fake model", aliases=("whisper-1",))]

    def transcribe(self, request: TranscriptionRequest) -> Iterator[TranscriptionEvent]:
        try:
            duration = probe(request.audio_path).duration
        except InvalidMedia as exc:
            raise ProviderError(str(exc), kind=ErrorKind.INVALID_INPUT) from exc
        sure = 1.0 if request.language else self.language_probability
        yield LanguageDetected(request.language or "en", sure, duration)
        start, index = request.start_at, int(request.start_at // self.segment_seconds)
        while start < duration:
            if request.should_stop():
                return
            end = min(duration, start + self.segment_seconds)
            time.sleep(self.delay)
            text = f" Segment {index}."
            mid = round((start + end) / 2, 3)
            if index in self.gaps or index in self.sounds:
                sound = self.sounds.get(index, "")
                gap = "sound" if sound else "no_text"
                yield Segment(
                    round(start, 3), round(end, 3), "", untranscribed=True, gap=gap, sound=sound
                )
                start, index = end, index + 1
                continue
            yield Segment(
                start=round(start, 3),
                end=round(end, 3),
                text=text,
                words=(
                    Word(" Segment", round(start, 3), mid),
                    Word(f" {index}.", mid, round(end, 3)),
                ),
                **self._heard(index),
            )
            if self.fail_with:
                raise ProviderError(
                    f"The fake engine failed ({self.fail_with}).", kind=ErrorKind(self.fail_with)
                )
            start, index = end, index + 1

    def _heard(self, index: int) -> dict:
        if index not in self.heard_in:
            return {}
        return {"flags": ("other_language",), "heard_language": self.heard_in[index]}
