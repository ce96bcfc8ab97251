"""The recording as a WAV file that grows while the session runs.

The header is written with "unknown length" sizes first (what streaming WAV writers do), so
the file is readable even if the process dies mid-session; `recording_seal` writes the real
sizes. A continued session appends to the same file.
"""

import struct
from pathlib import Path

from apps.engines.stt.streaming.base import AUDIO_RATE

_HEADER = 44
_UNKNOWN = 0xFFFFFFFF


def _header(data_bytes: int) -> bytes:
    riff = min(_UNKNOWN, 36 + data_bytes)
    return (
        b"RIFF" + struct.pack("<I", riff) + b"WAVE"
        + b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, AUDIO_RATE, AUDIO_RATE * 2, 2, 16)
        + b"data" + struct.pack("<I", min(_UNKNOWN, data_bytes))
    )  # fmt: skip


def recording_open(path: Path) -> None:
    """Make the file when it is new; an existing recording is kept and appended to."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.stat().st_size < _HEADER:
        path.write_bytes(_header(_UNKNOWN - 36))


def recording_append(path: Path, pcm16: bytes) -> None:
    with open(path, "ab") as f:
        f.write(pcm16)


def recording_seal(path: Path) -> float:
    """Write the real sizes into the header; returns the duration in seconds."""
    data = path.stat().st_size - _HEADER
    with open(path, "r+b") as f:
        f.write(_header(data))
    return data / (AUDIO_RATE * 2)


def recording_seconds(path: Path) -> float:
    return max(0, path.stat().st_size - _HEADER) / (AUDIO_RATE * 2) if path.exists() else 0.0
