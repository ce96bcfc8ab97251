"""Writes for speech generations: create (and queue), run in a worker, cancel, delete, recover."""

import logging
import struct
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.core.storage import GrowingFile, folder_delete, media_save
from apps.engines.errors import ProviderError
from apps.engines.tts import tts_backends
from apps.engines.tts.base import (
    AUDIO_FORMATS,
    DEFAULT_MAX_CHARS,
    MAX_SPEED,
    MIN_SPEED,
    AudioChunk,
    SpeechRequest,
    VoiceSettings,
)
from apps.engines.tts.encode import StreamEncoder
from apps.engines.tts.text import split_paragraphs, split_sentences
from apps.jobs.runner import JobRun
from apps.jobs.services import job_cancel, job_enqueue
from apps.voices.selectors import ResolvedVoice, voice_resolve
from apps.voices.services import voice_synthesize_pcm

from .models import Generation, Paragraph

logger = logging.getLogger(__name__)
Status = Generation.Status

# OpenAI's input limit, which its clients expect; the studio uses the same.
MAX_CHARS = DEFAULT_MAX_CHARS
# Reading a whole transcript aloud: spoken in pieces of the engine's own limit.
READ_ALOUD_MAX_CHARS = 500_000
# The studio reads long texts (an article, a chapter) the same way, in pieces, with progress.
STUDIO_MAX_CHARS = 100_000


def generation_create(
    *,
    owner: User,
    text: str,
    voice_id: str,
    language: str = "",
    speed: float = 1.0,
    audio_format: str = "mp3",
    instructions: str = "",
    model: str = "",
    source: str = Generation.Source.WEB,
    max_chars: int = MAX_CHARS,
    voice_settings: VoiceSettings | None = None,
    paragraphs: bool = False,
) -> Generation:
    """Check the request, store it and queue its synthesis on the "speech" queue. With
    `paragraphs` (the studio), each paragraph's audio is also kept on its own, so that one can
    be spoken again later (apps/speech/paragraphs.py).

    Raises ValidationError keyed by field ("text", "voice", "language", "speed", "format")
    for a request that cannot be spoken; nothing is stored then.
    """
    if audio_format not in AUDIO_FORMATS:
        choices = ", ".join(AUDIO_FORMATS)
        raise ValidationError(
            {"format": f"Unknown format {audio_format!r}; choose one of {choices}."}
        )
    if not MIN_SPEED <= speed <= MAX_SPEED:
        raise ValidationError({"speed": f"Speed must be between {MIN_SPEED} and {MAX_SPEED}."})
    voice = _resolve(owner, voice_id)
    backend = tts_backends[voice.engine]
    language = _check_language(voice, language)
    texts = split_paragraphs(text) if paragraphs else [text]
    pieces = text_pieces(backend, text, texts, language=language, max_chars=max_chars)
    generation = Generation(
        owner=owner,
        source=source,
        text=text.strip(),
        voice_id=voice.id,
        voice_name=voice.name,
        engine=voice.engine,
        model=model[:50],
        language=language,
        speed=speed,
        format=audio_format,
        instructions=instructions.strip() if backend.supports_instructions else "",
        voice_settings=voice_settings.as_dict() if voice_settings else {},
        progress_total=pieces,
    )
    generation.audio.name = f"speech/{owner.pk}/{generation.pk}/speech.{generation.file_extension}"
    with transaction.atomic():
        generation.save()
        if paragraphs:
            Paragraph.objects.bulk_create(
                Paragraph(generation=generation, index=i, text=t, speed=speed,
                          voice_settings=generation.voice_settings)
                for i, t in enumerate(texts)
            )  # fmt: skip
    job_enqueue(generation)
    return generation


def _resolve(owner: User, voice_id: str) -> ResolvedVoice:
    try:
        return voice_resolve(user=owner, voice_id=voice_id)
    except ProviderError as exc:
        raise ValidationError({"voice": exc.message}) from None


def _check_language(voice: ResolvedVoice, language: str) -> str:
    """The language code the engine will use."""
    backend = tts_backends[voice.engine]
    info = backend.resolve_voice(voice.engine_voice)
    try:
        return backend.resolve_language(info, language) if info and language else language
    except ProviderError as exc:
        raise ValidationError({"language": exc.message}) from None


def text_pieces(backend, text: str, texts: list[str], *, language: str, max_chars: int) -> int:
    """How many pieces the engine will speak for `text` read as `texts` (its paragraphs) in
    turn: their sentences, the very first cut in two (see _Synthesis), so progress counts what
    is spoken. ValidationError for a text too long or with nothing to say."""
    language = language or "en"
    try:
        if not texts or len(text.strip()) > max_chars:
            split_sentences(text, language=language, max_chars=max_chars)  # raises: says why
        each = [split_sentences(t, language=language, max_chars=len(t)) for t in texts]
    except ProviderError as exc:
        raise ValidationError({"text": exc.message}) from None
    return sum(map(len, each)) - len(each[0]) + len(backend.first_cut(each[0]))


def generation_cancel(*, generation: Generation) -> None:
    """A queued job stops at once; a running one after the sentence it is speaking, keeping the
    audio made so far (a playable file)."""
    job_cancel(job=generation)


def generation_delete(*, generation: Generation) -> None:
    """Remove the row and the audio; a running synthesis notices and stops."""
    folder = _audio_folder(generation)
    generation.delete()
    _remove_folder(folder)


def generation_files_remove(*, generation: Generation) -> None:
    _remove_folder(_audio_folder(generation))


def _audio_folder(generation: Generation) -> str | None:
    """The generation's own folder (see generation_create), which holds only its audio."""
    if not generation.audio:
        return None
    folder = PurePosixPath(generation.audio.name).parent
    return str(folder) if folder.name == str(generation.pk) else None


# --- In the worker ---------------------------------------------------------------------------


def generation_execute(*, generation: Generation, run: JobRun) -> None:
    """Speak the text (in a worker, through the job runner), sentence by sentence in turn with
    every other generation waiting (see scheduler.py)."""
    from .scheduler import generations_speak  # the scheduler speaks through this module

    generations_speak(first=run)


def generation_sentences(run: JobRun) -> Iterator[None]:
    """Speak the run's generation, pausing after each sentence (the scheduler resumes it)."""
    return _Synthesis(run.job, run).steps()


class _Synthesis:
    """Speaks the text sentence by sentence, appending encoded audio to the file as it comes,
    so a listener can stream the file while it grows."""

    def __init__(self, generation: Generation, run: JobRun):
        self.generation = generation
        self.run = run
        self.size = 0
        self.duration = 0.0
        self.sentences_done = 0
        self._sentence = None

    def steps(self) -> Iterator[None]:
        """Speak, yielding after each piece of audio is in the file."""
        g = self.generation
        voice, request = speech_request(g)
        encoder = StreamEncoder(g.format)
        out = GrowingFile(g.audio.name, storage=g.audio.storage)
        first = True  # only the very first piece is cut short: someone waits for it
        try:
            for paragraph, text in self._texts():
                kept = ParagraphAudio(paragraph) if paragraph else None
                for chunk in spoken_chunks(voice, request, text, owner_id=g.owner_id, first=first):
                    first = False
                    self._append(out, encoder.feed(chunk), chunk)
                    if kept:
                        kept.feed(chunk)
                    # Before the engine speaks the next sentence, which it does when asked.
                    if self.run.should_stop():
                        break
                    yield
                    # Resumed after the other generations' turns: a cancel may have come.
                    if self.run.should_stop():
                        break
                if self.run.cancelled:
                    break
                if kept:
                    kept.save()
            # Also when cancelled: the encoder's last frames make what was spoken playable.
            self._append(out, encoder.close(), None)
            out.close()
            if g.format == "wav":
                wav_sizes_patch(out.path)
        finally:
            # Before the row says done (the runner does that when this returns); what was made
            # is stored on a failure too, and goes with the generation.
            out.store()

    def _texts(self) -> list[tuple[Paragraph | None, str]]:
        """The paragraphs to speak in turn, each kept on its own; or the whole text at once."""
        paragraphs = list(self.generation.paragraphs.all())
        if not paragraphs:
            return [(None, self.generation.text)]
        return [(p, p.text) for p in paragraphs]

    def _append(self, out: GrowingFile, data: bytes, chunk: AudioChunk | None) -> None:
        """Write and flush before the row says so: a reader that sees the row done finds all
        the bytes in the file."""
        if data:
            out.write(data)
            self.size += len(data)
        fields = {"audio_size": self.size}
        if chunk is not None:
            self.duration += chunk.duration
            # An engine may give several chunks for one sentence; each carries its sentence.
            if chunk.text != self._sentence or not chunk.text:
                self._sentence = chunk.text
                self.sentences_done += 1
            fields |= {
                "duration": self.duration,
                # The sentence being spoken is not done until the next one starts.
                "progress_done": max(0, self.sentences_done - 1),
            }
        if data and self.size == len(data):
            fields["first_audio_at"] = timezone.now()
        self.run.update(**fields)


def speech_request(generation: Generation) -> tuple[ResolvedVoice, SpeechRequest]:
    """The generation's voice and request as its engine takes them (text set per piece)."""
    g = generation
    voice = voice_resolve(user=g.owner, voice_id=g.voice_id)
    backend = tts_backends[voice.engine]
    return voice, SpeechRequest(
        text=g.text,
        language=g.language,
        speed=g.speed,
        format=g.format,
        instructions=g.instructions,
        voice_settings=VoiceSettings(**g.voice_settings),
        # An API client's model name goes to an engine that has models of that name.
        model=g.model if any(m.name == g.model for m in backend.models()) else "",
    )


def spoken_chunks(
    voice: ResolvedVoice, request: SpeechRequest, text: str, *, owner_id: int, first: bool
) -> Iterator[AudioChunk]:
    """`text` spoken with `request`, in pieces of at most the engine's limit; the first piece
    cut short only where `first` (the start of a reading, not of its later paragraphs)."""
    limit = tts_backends[voice.engine].max_chars
    for n, part in enumerate(_parts(text, language=request.language, limit=limit)):
        piece = replace(request, text=part, short_first=first and n == 0)
        yield from voice_synthesize_pcm(voice=voice, request=piece, speaker_id=owner_id)


class ParagraphAudio:
    """A paragraph's own audio, kept while it is spoken: FLAC (lossless, about half of raw
    PCM) at the output rate, from which the whole is re-joined without speaking it again."""

    def __init__(self, paragraph: Paragraph, *, take: int | None = None):
        self.paragraph = paragraph
        self.name = paragraph_audio_name(paragraph, take or paragraph.takes)
        self.encoder = StreamEncoder("flac")
        # Closed by save(); one left unsaved (a cancel) goes with this object.
        self.file = tempfile.SpooledTemporaryFile(  # noqa: SIM115
            max_size=8 * 1024 * 1024, dir=settings.FILE_UPLOAD_TEMP_DIR
        )
        self.duration = 0.0

    def feed(self, chunk: AudioChunk) -> None:
        self.file.write(self.encoder.feed(chunk))
        self.duration += chunk.duration

    def store(self) -> str:
        """Store the audio; its stored name ("" when the paragraph had nothing to say)."""
        self.file.write(self.encoder.close())
        self.file.seek(0)
        name = ""
        if self.duration > 0:
            name = media_save(self.name, self.file, storage=self.paragraph.audio.storage)
        self.file.close()
        return name

    def save(self) -> None:
        """Store the audio and note it on the paragraph's row."""
        name = self.store()
        Paragraph.objects.filter(pk=self.paragraph.pk).update(audio=name, duration=self.duration)


def paragraph_audio_name(paragraph: Paragraph, take: int) -> str:
    """Beside the generation's audio, so it goes with the generation's folder."""
    folder = PurePosixPath(paragraph.generation.audio.name).parent
    return f"{folder}/paragraphs/{paragraph.index:05d}-{take}.flac"


def _parts(text: str, *, language: str, limit: int) -> list[str]:
    """Pieces of at most `limit` characters, cut between sentences: an engine takes at most
    `limit` at once, while a whole transcript read aloud can be far longer."""
    if len(text) <= limit:
        return [text]
    parts, current = [], ""
    for sentence in split_sentences(text, language=language or "en", max_chars=len(text)):
        if current and len(current) + 1 + len(sentence) > limit:
            parts.append(current)
            current = sentence
        else:
            current = f"{current} {sentence}".strip()
    return [*parts, current] if current else parts


def generation_read_aloud(
    *, owner: User, transcript, voice_id: str, what: str = "summary"
) -> Generation:
    """Speak a transcript's summary (or, without one or on request, its whole text)."""
    from apps.analysis.selectors import analysis_results

    summary = analysis_results(transcript).summary if what == "summary" else None
    text = summary.text if summary else transcript.text
    if not text.strip():
        raise ValidationError({"text": "This transcript has no text to read."})
    return generation_create(
        owner=owner,
        text=text,
        voice_id=voice_id,
        language=transcript.detected_language,
        max_chars=READ_ALOUD_MAX_CHARS,
    )


def _remove_folder(folder: str | None) -> None:
    if folder:
        folder_delete(folder)


def wav_sizes_patch(path: Path) -> None:
    """Write the real sizes into the streaming WAV header ("unknown" while it grew), so the
    finished file tells players its duration."""
    size = path.stat().st_size
    with open(path, "r+b") as f:
        f.seek(4)
        f.write(struct.pack("<I", min(size - 8, 0xFFFFFFFF)))
        f.seek(40)
        f.write(struct.pack("<I", min(size - 44, 0xFFFFFFFF)))
