"""Probing and streaming decode of uploaded media with PyAV (which bundles FFmpeg)."""

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO

import av
import numpy as np

from .clock import clock
from .storage import Stored, StoredFile

SAMPLE_RATE = 16_000


class InvalidMedia(Exception):
    """The file is not media we can transcribe; the message is fit to show to the user."""


@dataclass(frozen=True)
class MediaInfo:
    duration: float  # seconds; 0.0 when the container does not say
    has_video: bool
    audio_codec: str
    format_name: str


def probe(path: Path, *, max_seconds: float | None = None) -> MediaInfo:
    """Open the file, check it has a decodable audio stream, and read its duration.

    The duration comes from the container, so a recording longer than `max_seconds` is refused
    before anything past its first frame is decoded.
    """
    if path.stat().st_size == 0:
        raise InvalidMedia("The file is empty.")
    return _probe(str(path), max_seconds)


def probe_file(source: BinaryIO, *, max_seconds: float | None = None) -> MediaInfo:
    """`probe` for an open, seekable file (an upload before it is stored): only what the
    container needs to say its length, and the first frame, are read. Left at its start."""
    source.seek(0, 2)
    empty = source.tell() == 0
    source.seek(0)
    if empty:
        raise InvalidMedia("The file is empty.")
    try:
        return _probe(source, max_seconds)
    finally:
        source.seek(0)


def probe_stored(file: Stored, *, max_seconds: float | None = None) -> MediaInfo:
    """`probe_file` for a stored file, read from its storage."""
    with file.storage.open(file.name, "rb") as source:
        return probe_file(source, max_seconds=max_seconds)


def _probe(source: str | BinaryIO, max_seconds: float | None) -> MediaInfo:
    try:
        with av.open(source, metadata_errors="ignore") as container:
            audio = next((s for s in container.streams if s.type == "audio"), None)
            if audio is None:
                raise InvalidMedia("The file has no audio track.")
            duration = _duration(container, audio)
            if max_seconds is not None and duration > max_seconds:
                raise InvalidMedia(too_long_message(max_seconds, duration))
            _decode_first_frame(container, audio)
            return MediaInfo(
                duration=duration,
                has_video=any(s.type == "video" for s in container.streams),
                audio_codec=audio.codec_context.name,
                format_name=container.format.name,
            )
    except InvalidMedia:
        raise
    except (av.FFmpegError, UnicodeDecodeError, ValueError, IndexError) as exc:
        raise InvalidMedia(
            "This file is not audio or video that can be decoded "
            "(supported: mp3, wav, m4a, aac, ogg, opus, flac, webm, mp4, mov and more)."
        ) from exc


# What a stored upload is served as, by the container the probe found: never the type the
# client claimed (a WAV sent as text/html with a page appended came back as that page).
_SERVED_TYPES = {
    "wav": "audio/wav",
    "mp3": "audio/mpeg",
    "flac": "audio/flac",
    "ogg": "audio/ogg",
    "aac": "audio/aac",
    "aiff": "audio/aiff",
    "matroska,webm": ("audio/webm", "video/webm"),
    "mov,mp4,m4a,3gp,3g2,mj2": ("audio/mp4", "video/mp4"),
}
UNKNOWN_TYPE = "application/octet-stream"


def served_type(file: Stored) -> str:
    """The Content-Type to serve a stored upload with: audio or video by its container, or
    application/octet-stream."""
    try:
        size = file.storage.size(file.name)
    except OSError:  # missing: the response says so
        return UNKNOWN_TYPE
    try:
        modified = file.storage.get_modified_time(file.name).timestamp()
    except (NotImplementedError, OSError):
        modified = 0.0
    return _served_type(file.storage, file.name, modified, size)


@lru_cache(maxsize=512)  # keyed by time and size too: a replaced file is probed again
def _served_type(storage, name: str, modified: float, size: int) -> str:
    try:
        info = probe_stored(StoredFile(name, storage))
    except (InvalidMedia, OSError):
        return UNKNOWN_TYPE
    served = _SERVED_TYPES.get(info.format_name, UNKNOWN_TYPE)
    if isinstance(served, tuple):
        return served[1] if info.has_video else served[0]
    return served


def _duration(container, stream) -> float:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / av.time_base
    return 0.0


def _decode_first_frame(container, stream) -> None:
    for frame in container.decode(stream):
        if frame.samples:
            return
    raise InvalidMedia("The audio track holds no decodable sound.")


def iter_pcm(
    path: Path | BinaryIO, *, start_at: float = 0.0, block_seconds: float = 30.0
) -> Iterator[np.ndarray]:
    """Yield mono float32 16 kHz blocks of about `block_seconds`, from `start_at` on, from a
    file's path or an open (seekable) file, such as a stored file from `storage.open`.

    Decodes as it goes, so memory stays flat however long the file is.
    """
    block = int(block_seconds * SAMPLE_RATE)
    pending: list[np.ndarray] = []
    pending_len = 0
    for chunk in _iter_resampled(path, start_at):
        pending.append(chunk)
        pending_len += len(chunk)
        if pending_len >= block:
            joined = np.concatenate(pending)
            while len(joined) >= block:
                yield joined[:block]
                joined = joined[block:]
            pending, pending_len = ([joined], len(joined)) if len(joined) else ([], 0)
    if pending_len:
        yield np.concatenate(pending)


def _iter_resampled(path: Path | BinaryIO, start_at: float) -> Iterator[np.ndarray]:
    """Samples from exactly `start_at` on, in the decoder's own chunk sizes."""
    resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
    to_skip = None if start_at > 0 else 0
    try:
        source = str(path) if isinstance(path, Path) else path
        with av.open(source, metadata_errors="ignore") as container:
            stream = next(s for s in container.streams if s.type == "audio")
            if start_at > 0:
                # Lands on a keyframe at or before the position; the overlap is dropped below.
                container.seek(int(start_at * av.time_base), any_frame=False, backward=True)
            for frame in _decode_tolerantly(container, stream):
                if to_skip is None:
                    first = _frame_seconds(frame)
                    to_skip = int((start_at - (first or 0.0)) * SAMPLE_RATE)
                    if to_skip < 0:  # the seek overshot: keep time true with silence
                        yield np.zeros(-to_skip, dtype=np.float32)
                        to_skip = 0
                for out in resampler.resample(frame):
                    samples = _to_float(out)
                    if to_skip:
                        dropped = min(to_skip, len(samples))
                        samples, to_skip = samples[dropped:], to_skip - dropped
                    if len(samples):
                        yield samples
            for out in resampler.resample(None):
                yield _to_float(out)
    except av.FFmpegError as exc:
        raise InvalidMedia("The audio could not be decoded.") from exc


def _decode_tolerantly(container, stream):
    """Decode until the end, stopping quietly at a truncated or damaged tail."""
    packets = container.demux(stream)
    while True:
        try:
            packet = next(packets)
        except StopIteration:
            return
        except av.FFmpegError:
            return
        try:
            yield from packet.decode()
        except av.FFmpegError:
            continue


def _frame_seconds(frame) -> float | None:
    if frame.pts is None or frame.time_base is None:
        return None
    return float(frame.pts * frame.time_base)


def _to_float(frame) -> np.ndarray:
    return frame.to_ndarray().reshape(-1).astype(np.float32) / 32768.0


def too_long_message(max_seconds: float, duration: float | None = None) -> str:
    length = f"{clock(duration)} long" if duration else "longer"
    return f"The recording is {length}; at most {clock(max_seconds)} is taken here."


def decode_all(path: Path, *, max_seconds: float | None = None) -> np.ndarray:
    """The whole file as mono float32 16 kHz; for short clips only.

    Decoding stops as soon as it passes `max_seconds` (InvalidMedia): a container that hides
    or understates its length cannot make a worker hold hours of audio.
    """
    limit = None if max_seconds is None else int(max_seconds * SAMPLE_RATE)
    blocks, total = [], 0
    for block in iter_pcm(path, block_seconds=10.0):
        total += len(block)
        if limit is not None and total > limit:
            raise InvalidMedia(too_long_message(max_seconds))
        blocks.append(block)
    return np.concatenate(blocks) if blocks else np.zeros(0, dtype=np.float32)
