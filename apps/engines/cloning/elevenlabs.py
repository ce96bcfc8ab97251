"""ElevenLabs instant voice cloning (`voices.ivc.create`), through the `elevenlabs` 2.x SDK."""

import mimetypes
from functools import cached_property
from pathlib import Path

from ..cloud import DEFAULT_MAX_RETRIES, elevenlabs_error
from ..errors import ErrorKind, ProviderError
from ..tts.elevenlabs import SDK_ERRORS, ElevenLabs, make_client
from .base import ClonedVoice, CloningBackend, VoiceCloneRequest

# Uploading a few minutes of samples takes a while on a slow line.
DEFAULT_TIMEOUT = 300.0


class ElevenLabsCloning(CloningBackend):
    """Instant voice cloning: the samples are uploaded and the voice is ready at once, in the
    account's voice list, where the ElevenLabs text-to-speech engine finds it."""

    label = "ElevenLabs instant voice cloning (cloud)"
    max_samples = 25
    supports_noise_removal = True

    def __init__(
        self,
        *,
        alias: str,
        api_key: str = "",
        base_url: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        **options,
    ):
        super().__init__(alias=alias, **options)
        self.api_key = api_key
        self.base_url = base_url
        self.timeout = timeout
        self.max_retries = max_retries

    @cached_property
    def client(self) -> ElevenLabs:
        return make_client(api_key=self.api_key, base_url=self.base_url, timeout=self.timeout)

    def configuration_problem(self) -> str | None:
        return None if self.api_key else "no API key (set ELEVENLABS_API_KEY)"

    def create(self, request: VoiceCloneRequest) -> ClonedVoice:
        self._require_key()
        self.check(request)
        options = {}
        if request.description:
            options["description"] = request.description
        if request.labels:
            options["labels"] = dict(request.labels)
        if request.remove_background_noise:
            options["remove_background_noise"] = True
        files = [_upload(Path(p)) for p in request.sample_paths]
        try:
            reply = self.client.voices.ivc.create(
                name=request.name.strip(),
                files=files,
                # Never retried here: the SDK's retry resends the files without the form fields
                # (name, labels), which the API refuses. A 5xx is UNAVAILABLE and the job retries.
                request_options={"max_retries": 0},
                **options,
            )
        except SDK_ERRORS as exc:
            raise elevenlabs_error(exc) from exc
        return ClonedVoice(reply.voice_id, requires_verification=reply.requires_verification)

    def delete(self, provider_voice_id: str) -> None:
        self._require_key()
        try:
            self.client.voices.delete(
                provider_voice_id, request_options={"max_retries": self.max_retries}
            )
        except SDK_ERRORS as exc:
            if getattr(exc, "status_code", None) == 404:
                return  # already gone
            raise elevenlabs_error(exc) from exc

    def _require_key(self) -> None:
        if not self.api_key:
            raise ProviderError(
                "ElevenLabs has no API key configured.", kind=ErrorKind.AUTHENTICATION
            )


def _upload(path: Path) -> tuple[str, bytes, str]:
    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return path.name, path.read_bytes(), content_type
