"""The voice-cloning contract: make a provider voice from a few recordings of one speaker, and
remove it again. The voice is then spoken by a text-to-speech engine (`tts_engine`)."""

from dataclasses import dataclass, field
from pathlib import Path

from apps.core.media import InvalidMedia, probe

from ..errors import ErrorKind, ProviderError


@dataclass(frozen=True)
class VoiceCloneRequest:
    name: str
    sample_paths: tuple[Path, ...]  # recordings of the one speaker, in any format PyAV reads
    description: str = ""
    labels: dict[str, str] = field(default_factory=dict, hash=False)  # e.g. {"accent": "irish"}
    # Ask the provider to clean the samples first (where `supports_noise_removal`).
    remove_background_noise: bool = False


@dataclass(frozen=True)
class ClonedVoice:
    provider_voice_id: str  # the voice id to give the `tts_engine`
    # The provider wants the speaker to confirm consent before the voice may be used.
    requires_verification: bool = False


class CloningBackend:
    """Base class for cloning providers. Subclasses set the flags and implement `create` and
    `delete`, raising `ProviderError` (a bad request is `ErrorKind.INVALID_INPUT`).

    `check` validates a request before anything is uploaded; `create` calls it.
    """

    label = "Voice cloning"
    min_samples = 1
    max_samples = 25
    # Follows `VoiceCloneRequest.remove_background_noise`; others ignore it.
    supports_noise_removal = False
    # True when the engine runs on this machine (and so only in worker processes).
    runs_locally = False

    def __init__(self, *, alias: str, tts_engine: str = "", **options):
        self.alias = alias
        # The TEXT_TO_SPEECH alias that speaks the voices made here.
        self.tts_engine = tts_engine
        self.options = options

    def create(self, request: VoiceCloneRequest) -> ClonedVoice:
        raise NotImplementedError

    def delete(self, provider_voice_id: str) -> None:
        """Remove the voice at the provider. A voice the provider no longer has is not an
        error: the goal, its absence, holds."""
        raise NotImplementedError

    def check(self, request: VoiceCloneRequest) -> None:
        """Raise INVALID_INPUT for a request no provider call could satisfy."""
        if not request.name.strip():
            raise ProviderError("The voice needs a name.", kind=ErrorKind.INVALID_INPUT)
        count = len(request.sample_paths)
        if not self.min_samples <= count <= self.max_samples:
            raise ProviderError(
                f"Give between {self.min_samples} and {self.max_samples} recordings (got {count}).",
                kind=ErrorKind.INVALID_INPUT,
            )
        for path in request.sample_paths:
            try:
                probe(Path(path))
            except FileNotFoundError as exc:
                raise ProviderError(
                    f"The recording {Path(path).name} is missing.", kind=ErrorKind.INVALID_INPUT
                ) from exc
            except InvalidMedia as exc:
                raise ProviderError(
                    f"{Path(path).name}: {exc}", kind=ErrorKind.INVALID_INPUT
                ) from exc
