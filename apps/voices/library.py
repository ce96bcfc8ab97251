"""What the voice pages show, prepared so the templates hold no logic."""

from dataclasses import dataclass, field

from django.contrib.auth.models import User
from django.core.paginator import Page, Paginator
from django.db.models import Count
from django.http import QueryDict
from django.urls import reverse

from apps.engines.cloning import cloning_backends
from apps.engines.errors import ProviderError
from apps.engines.stt.languages import LANGUAGES
from apps.engines.tts import tts_backends
from apps.engines.voice.match import VoiceMatch
from apps.jobs.progress import JobProgress

from . import selectors
from .models import CustomVoice, VoicePreview
from .selectors import ResolvedVoice, VoiceOption

PAGE_SIZE = 60


@dataclass(frozen=True)
class LibraryFilters:
    language: str = ""  # primary subtag: "en" finds "en-us" and "en-gb"
    gender: str = ""
    style: str = ""
    engine: str = ""
    q: str = ""

    @classmethod
    def from_query(cls, query: QueryDict) -> "LibraryFilters":
        return cls(**{name: query.get(name, "").strip()[:100] for name in cls.__annotations__})

    def admits(self, option: VoiceOption) -> bool:
        primaries = {code.split("-")[0] for code in option.languages}
        return (
            (not self.language or self.language in primaries)
            and (not self.gender or option.gender == self.gender)
            and (not self.style or option.style == self.style)
            and (not self.engine or option.engine == self.engine)
            and (not self.q or self.q.lower() in f"{option.name} {option.description}".lower())
        )

    @property
    def active(self) -> bool:
        return any(getattr(self, name) for name in self.__annotations__)


@dataclass(frozen=True)
class LibraryVoice:
    option: VoiceOption
    engine_label: str
    preview: str = ""  # "ready", "pending", "failed" or "" (none asked for yet)
    detail_url: str = ""  # custom voices only


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    count: int


@dataclass(frozen=True)
class OwnVoice:
    voice: CustomVoice
    option: VoiceOption | None  # None while it cannot speak yet
    preview: str = ""
    shared: bool = False


@dataclass(frozen=True)
class LibraryPage:
    filters: LibraryFilters
    stock: Page
    stock_total: int
    languages: list[Choice]
    genders: list[Choice]
    styles: list[Choice]
    engines: list[Choice]
    own: list[OwnVoice]
    shared: list[LibraryVoice]
    query_string: str  # the filters, for page links


def library_page(*, user: User, filters: LibraryFilters, page: str | None = None) -> LibraryPage:
    options = selectors.voice_options(user=user)
    states = _preview_states()
    labels = {alias: tts_backends[alias].label for alias in tts_backends.aliases()}
    stock = [o for o in options if o.kind == "stock"]
    shown = [
        LibraryVoice(o, labels.get(o.engine, o.engine), states.get(o.id, ""))
        for o in stock
        if filters.admits(o)
    ]
    usable = {o.id: o for o in options if o.kind == "custom"}
    own = [
        OwnVoice(v, usable.get(v.public_id), states.get(v.public_id, ""), v.share_count > 0)
        for v in CustomVoice.objects.filter(owner=user).annotate(share_count=Count("shares"))
    ]
    query = QueryDict(mutable=True)
    query.update({k: v for k, v in vars(filters).items() if v})
    return LibraryPage(
        filters=filters,
        stock=Paginator(shown, PAGE_SIZE).get_page(page),
        stock_total=len(stock),
        languages=_language_choices(stock),
        genders=_choices(stock, lambda o: [o.gender] if o.gender else []),
        styles=_choices(stock, lambda o: [o.style] if o.style else []),
        engines=[
            Choice(alias, labels[alias], sum(o.engine == alias for o in stock)) for alias in labels
        ],
        own=own,
        shared=[
            LibraryVoice(
                o,
                labels.get(o.engine, o.engine),
                states.get(o.id, ""),
                reverse("voices:detail", args=[selectors.custom_voice_pk(o.id)]),
            )
            for o in options
            if o.kind == "shared"
        ],
        query_string=query.urlencode(),
    )


def _preview_states() -> dict[str, str]:
    states = {}
    for key, status in VoicePreview.objects.values_list("key", "status"):
        if status == VoicePreview.Status.DONE:
            states[key] = "ready"
        elif status == VoicePreview.Status.FAILED:
            states[key] = "failed"
        else:
            states[key] = "pending"
    return states


def _choices(options: list[VoiceOption], values) -> list[Choice]:
    counts: dict[str, int] = {}
    for option in options:
        for value in values(option):
            counts[value] = counts.get(value, 0) + 1
    return [Choice(v, v.capitalize(), n) for v, n in sorted(counts.items())]


def _language_choices(options: list[VoiceOption]) -> list[Choice]:
    choices = _choices(options, lambda o: sorted({c.split("-")[0] for c in o.languages}))
    named = [Choice(c.value, language_label(c.value), c.count) for c in choices]
    return sorted(named, key=lambda c: c.label.lower())


def language_label(code: str) -> str:
    name = LANGUAGES.get(code)
    return f"{name.title()} ({code})" if name else code


# --- One custom voice ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Similarity:
    label: str
    value: float
    explanation: str

    @property
    def percent(self) -> int:
        return max(0, min(100, round(self.value * 100)))


@dataclass(frozen=True)
class BaseCandidate:
    """A stock voice the custom voice may start from, with its preview's similarity."""

    value: str  # "engine:voice", what the form posts
    name: str
    similarity: float
    current: bool

    @property
    def percent(self) -> int:
        return max(0, min(100, round(self.similarity * 100)))


@dataclass(frozen=True)
class VoicePage:
    voice: CustomVoice
    is_owner: bool
    resolved: ResolvedVoice | None  # None while the voice cannot speak
    unusable_reason: str
    match: VoiceMatch | None
    stock_name: str  # the stock voice the match starts from
    similarities: list[Similarity]
    candidates: list[BaseCandidate]
    language: str  # the samples' language, as a label; "" when unknown
    preview: str  # "ready", "pending", "failed", ""
    preview_url: str | None
    cloning_label: str
    build_progress: JobProgress
    clone_progress: JobProgress | None
    # Owner only (empty for users it is shared with).
    samples: list = field(default_factory=list)
    consents: list = field(default_factory=list)
    shares: list = field(default_factory=list)


def voice_page(*, user: User, voice: CustomVoice) -> VoicePage:
    is_owner = voice.owner_id == user.pk
    try:
        resolved, reason = selectors.resolve_custom(voice), ""
    except ProviderError as exc:
        resolved, reason = None, exc.message
    match = VoiceMatch.from_dict(voice.match) if voice.match else None
    preview = VoicePreview.objects.filter(key=voice.public_id).first()
    state = _preview_states().get(voice.public_id, "") if preview else ""
    return VoicePage(
        voice=voice,
        is_owner=is_owner,
        resolved=resolved,
        unusable_reason=reason,
        match=match,
        stock_name=_stock_name(match),
        similarities=_similarities(match),
        candidates=_candidates(match),
        language=language_label(match.language) if match and match.language else "",
        preview=state,
        preview_url=selectors.preview_audio_url(voice.public_id) if state == "ready" else None,
        cloning_label=_cloning_label(voice),
        build_progress=_build_progress(voice, is_owner),
        clone_progress=_clone_progress(voice, is_owner),
        samples=list(voice.samples.all()) if is_owner else [],
        consents=list(voice.consents.select_related("confirmed_by")) if is_owner else [],
        shares=list(voice.shares.select_related("user")) if is_owner else [],
    )


def _build_progress(voice: CustomVoice, is_owner: bool) -> JobProgress:
    return JobProgress(
        job=voice,
        poll_url=reverse("voices:status", args=[voice.pk]),
        label="Making the voice",
        detail=f"{voice.samples.count()} samples" if voice.is_active else "",
        retry_url=reverse("voices:retry", args=[voice.pk]) if is_owner else "",
        failed_text="The voice could not be made",
        dom_id="voice-build",
    )


def _clone_progress(voice: CustomVoice, is_owner: bool) -> JobProgress | None:
    clone = voice.clone_job
    if clone is None:
        return None
    return JobProgress(
        job=clone,
        poll_url=reverse("voices:clone_status", args=[voice.pk]),
        label="Cloning",
        detail=f"at {_cloning_label(voice)}",
        retry_url=reverse("voices:clone_retry", args=[voice.pk]) if is_owner else "",
        failed_text=f"Cloning at {_cloning_label(voice)} failed",
        dom_id="voice-clone",
    )


def _stock_name(match: VoiceMatch | None) -> str:
    if match is None:
        return ""
    if match.engine not in tts_backends:
        return f"{match.voice} ({match.engine}, no longer configured)"
    backend = tts_backends[match.engine]
    info = backend.resolve_voice(match.voice)
    return f"{info.name if info else match.voice} — {backend.label}"


def _candidates(match: VoiceMatch | None) -> list[BaseCandidate]:
    if match is None:
        return []
    rows = []
    for engine, voice_id, value in match.candidates:
        info = tts_backends[engine].resolve_voice(voice_id) if engine in tts_backends else None
        label = tts_backends[engine].label if engine in tts_backends else engine
        rows.append(
            BaseCandidate(
                value=f"{engine}:{voice_id}",
                name=f"{info.name if info else voice_id} — {label}",
                similarity=value,
                current=(engine, voice_id) == (match.engine, match.voice),
            )
        )
    return rows


def _similarities(match: VoiceMatch | None) -> list[Similarity]:
    if match is None:
        return []
    return [
        Similarity("Stock voice", match.similarity_stock, "the nearest stock voice, unchanged"),
        Similarity(
            "Vocoder only",
            match.similarity_vocoded,
            "the stock voice passed through the vocoder without changes: how much of the gain "
            "is the vocoder's own colouring",
        ),
        Similarity("Matched", match.similarity_matched, "the stock voice after matching"),
    ]


def _cloning_label(voice: CustomVoice) -> str:
    alias = voice.cloud_engine or (
        cloning_backends.default_alias if cloning_backends.aliases() else ""
    )
    if not alias:
        return ""
    return cloning_backends[alias].label if alias in cloning_backends else alias
