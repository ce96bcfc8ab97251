"""The analyses a user or API client asked for, checked in one place."""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

from apps.engines.analysis import analysis_backends

from .models import AnalysisRun

Kind = AnalysisRun.Kind
# In the order the page shows them and the worker runs them (speakers first: it is the one
# users wait for, and text analyses do not depend on it).
KINDS = (Kind.SPEAKERS, Kind.SUMMARY, Kind.KEYWORDS, Kind.CHAPTERS, Kind.ENTITIES, Kind.SENTIMENT)
MAX_SPEAKERS = 10


@dataclass(frozen=True)
class KnownSpeaker:
    """A name with a short clip of that voice (an API client's known_speaker_references[]).
    The clip is stored beside the transcript's media when the analyses are asked for."""

    name: str
    data: bytes = field(default=b"", repr=False)
    suffix: str = ".wav"


@dataclass(frozen=True)
class AnalysisOptions:
    kinds: tuple[str, ...] = ()
    num_speakers: int | None = None  # None: estimate
    known_speakers: tuple[KnownSpeaker, ...] = field(default=())

    def for_kind(self, kind: str, *, known_paths: tuple[str, ...] = ()) -> dict:
        """The options stored on one run; `known_paths`: where the known speakers' clips are."""
        if kind != Kind.SPEAKERS:
            return {}
        known = [
            {"name": k.name, "path": path}
            for k, path in zip(self.known_speakers, known_paths, strict=True)
        ]
        return {"num_speakers": self.num_speakers, "known_speakers": known}


def analysis_options_validate(
    *, kinds=(), num_speakers: str | int | None = None, known_speakers=()
) -> AnalysisOptions:
    """Raise ValidationError keyed by field; "auto", "" and None mean: estimate the count."""
    unknown = sorted(set(kinds) - set(Kind.values))
    if unknown:
        raise ValidationError({"analyses": f"Unknown analyses: {', '.join(unknown)}."})
    count = _speaker_count(num_speakers)
    ordered = tuple(k.value for k in KINDS if k in set(kinds))
    return AnalysisOptions(ordered, count, tuple(known_speakers))


def _speaker_count(value) -> int | None:
    if value in (None, "", "auto"):
        return None
    try:
        count = int(value)
    except (TypeError, ValueError):
        raise ValidationError({"speakers": "Give a number of speakers or 'auto'."}) from None
    if not 1 <= count <= MAX_SPEAKERS:
        raise ValidationError({"speakers": f"The number of speakers must be 1–{MAX_SPEAKERS}."})
    return count


def analysis_choices() -> list[tuple[str, str]]:
    return [(k.value, k.label) for k in KINDS]


def speaker_count_choices() -> list[tuple[str, str]]:
    return [("auto", "Detect")] + [(str(n), str(n)) for n in range(1, MAX_SPEAKERS + 1)]


def unavailable_analyses(language: str) -> dict[str, str]:
    """Kind -> why it cannot run on a transcript in `language`, with the default engine."""
    return {
        k.value: reason for k, reason in analysis_backends.default().unavailable(language).items()
    }
