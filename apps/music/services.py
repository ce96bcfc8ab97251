"""Writes for music tracks and sound effects: create (and queue), run in a worker, rename,
make again or vary, cancel, delete."""

import secrets

import numpy as np
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError

from apps.core.storage import folder_delete, media_save
from apps.engines.errors import ProviderError
from apps.engines.music import music_backends, sound_effects_backends
from apps.engines.music.audio import encode_file
from apps.engines.music.base import (
    AudioResult,
    MusicRequest,
    Section,
    SoundEffectRequest,
    check_effect_seconds,
    check_lyrics,
    check_music_seconds,
    check_prompt,
    check_sections,
)
from apps.engines.tts import tts_backends
from apps.jobs.runner import JobRun
from apps.jobs.services import job_cancel, job_enqueue
from apps.voices.selectors import voice_resolve

from .models import WAVEFORM_BARS, Track
from .spoken import spoken_make

MAX_TITLE_CHARS = 200
# Seeds as ElevenLabs takes them (0 to 2^32 - 1).
MAX_SEED = 2**32 - 1


def track_create(
    *,
    owner: User,
    prompt: str,
    seconds: float,
    instrumental: bool = True,
    lyrics: str = "",
    sections: list[Section] | tuple[Section, ...] = (),
    seed: int | None = None,
    engine: str = "",
    title: str = "",
    source: str = Track.Source.WEB,
) -> Track:
    """Check the request, store it and queue its composition.

    Sections, when given, set the length (their sum). Without a seed one is drawn, so the track
    can be made again exactly. Raises ValidationError keyed by field ("prompt", "seconds",
    "lyrics", "sections", "seed", "engine"); nothing is stored then.
    """
    engine = engine or music_backends.default_alias
    if engine not in music_backends:
        raise ValidationError({"engine": f"Unknown music engine {engine!r}."})
    sections = tuple(sections)
    if sections:
        seconds = sum(s.seconds for s in sections)
    request = MusicRequest(
        prompt=prompt.strip(),
        seconds=float(seconds),
        instrumental=instrumental,
        lyrics=lyrics.strip(),
        sections=sections,
        seed=_seed(seed),
    )
    _check("prompt", check_prompt, request.prompt)
    _check("seconds", check_music_seconds, request.seconds)
    _check("lyrics", check_lyrics, request.lyrics)
    _check("sections", check_sections, request.sections)
    _check("prompt", music_backends[engine].check, request)  # what this engine adds
    track = Track(
        owner=owner,
        kind=Track.Kind.MUSIC,
        source=source,
        title=title.strip()[:MAX_TITLE_CHARS],
        prompt=request.prompt,
        engine=engine,
        seconds=request.seconds,
        instrumental=instrumental,
        lyrics=request.lyrics,
        sections=[{"name": s.name.strip(), "seconds": s.seconds} for s in sections],
        seed=request.seed,
        progress_total=1.0,
    )
    return _queue(track)


def effect_create(
    *,
    owner: User,
    text: str,
    seconds: float | None = None,
    seed: int | None = None,
    engine: str = "",
    source: str = Track.Source.WEB,
) -> Track:
    """Check the request, store it and queue the sound effect. `seconds` None: the engine
    chooses. Raises ValidationError keyed by field ("prompt", "seconds", "engine")."""
    engine = engine or sound_effects_backends.default_alias
    if engine not in sound_effects_backends:
        raise ValidationError({"engine": f"Unknown sound-effects engine {engine!r}."})
    request = SoundEffectRequest(text=text.strip(), seconds=seconds, seed=_seed(seed))
    _check("prompt", check_prompt, request.text)
    if seconds is not None:
        _check("seconds", check_effect_seconds, seconds)
    _check("prompt", sound_effects_backends[engine].check, request)
    track = Track(
        owner=owner,
        kind=Track.Kind.EFFECT,
        source=source,
        prompt=request.text,
        engine=engine,
        seconds=seconds or 0.0,
        seed=request.seed,
        progress_total=1.0,
    )
    return _queue(track)


def spoken_summary_create(*, owner: User, transcript, voice_id: str, bed_id=None) -> Track:
    """Speak `transcript`'s summary in the voice, over the owner's music track `bed_id` (none:
    the voice alone), as a new track. Raises ValidationError keyed "summary", "voice" or "bed";
    nothing is stored then."""
    from apps.analysis.selectors import analysis_results

    summary = analysis_results(transcript).summary
    if summary is None or not summary.text.strip():
        raise ValidationError({"summary": "This transcript has no summary yet: ask for one first."})
    try:
        voice = voice_resolve(user=owner, voice_id=voice_id)
    except ProviderError as exc:
        raise ValidationError({"voice": exc.message}) from None
    limit = tts_backends[voice.engine].max_chars
    if len(summary.text) > limit:
        raise ValidationError({"summary": f"The summary is longer than {limit} characters."})
    bed = None
    if bed_id:
        bed = Track.objects.filter(pk=bed_id, owner=owner, kind=Track.Kind.MUSIC).first()
        if bed is None or not bed.has_audio:
            raise ValidationError({"bed": "Choose a finished music track of your library."})
    track = Track(
        owner=owner,
        kind=Track.Kind.SPOKEN,
        title=f"Spoken summary: {transcript}"[:MAX_TITLE_CHARS],
        prompt=summary.text.strip(),
        engine=voice.engine,
        voice_id=voice.id,
        voice_name=voice.name,
        bed=bed,
        transcript=transcript,
        progress_total=1.0,
    )
    return _queue(track)


def _seed(seed: int | None) -> int:
    if seed is None:
        return secrets.randbelow(MAX_SEED + 1)
    if not 0 <= seed <= MAX_SEED:
        raise ValidationError({"seed": f"The seed is a whole number from 0 to {MAX_SEED}."})
    return seed


def _check(field: str, check, value) -> None:
    """Run one of the engines' checks; its refusal is an error on `field`."""
    try:
        check(value)
    except ProviderError as exc:
        raise ValidationError({field: exc.message}) from None


def _queue(track: Track) -> Track:
    track.save()
    job_enqueue(track)
    return track


def track_again(*, track: Track, new_seed: bool = False) -> Track:
    """The same request as a new track: with the same seed ("regenerate": the local arranger
    makes it again exactly, a cloud model another take), or a new one ("variation")."""
    seed = None if new_seed else track.seed
    if track.kind == Track.Kind.SPOKEN:
        if track.transcript is None:
            raise ValidationError({"summary": "Its transcript has been deleted."})
        return spoken_summary_create(
            owner=track.owner, transcript=track.transcript, voice_id=track.voice_id,
            bed_id=track.bed_id,
        )  # fmt: skip
    if track.kind == Track.Kind.EFFECT:
        return effect_create(
            owner=track.owner, text=track.prompt, seconds=track.seconds or None, seed=seed,
            engine=track.engine, source=Track.Source.WEB,
        )  # fmt: skip
    return track_create(
        owner=track.owner,
        prompt=track.prompt,
        seconds=track.seconds,
        instrumental=track.instrumental,
        lyrics=track.lyrics,
        sections=[Section(s["name"], s["seconds"]) for s in track.sections],
        seed=seed,
        engine=track.engine,
        title=f"{track.title} (variation)" if new_seed and track.title else track.title,
    )


def track_rename(*, track: Track, title: str) -> None:
    title = title.strip()
    if not title:
        raise ValidationError({"title": "A title cannot be empty."})
    if len(title) > MAX_TITLE_CHARS:
        raise ValidationError({"title": f"A title has at most {MAX_TITLE_CHARS} characters."})
    Track.objects.filter(pk=track.pk).update(title=title)
    track.title = title


def track_cancel(*, track: Track) -> None:
    job_cancel(job=track)


def track_delete(*, track: Track) -> None:
    """Remove the row and its files; a running composition notices and stops."""
    folder = _prefix(track)  # before delete(), which clears the primary key
    track.delete()
    folder_delete(folder)


def track_files_remove(*, track: Track) -> None:
    folder_delete(_prefix(track))


def _prefix(track: Track) -> str:
    return f"music/{track.owner_id}/{track.pk}"


# --- In the worker ---------------------------------------------------------------------------


class _Stopped(Exception):
    """A cancel was asked for while the engine worked."""


def track_execute(*, track: Track, run: JobRun) -> None:
    """Make the track with its engine and store its files (in a worker, through the runner)."""

    def progress(fraction: float) -> None:
        if run.should_stop():
            raise _Stopped
        run.progress(min(0.95, fraction))

    try:
        result = _make(track, progress)
    except _Stopped:
        return  # the runner ends the job as cancelled
    if run.should_stop():
        return
    run.progress(0.97, stage="Saving")
    fields = _store(track, result)
    run.update(**fields)


def _make(track: Track, progress) -> AudioResult:
    if track.kind == Track.Kind.SPOKEN:
        return spoken_make(track, progress)
    if track.kind == Track.Kind.EFFECT:
        backend = sound_effects_backends[track.engine]
        request = SoundEffectRequest(track.prompt, track.seconds or None, track.seed)
        return backend.generate(request)
    backend = music_backends[track.engine]
    request = MusicRequest(
        prompt=track.prompt,
        seconds=track.seconds,
        instrumental=track.instrumental,
        lyrics=track.lyrics,
        sections=tuple(Section(s["name"], s["seconds"]) for s in track.sections),
        seed=track.seed,
    )
    return backend.compose(request, progress=progress)


def _store(track: Track, result: AudioResult) -> dict:
    """Write the files (WAV always; the provider's own mp3 as it came, else one encoded here;
    the MIDI file where there is one) and return the row's new fields."""
    prefix = _prefix(track)
    wav = encode_file(result.samples, result.sample_rate, "wav")
    mp3 = result.encoded if result.encoded_format == "mp3" else b""
    mp3 = mp3 or encode_file(result.samples, result.sample_rate, "mp3")
    fields = {
        "audio": media_save(f"{prefix}/track.wav", wav),
        "mp3": media_save(f"{prefix}/track.mp3", mp3),
        "duration": result.seconds,
        "understood": result.understood,
        "peaks": waveform_peaks(result.samples),
    }
    if result.midi:
        fields["midi"] = media_save(f"{prefix}/track.mid", result.midi)
    if not track.title and result.title:
        fields["title"] = result.title[:MAX_TITLE_CHARS]
    return fields


def waveform_peaks(samples: np.ndarray, bars: int = WAVEFORM_BARS) -> list[float]:
    """The loudest moment of each of `bars` slices, 0-1, rounded (stored as JSON)."""
    mono = np.abs(samples).max(axis=1) if samples.ndim == 2 else np.abs(samples)
    if not len(mono):
        return []
    slices = np.array_split(mono, min(bars, len(mono)))
    return [round(float(s.max()), 3) for s in slices]
