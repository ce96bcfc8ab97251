"""Reads for music tracks, always scoped by owner, and what the studio offers."""

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse

from apps.core.clock import clock
from apps.engines.music import music_backends, sound_effects_backends
from apps.engines.music.prompt import prompt_heard as _prompt_heard
from apps.jobs.progress import JobProgress

from .models import Track


def track_list(*, owner: User) -> QuerySet[Track]:
    return Track.objects.filter(owner=owner)


def track_get(*, owner: User, pk) -> Track:
    """The owner's track, or 404 (also for another user's id)."""
    return get_object_or_404(Track, pk=pk, owner=owner)


async def track_aget(*, owner: User, pk) -> Track:
    track = await Track.objects.filter(pk=pk, owner=owner).afirst()
    if track is None:
        raise Http404("No such track")
    return track


@dataclass(frozen=True)
class EngineOption:
    alias: str
    label: str
    description: str
    makes_midi: bool = False
    supports_lyrics: bool = False


def music_engines() -> list[EngineOption]:
    """The music engines, the default first."""
    default = music_backends.default_alias
    return [
        EngineOption(b.alias, b.label, b.description, b.makes_midi, b.supports_lyrics)
        for b in sorted(music_backends.all(), key=lambda b: b.alias != default)
    ]


def effect_engines() -> list[EngineOption]:
    default = sound_effects_backends.default_alias
    return [
        EngineOption(b.alias, b.label, b.description)
        for b in sorted(sound_effects_backends.all(), key=lambda b: b.alias != default)
    ]


def track_progress(track: Track) -> JobProgress:
    t = track
    if t.status == Track.Status.DONE:
        detail = f"{clock(t.duration)} · {t.engine}"
    elif t.seconds:
        detail = f"{clock(t.seconds)} of {t.get_kind_display().lower()} · {t.engine}"
    else:
        detail = t.engine
    return JobProgress(
        job=t,
        poll_url=reverse("music:progress", args=[t.pk]),
        label="Composition progress",
        detail=detail,
        cancel_url=reverse("music:cancel", args=[t.pk]),
        failed_text="Composition failed",
        download_url=reverse("music:file", args=[t.pk, "mp3"]) if t.has_audio else "",
        dom_id="track-progress",
        every="500ms",
    )


def sections_text(sections: list[dict]) -> str:
    """Sections as the studio's field writes them: "intro 8, verse 16"."""
    return ", ".join(f"{s['name']} {s['seconds']:g}" for s in sections)


def music_beds(*, owner: User) -> QuerySet[Track]:
    """The owner's finished music, to lay under a spoken summary."""
    return track_list(owner=owner).filter(kind=Track.Kind.MUSIC, status=Track.Status.DONE)


def prompt_heard(prompt: str) -> str:
    """What the offline arranger recognises in a prompt (other engines read it themselves)."""
    return _prompt_heard(prompt)
