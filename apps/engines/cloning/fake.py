"""A real, in-memory cloning backend for tests: it checks requests like any other, remembers the
voices it made, and can be made to ask for verification or to fail."""

import itertools
import threading

from ..errors import ErrorKind, ProviderError
from .base import ClonedVoice, CloningBackend, VoiceCloneRequest


class FakeCloning(CloningBackend):
    label = "Fake cloning (tests)"
    supports_noise_removal = True

    def __init__(
        self,
        *,
        alias: str,
        requires_verification: bool = False,
        fail_with: str = "",
        **options,
    ):
        super().__init__(alias=alias, **options)
        self.requires_verification = requires_verification
        self.fail_with = fail_with  # an ErrorKind value: every call fails so
        self.voices: dict[str, VoiceCloneRequest] = {}  # what was made, by voice id
        self.deleted: list[str] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def create(self, request: VoiceCloneRequest) -> ClonedVoice:
        self.check(request)
        self._maybe_fail()
        with self._lock:
            voice_id = f"fake-voice-{next(self._ids)}"
            self.voices[voice_id] = request
        return ClonedVoice(voice_id, requires_verification=self.requires_verification)

    def delete(self, provider_voice_id: str) -> None:
        self._maybe_fail()
        with self._lock:
            self.voices.pop(provider_voice_id, None)
            self.deleted.append(provider_voice_id)

    def _maybe_fail(self) -> None:
        if self.fail_with:
            raise ProviderError(
                f"The fake cloning engine failed ({self.fail_with}).",
                kind=ErrorKind(self.fail_with),
            )
