"""One paragraph of a studio generation spoken again (its text edited, other settings, or just
another take), without speaking the rest: the paragraph's new audio, then the generation's file
re-joined from every paragraph's own audio (kept as each was spoken, services.ParagraphAudio).
A job of its own kind on the speech queue, with progress and cancel like any other."""

import tempfile
from dataclasses import replace
from pathlib import Path, PurePosixPath

import av
from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F

from apps.core.storage import StoredFile, folder_delete, local_copy, media_save
from apps.engines.tts import tts_backends
from apps.engines.tts.base import MAX_SPEED, MIN_SPEED, AudioChunk, VoiceSettings
from apps.engines.tts.encode import OUTPUT_RATE, StreamEncoder
from apps.jobs.runner import JobRun
from apps.jobs.services import job_cancel, job_enqueue

from .models import Generation, Paragraph, ParagraphRegeneration
from .services import (
    STUDIO_MAX_CHARS,
    ParagraphAudio,
    speech_request,
    spoken_chunks,
    text_pieces,
    wav_sizes_patch,
)


def paragraph_regenerate(
    *,
    owner: User,
    paragraph: Paragraph,
    text: str,
    speed: float | None = None,
    voice_settings: VoiceSettings | None = None,
) -> ParagraphRegeneration:
    """Queue `paragraph` to be spoken again as `text` (one paragraph: its line breaks become
    spaces), at `speed` and with `voice_settings` (None: as last spoken).

    Raises ValidationError ("text", "speed", or for the whole request while the generation is
    not finished or another of its paragraphs is being spoken again); nothing is stored then.
    """
    g = Generation.objects.get(pk=paragraph.generation_id)  # as it is now
    if g.status != Generation.Status.DONE:
        raise ValidationError("Paragraphs can be spoken again once the whole text is done.")
    if g.regenerations.filter(status__in=ParagraphRegeneration.ACTIVE).exists():
        raise ValidationError("Another paragraph is being spoken again; wait for it to finish.")
    text = " ".join(text.split())
    speed = paragraph.speed if speed is None else speed
    if not MIN_SPEED <= speed <= MAX_SPEED:
        raise ValidationError({"speed": f"Speed must be between {MIN_SPEED} and {MAX_SPEED}."})
    others = sum(len(p.text) + 2 for p in g.paragraphs.exclude(pk=paragraph.pk))
    pieces = text_pieces(
        tts_backends[g.engine], text, [text] if text else [], language=g.language,
        max_chars=max(0, STUDIO_MAX_CHARS - others),
    )  # fmt: skip
    settings_ = voice_settings.as_dict() if voice_settings else paragraph.voice_settings
    regeneration = ParagraphRegeneration.objects.create(
        owner=owner,
        generation=g,
        paragraph=paragraph,
        text=text,
        speed=speed,
        voice_settings=settings_,
        progress_total=pieces + 1,  # and the join
    )
    job_enqueue(regeneration)
    return regeneration


def regeneration_cancel(*, regeneration: ParagraphRegeneration) -> None:
    """Stops after the sentence being spoken; the generation keeps its audio as it was."""
    job_cancel(job=regeneration)


# --- In the worker ---------------------------------------------------------------------------


def regeneration_execute(*, regeneration: ParagraphRegeneration, run: JobRun) -> None:
    r = regeneration
    paragraph, g = r.paragraph, r.generation
    voice, request = speech_request(g)
    request = replace(request, speed=r.speed, voice_settings=VoiceSettings(**r.voice_settings))
    kept = ParagraphAudio(paragraph, take=paragraph.takes + 1)
    spoken, last = 0, None
    for chunk in spoken_chunks(voice, request, r.text, owner_id=g.owner_id, first=False):
        kept.feed(chunk)
        if chunk.text != last:
            spoken, last = spoken + 1, chunk.text
            run.progress(spoken - 1)
        if run.should_stop():
            return  # the new take is not kept; the generation stays as it was
    run.progress(r.progress_total - 1, stage="Joining the paragraphs")
    _rejoin(g, r, new_take=kept.store(), duration=kept.duration)


def _rejoin(g: Generation, r: ParagraphRegeneration, *, new_take: str, duration: float) -> None:
    """Write the generation's audio anew from its paragraphs' (this one's new take), under a
    new name; then point the rows at the new files and remove the old ones."""
    paragraph = r.paragraph
    old_take = paragraph.audio.name
    paragraph.audio.name = new_take
    paragraphs = [paragraph if p.pk == paragraph.pk else p for p in g.paragraphs.all()]
    old_name = g.audio.name
    folder = PurePosixPath(old_name).parent
    name = f"{folder}/speech-{g.edits + 1}.{g.file_extension}"
    with tempfile.TemporaryDirectory(dir=settings.FILE_UPLOAD_TEMP_DIR) as work:
        path = Path(work) / "joined"
        total = _join(paragraphs, g.format, path)
        size = path.stat().st_size
        with open(path, "rb") as joined:
            name = media_save(name, joined, storage=g.audio.storage)
    text = "\n\n".join(r.text if p.pk == paragraph.pk else p.text for p in paragraphs)
    with transaction.atomic():
        Paragraph.objects.filter(pk=paragraph.pk).update(
            text=r.text, audio=new_take, duration=duration, speed=r.speed,
            voice_settings=r.voice_settings, takes=F("takes") + 1,
        )  # fmt: skip
        Generation.objects.filter(pk=g.pk).update(
            audio=name, audio_size=size, duration=total, text=text, edits=F("edits") + 1
        )
    _remove(old_take, storage=paragraph.audio.storage)
    _remove(old_name, storage=g.audio.storage)


def _join(paragraphs: list[Paragraph], audio_format: str, path: Path) -> float:
    """Encode the paragraphs' audio one after the other into `path`; its seconds."""
    encoder = StreamEncoder(audio_format)
    duration = 0.0
    with open(path, "wb") as out:
        for p in paragraphs:
            for samples in _decoded(p):
                chunk = AudioChunk(samples, OUTPUT_RATE)
                duration += chunk.duration
                out.write(encoder.feed(chunk))
        out.write(encoder.close())
    if audio_format == "wav":
        wav_sizes_patch(path)
    return duration


def _decoded(paragraph: Paragraph):
    """The paragraph's audio as int16 arrays at the output rate (none for a silent one)."""
    if not paragraph.audio.name:
        return
    stored = StoredFile(paragraph.audio.name, paragraph.audio.storage)
    with local_copy(stored) as path, av.open(str(path)) as container:
        for frame in container.decode(audio=0):
            yield frame.to_ndarray().reshape(-1)


def _remove(name: str, *, storage) -> None:
    if name and storage.exists(name):
        storage.delete(name)


def regeneration_files_remove(*, regeneration: ParagraphRegeneration) -> None:
    """The generation went while its paragraph was spoken again: what was written since goes."""
    if not Generation.objects.filter(pk=regeneration.generation_id).exists():
        # The generation's own folder (services.generation_create names it so).
        folder_delete(f"speech/{regeneration.owner_id}/{regeneration.generation_id}")
