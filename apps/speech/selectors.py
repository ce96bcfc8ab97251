"""Reads for speech generations, always scoped by owner, and what the studio offers."""

from dataclasses import dataclass, field

from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse

from apps.core.clock import clock
from apps.engines.tts import tts_backends
from apps.engines.tts.base import VOICE_SETTINGS
from apps.jobs.progress import JobProgress
from apps.voices.selectors import VoiceOption, stock_id, voice_options

from .models import Generation, Paragraph, ParagraphRegeneration


def generation_list(*, owner: User) -> QuerySet[Generation]:
    return Generation.objects.filter(owner=owner)


def generation_get(*, owner: User, pk) -> Generation:
    """The owner's generation, or 404 (also for another user's id)."""
    return get_object_or_404(Generation, pk=pk, owner=owner)


async def generation_aget(*, owner: User, pk) -> Generation:
    generation = await Generation.objects.filter(pk=pk, owner=owner).afirst()
    if generation is None:
        raise Http404("No such generation")
    return generation


@dataclass(frozen=True)
class StudioVoice:
    """A voice in the studio's picker, with what its engine can do."""

    option: VoiceOption
    engine_label: str
    supports_instructions: bool
    speed_range: tuple[float, float]
    # The voice settings it follows, each at the voice's own value (the sliders' start).
    voice_settings: dict[str, float] = field(default_factory=dict)

    @property
    def languages(self) -> str:
        return " ".join(self.option.languages)

    @property
    def voice_settings_attr(self) -> str:
        """For the page's script: "stability=0.5 style=0"."""
        return " ".join(f"{k}={v:g}" for k, v in self.voice_settings.items())


@dataclass(frozen=True)
class VoiceGroup:
    label: str
    voices: list[StudioVoice]


_GROUPS = (
    ("custom", "My voices"),
    ("shared", "Shared with me"),
    ("natural", "Natural voices"),
    ("robotic", "Robotic voices, many languages"),
)


def _group_of(option) -> str:
    if option.kind != "stock":
        return option.kind
    return "robotic" if option.style == "robotic" else "natural"


def studio_voices(*, user: User) -> list[VoiceGroup]:
    """The voices `user` may speak with, each with its engine's abilities, in groups: the user's
    own, shared with the user, natural stock voices, then robotic ones."""
    voices = []
    for option in voice_options(user=user):
        backend = tts_backends[option.engine]
        voices.append(
            StudioVoice(
                option=option,
                engine_label=backend.label,
                supports_instructions=backend.supports_instructions,
                speed_range=backend.speed_range,
                voice_settings=_voice_settings(option, backend),
            )
        )
    # The default engine's voices lead their group: the one most people want is near the top.
    default = tts_backends.default().alias
    voices.sort(key=lambda v: (v.option.engine != default, v.engine_label, v.option.name.lower()))
    groups = []
    for key, label in _GROUPS:
        members = [v for v in voices if _group_of(v.option) == key]
        if members:
            groups.append(VoiceGroup(label, members))
    return groups


def _voice_settings(option: VoiceOption, backend) -> dict[str, float]:
    """The settings `option` follows, at its own values. A matched custom voice (a stock voice
    reshaped) also follows similarity_boost: all of the reshaping unless told less."""
    honoured = backend.voice_settings_honoured
    settings = {k: v for k, v in backend.voice_settings_defaults.items() if k in honoured}
    if option.style == "matched":
        settings["similarity_boost"] = 1.0
    return {k: settings[k] for k in VOICE_SETTINGS if k in settings}


def default_voice_id(groups: list[VoiceGroup]) -> str:
    """The default engine's default voice, where it is on offer; else the first voice."""
    backend = tts_backends.default()
    wanted = stock_id(backend.alias, backend.default_voice)
    ids = [v.option.id for g in groups for v in g.voices]
    return wanted if wanted in ids else (ids[0] if ids else "")


def studio_voice_find(groups: list[VoiceGroup], voice_id: str) -> StudioVoice | None:
    return next((v for g in groups for v in g.voices if v.option.id == voice_id), None)


def generation_form_initial(generation: Generation) -> dict:
    """The studio's fields as they were for this generation, so a reload keeps text and voice."""
    g = generation
    return {
        "text": g.text,
        "voice": g.voice_id,
        "language": g.language,
        "speed": g.speed,
        "format": g.format,
        "instructions": g.instructions,
        **g.voice_settings,
    }


def generation_progress(generation: Generation) -> JobProgress:
    """The synthesis's progress by sentence, for the one progress partial."""
    g = generation
    if g.status == Generation.Status.DONE:
        detail = f"{clock(g.duration)} · {g.voice_name} · {g.format}"
    elif g.status == Generation.Status.CANCELLED:
        detail = f"{clock(g.duration)} of audio kept"
    else:
        detail = (
            f"Sentence {g.sentences_done} of {g.sentences_total} · "
            f"{clock(g.duration)} of audio so far"
        )
    return JobProgress(
        job=g,
        poll_url=reverse("speech:progress", args=[g.pk]),
        label="Synthesis progress",
        detail=detail,
        cancel_url=reverse("speech:cancel", args=[g.pk]),
        failed_text="Synthesis failed",
        download_url=f"{reverse('speech:audio', args=[g.pk])}?download=1" if g.has_file else "",
        dom_id="gen-progress",
        every="400ms",
    )


# --- Paragraphs of a studio generation, each of which can be spoken again ---------------------


@dataclass(frozen=True)
class ParagraphRow:
    paragraph: Paragraph
    audio_url: str
    # Its latest regeneration while it runs, or when it failed or was cancelled.
    progress: JobProgress | None
    # The regenerate form's values (as last spoken, or as sent with errors) and errors.
    text: str
    speed: float
    settings: list[dict]
    errors: dict = field(default_factory=dict)


def paragraph_get(*, owner: User, pk, index: int) -> Paragraph:
    """The owner's generation's paragraph, or 404 (also for another user's generation)."""
    return get_object_or_404(
        Paragraph.objects.select_related("generation"),
        generation__pk=pk,
        generation__owner=owner,
        index=index,
    )


def regeneration_get(*, owner: User, pk) -> ParagraphRegeneration:
    return get_object_or_404(ParagraphRegeneration, pk=pk, owner=owner)


def paragraphs_can_regenerate(generation: Generation) -> bool:
    """Finished, and none of its paragraphs being spoken again now."""
    return (
        generation.status == Generation.Status.DONE
        and not generation.regenerations.filter(status__in=ParagraphRegeneration.ACTIVE).exists()
    )


def paragraph_rows(
    generation: Generation, *, followed: dict[str, float], sent: dict | None = None
) -> list[ParagraphRow]:
    """The generation's paragraphs for the studio, each with what its regenerate form needs
    (the form itself is fetched when opened). `followed`: the voice settings its voice follows,
    at the voice's own values; `sent`: a form sent with errors ({"index", "data", "errors"}),
    shown again as sent."""
    latest = {}
    for r in generation.regenerations.order_by("created_at"):
        latest[r.paragraph_id] = r
    rows = []
    for p in generation.paragraphs.all():
        r = latest.get(p.pk)
        progress = regeneration_progress(r) if r and r.status != r.Status.DONE else None
        mine = sent if sent and sent["index"] == p.index else None
        rows.append(paragraph_row(p, followed=followed, sent=mine, progress=progress))
    return rows


def paragraph_row(
    paragraph: Paragraph, *, followed: dict[str, float], sent=None, progress=None
) -> ParagraphRow:
    p, own = paragraph, sent["data"] if sent else {}
    values = {**followed, **p.voice_settings, **{k: own[k] for k in followed if own.get(k)}}
    return ParagraphRow(
        paragraph=p,
        audio_url=_paragraph_audio_url(p),
        progress=progress,
        text=own.get("text", p.text),
        speed=own.get("speed") or p.speed,
        settings=[{"name": k, "label": SETTING_LABELS[k], "value": values[k]} for k in followed],
        errors=sent["errors"] if sent else {},
    )


def _paragraph_audio_url(paragraph: Paragraph) -> str:
    """Names the take, so no cache plays the one before."""
    if not paragraph.audio:
        return ""
    url = reverse("speech:paragraph_audio", args=[paragraph.generation_id, paragraph.index])
    return f"{url}?take={paragraph.takes}"


SETTING_LABELS = {"stability": "Stability", "similarity_boost": "Similarity", "style": "Style"}


def regeneration_progress(regeneration: ParagraphRegeneration) -> JobProgress:
    r = regeneration
    return JobProgress(
        job=r,
        poll_url=reverse("speech:regeneration_progress", args=[r.pk]),
        label=f"Paragraph {r.paragraph.number} progress",
        cancel_url=reverse("speech:regeneration_cancel", args=[r.pk]),
        failed_text="Speaking the paragraph again failed",
        dom_id=f"regeneration-{r.pk}",
        every="500ms",
    )
