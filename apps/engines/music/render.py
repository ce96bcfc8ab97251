"""Rendering MIDI to audio with a SoundFont through `tinysoundfont` (no system library): the
General MIDI font bundled in pretty-midi's wheel, TimGM6mb.sf2, unless another is configured."""

from functools import cache
from pathlib import Path

import numpy as np
import pretty_midi

SAMPLE_RATE = 44_100
CHANNELS = 2
DRUM_CHANNEL = 9
# Rendered in pieces of this many frames between MIDI events at most, so progress and cancel
# are seen during a long track.
_PIECE = SAMPLE_RATE
PEAK = 0.89  # -1 dBFS
FADE_OUT_SECONDS = 1.5


def bundled_soundfont() -> Path:
    return Path(pretty_midi.__file__).parent / "TimGM6mb.sf2"


@cache
def _soundfont_bytes(path: str) -> bytes:
    # Read once per process: parsing a 6 MB font from bytes is quick, reading it is not.
    return Path(path).read_bytes()


def render(
    song: pretty_midi.PrettyMIDI, *, seconds: float, soundfont: Path, progress=None
) -> np.ndarray:
    """`seconds` of stereo float32 audio (frames × 2) of `song`, normalised to -1 dBFS and
    faded out at the end. `progress(fraction)` is called after each piece."""
    import tinysoundfont  # the engine's own dependency, imported where it is used

    total = round(seconds * SAMPLE_RATE)
    synth = tinysoundfont.Synth(samplerate=SAMPLE_RATE, gain=-6)
    sfid = synth.sfload(_soundfont_bytes(str(soundfont)))
    events = _events(song, synth, sfid)
    out = np.zeros((total, CHANNELS), dtype=np.float32)
    done = 0
    for frame, action in events:
        frame = min(frame, total)
        done = _generate(synth, out, done, frame, total, progress)
        action()
    _generate(synth, out, done, total, total, progress)
    return _master(out)


def _events(song, synth, sfid):
    """(frame, action) for every note, sorted; note-offs before note-ons at the same frame."""
    events = []
    melodic = iter(c for c in range(16) if c != DRUM_CHANNEL)
    for instrument in song.instruments:
        channel = DRUM_CHANNEL if instrument.is_drum else next(melodic)
        program = 0 if instrument.is_drum else instrument.program
        synth.program_select(channel, sfid, 0, program, is_drums=instrument.is_drum)
        for note in instrument.notes:
            on, off = round(note.start * SAMPLE_RATE), round(note.end * SAMPLE_RATE)
            events.append((on, 1, lambda c=channel, n=note: synth.noteon(c, n.pitch, n.velocity)))
            events.append((off, 0, lambda c=channel, n=note: synth.noteoff(c, n.pitch)))
    events.sort(key=lambda e: (e[0], e[1]))
    return [(frame, action) for frame, _, action in events]


def _generate(synth, out: np.ndarray, done: int, until: int, total: int, progress) -> int:
    while done < until:
        n = min(until - done, _PIECE)
        buffer = synth.generate(n)
        out[done : done + n] = np.frombuffer(buffer, dtype=np.float32).reshape(-1, CHANNELS)
        done += n
        if progress and n == _PIECE:
            progress(done / total)
    return done


def _master(audio: np.ndarray) -> np.ndarray:
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    if peak > 0:
        audio *= PEAK / peak
    fade = min(len(audio), round(min(FADE_OUT_SECONDS, len(audio) / SAMPLE_RATE / 4) * SAMPLE_RATE))
    if fade:
        audio[-fade:] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)[:, None]
    return audio
