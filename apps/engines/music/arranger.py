"""A seeded arranger: a `Style` and a length in, a multi-part `PrettyMIDI` song out.

Not a neural model: it plans sections (intro, verses, choruses, a bridge, an outro), picks a
chord progression for each kind of section, writes a melody from a motif it varies, a bass line
and comping in the genre's manner, drums with fills at the ends of sections and a crash where a
chorus comes in, and ends on a held tonic chord. Everything random comes from one
`random.Random`, so the same prompt and seed give the same song.
"""

import random
from dataclasses import dataclass

import pretty_midi

from .base import Section
from .prompt import Style

MAJOR = (0, 2, 4, 5, 7, 9, 11)
MINOR = (0, 2, 3, 5, 7, 8, 10)
BEATS_PER_BAR = 4
STEPS_PER_BAR = 16

# Progressions as scale degrees (0 = the tonic), one chord a bar.
PROGRESSIONS = {
    "major": ((0, 4, 5, 3), (0, 5, 3, 4), (5, 3, 0, 4), (0, 3, 4, 3), (0, 3, 5, 4), (3, 4, 0, 5)),
    "minor": ((0, 5, 2, 6), (0, 3, 6, 2), (0, 6, 5, 6), (0, 3, 4, 0), (0, 5, 3, 4), (5, 6, 0, 0)),
}

# General MIDI drum keys.
KICK, SNARE, CLAP, CLOSED_HAT, PEDAL_HAT, OPEN_HAT, CRASH, RIDE = 36, 38, 39, 42, 44, 46, 49, 51
LOW_TOM, MID_TOM, HIGH_TOM = 45, 47, 50

# One bar on a 16-step grid: (step, key, velocity 0-1).
DRUM_PATTERNS = {
    "backbeat": [(0, KICK, 1), (8, KICK, 0.9), (10, KICK, 0.7), (4, SNARE, 1), (12, SNARE, 1)]
    + [(s, CLOSED_HAT, 0.6 if s % 4 else 0.75) for s in range(0, 16, 2)],
    "four_on_floor": [(s, KICK, 1) for s in (0, 4, 8, 12)]
    + [(4, CLAP, 0.9), (12, CLAP, 0.9)]
    + [(s, OPEN_HAT, 0.6) for s in (2, 6, 10, 14)],
    "lofi": [(0, KICK, 0.9), (7, KICK, 0.6), (10, KICK, 0.8), (4, SNARE, 0.8), (12, SNARE, 0.8)]
    + [(s, CLOSED_HAT, 0.45) for s in range(0, 16, 2)],
    "hiphop": [(0, KICK, 1), (3, KICK, 0.7), (10, KICK, 0.9), (4, SNARE, 1), (12, SNARE, 1)]
    + [(s, CLOSED_HAT, 0.5) for s in range(0, 16, 2)],
    "swing": [(s, RIDE, 0.7) for s in (0, 4, 6, 8, 12, 14)]
    + [(4, PEDAL_HAT, 0.6), (12, PEDAL_HAT, 0.6), (0, KICK, 0.5), (8, KICK, 0.4)],
    "funk": [(0, KICK, 1), (3, KICK, 0.7), (10, KICK, 0.9), (4, SNARE, 1), (12, SNARE, 1)]
    + [(7, SNARE, 0.3), (15, SNARE, 0.3)]
    + [(s, CLOSED_HAT, 0.55 if s % 2 else 0.7) for s in range(16)],
    "toms": [(0, KICK, 1), (8, KICK, 0.8), (0, LOW_TOM, 0.9), (6, LOW_TOM, 0.7)]
    + [(8, MID_TOM, 0.8), (11, LOW_TOM, 0.7), (12, SNARE, 0.6)],
}

# How strongly each kind of section plays, and what joins in.
_SECTION_ENERGY = {"intro": 0.6, "verse": 0.75, "chorus": 0.95, "bridge": 0.7, "outro": 0.65}


@dataclass(frozen=True)
class PlannedSection:
    name: str
    start_bar: int
    bars: int

    @property
    def kind(self) -> str:
        """intro, verse, chorus, bridge or outro (a name such as "chorus 2" or "drop" maps to
        the nearest)."""
        name = self.name.lower()
        for kind in ("intro", "verse", "chorus", "bridge", "outro"):
            if kind in name:
                return kind
        aliases = {"drop": "chorus", "hook": "chorus", "refrain": "chorus", "ending": "outro",
                   "break": "bridge", "pre": "verse", "middle": "bridge"}  # fmt: skip
        return next((v for k, v in aliases.items() if k in name), "verse")


def bar_seconds(bpm: int) -> float:
    return BEATS_PER_BAR * 60.0 / bpm


def plan_sections(
    total_bars: int, *, sections: tuple[Section, ...] = (), bpm: int
) -> list[PlannedSection]:
    """The song's sections: the ones asked for (their lengths rounded to whole bars), or a
    plan that fits `total_bars`."""
    if sections:
        planned, start = [], 0
        for s in sections:
            bars = max(1, round(s.seconds / bar_seconds(bpm)))
            planned.append(PlannedSection(s.name, start, bars))
            start += bars
        return planned
    if total_bars <= 4:
        return [PlannedSection("verse", 0, total_bars)]
    edge = 1 if total_bars < 12 else 2 if total_bars < 32 else 4
    unit = 4 if total_bars < 40 else 8
    middle = total_bars - 2 * edge
    order = ["verse", "chorus", "verse", "chorus", "bridge", "chorus"]
    planned, start, i = [PlannedSection("intro", 0, edge)], edge, 0
    while middle > 0:
        name = order[i % len(order)] if i < len(order) else ("verse", "chorus")[i % 2]
        bars = min(unit // 2 if name == "bridge" else unit, middle)
        if middle - bars < 2:  # no one- or two-bar scrap at the end: the last part takes it
            bars = middle
        planned.append(PlannedSection(name, start, bars))
        start, middle, i = start + bars, middle - bars, i + 1
    planned.append(PlannedSection("outro", start, edge))
    return planned


def total_bars_for(seconds: float, bpm: int) -> int:
    return max(1, round(seconds / bar_seconds(bpm)))


class Arranger:
    def __init__(self, style: Style, *, rng: random.Random):
        self.style = style
        self.rng = rng
        self.scale = MAJOR if style.mode == "major" else MINOR
        self.step = 60.0 / style.bpm / 4  # a sixteenth note
        self.progressions = {
            kind: rng.choice(PROGRESSIONS[style.mode])
            for kind in ("intro", "verse", "chorus", "bridge", "outro")
        }
        self.progressions["intro"] = self.progressions["outro"] = self.progressions["verse"]
        self.motifs = {kind: self._motif() for kind in ("verse", "chorus", "bridge")}

    def arrange(
        self, sections: list[PlannedSection], *, end_seconds: float
    ) -> pretty_midi.PrettyMIDI:
        style = self.style
        song = pretty_midi.PrettyMIDI(initial_tempo=style.bpm)
        self.lead = pretty_midi.Instrument(style.lead.program, name=style.lead.name)
        self.harmony = pretty_midi.Instrument(style.harmony.program, name=style.harmony.name)
        self.bass = pretty_midi.Instrument(style.genre.bass.program, name=style.genre.bass.name)
        self.drums = pretty_midi.Instrument(0, is_drum=True, name="drums")
        last_bar = sections[-1].start_bar + sections[-1].bars - 1
        for section in sections:
            self._section(section, last_bar=last_bar)
        self._ending(last_bar, end_seconds)
        song.instruments = [i for i in (self.harmony, self.bass, self.lead, self.drums) if i.notes]
        return song

    # --- Sections -------------------------------------------------------------------------

    def _section(self, section: PlannedSection, *, last_bar: int) -> None:
        kind = section.kind
        energy = _SECTION_ENERGY[kind] * (0.55 + 0.45 * self.style.energy)
        progression = self.progressions[kind]
        for i in range(section.bars):
            bar = section.start_bar + i
            if bar == last_bar:
                return  # the ending chord takes the last bar
            degree = progression[i % len(progression)]
            self._comp(bar, degree, energy)
            if kind != "intro" or i >= section.bars // 2:
                self._bass(bar, degree, progression[(i + 1) % len(progression)], energy)
            if kind in ("verse", "chorus", "bridge"):
                self._melody(bar, i, kind, degree, energy)
            fill = i == section.bars - 1 and section.bars > 1 and bar + 1 != last_bar
            self._drum_bar(bar, kind, energy, fill=fill, crash=i == 0 and kind == "chorus")

    def _time(self, bar: int, step: float) -> float:
        """Seconds at a sixteenth of a bar, with the genre's swing on the off-beat eighths."""
        swing = self.style.genre.swing
        if swing and int(step) % 4 == 2 and step == int(step):
            step += swing * 2
        return (bar * STEPS_PER_BAR + step) * self.step

    def _note(self, track, pitch: int, start: float, end: float, velocity: float) -> None:
        velocity = int(max(1, min(127, velocity * 110 + self.rng.uniform(-6, 6))))
        track.notes.append(pretty_midi.Note(velocity, int(pitch), start, max(end, start + 0.02)))

    # --- Harmony --------------------------------------------------------------------------

    def _pitch(self, degree: int, octave: int) -> int:
        """The MIDI note of a scale degree (any integer) in the key, around `octave`."""
        octave_shift, index = divmod(degree, 7)
        return 12 * (octave + octave_shift) + self.style.root + self.scale[index]

    def _chord(self, degree: int, octave: int = 4, size: int = 3) -> list[int]:
        sevenths = self.style.genre.name == "jazz"
        return [self._pitch(degree + 2 * k, octave) for k in range(4 if sevenths else size)]

    def _comp(self, bar: int, degree: int, energy: float) -> None:
        chord = self._chord(degree)
        start, end = self._time(bar, 0), self._time(bar + 1, 0)
        style = self.style.genre.comping
        if style == "pad":
            for p in chord:
                self._note(self.harmony, p, start, end, 0.55 * energy)
        elif style == "stabs":
            for step, length in ((0, 3), (6, 2), (10, 2)):
                for p in chord:
                    t = self._time(bar, step)
                    self._note(self.harmony, p, t, t + length * self.step, 0.7 * energy)
        elif style == "strum":
            for beat in range(BEATS_PER_BAR):
                for k, p in enumerate(chord + [chord[0] + 12]):
                    t = self._time(bar, beat * 4) + 0.012 * k
                    self._note(self.harmony, p, t, t + 3.5 * self.step, 0.65 * energy)
        else:  # arpeggio
            tones = chord + [chord[0] + 12, chord[1] + 12]
            order = tones + tones[-2:0:-1]
            for step in range(0, STEPS_PER_BAR, 2):
                t = self._time(bar, step)
                self._note(self.harmony, order[step // 2 % len(order)], t, t + 2 * self.step,
                           0.6 * energy)  # fmt: skip

    def _bass(self, bar: int, degree: int, next_degree: int, energy: float) -> None:
        root = self._pitch(degree, 2)
        style = self.style.genre.bass_style
        if style == "eighths":
            hits = [(s, root, 2) for s in range(0, 16, 2)]
        elif style == "octaves":
            hits = [(s, root + (12 if s % 4 else 0), 2) for s in range(0, 16, 2)]
        elif style == "walking":
            approach = self._pitch(next_degree, 2) - 1
            hits = [(0, root, 4), (4, self._pitch(degree + 2, 2), 4),
                    (8, self._pitch(degree + 4, 2), 4), (12, approach, 4)]  # fmt: skip
        else:
            hits = [(0, root, 7), (8, root, 4), (12, self._pitch(degree + 4, 2), 4)]
        for step, pitch, length in hits:
            t = self._time(bar, step)
            self._note(self.bass, pitch, t, t + length * self.step * 0.95, 0.8 * energy)

    # --- Melody ---------------------------------------------------------------------------

    def _motif(self) -> list[tuple[int, int, int]]:
        """Two bars of (step, length, scale-degree offset from the chord's root): a rhythm and
        a contour that verses or choruses repeat and vary."""
        rhythms = (
            (4, 4, 2, 2, 4, 4, 4, 8),
            (2, 2, 4, 4, 2, 2, 4, 8, 4),
            (6, 2, 4, 4, 6, 2, 8),
            (4, 2, 2, 4, 4, 4, 2, 2, 8),
            (3, 3, 2, 4, 4, 3, 3, 2, 8),
        )
        rhythm = self.rng.choice(rhythms)
        motif, step, degree = [], 0, self.rng.choice((0, 2, 4))
        for length in rhythm:
            strong = step % 8 == 0
            if strong:  # chord tones on the strong beats
                degree = self.rng.choice((0, 2, 4, 7))
            else:
                degree += self.rng.choice((-2, -1, -1, 1, 1, 2))
            motif.append((step, length, max(-3, min(9, degree))))
            step += length
        return motif

    def _melody(self, bar: int, index: int, kind: str, degree: int, energy: float) -> None:
        motif = self.motifs[kind]
        half = index % 2  # which bar of the two-bar motif
        variation = (index // 2) % 4  # phrases 2 and 4 answer phrases 1 and 3
        octave = 5 if kind == "chorus" else 4
        for step, length, offset in motif:
            if step // 16 != half:
                continue
            if variation in (1, 3) and step >= 16 and offset == motif[-1][2]:
                offset = 0  # the answer resolves to the chord's root
            if variation == 2 and self.rng.random() < 0.25:
                offset += self.rng.choice((-1, 1))
            pitch = self._pitch(degree + offset, octave)
            while pitch > 88:
                pitch -= 12
            t = self._time(bar, step % 16)
            self._note(self.lead, pitch, t, t + length * self.step * 0.9, 0.8 * energy)

    # --- Drums ----------------------------------------------------------------------------

    def _drum_bar(self, bar: int, kind: str, energy: float, *, fill: bool, crash: bool) -> None:
        pattern = self.style.drums
        if not pattern:
            return
        hits = DRUM_PATTERNS[pattern]
        if kind == "intro":
            hits = [h for h in hits if h[1] in (CLOSED_HAT, RIDE, OPEN_HAT, PEDAL_HAT)]
        elif kind == "bridge":
            hits = [h for h in hits if h[1] != KICK or h[0] == 0] + [(8, SNARE, 0.5)]
        if fill:
            hits = [h for h in hits if h[0] < 8] + self._fill()
        if crash:
            hits = [*hits, (0, CRASH, 0.9), (0, KICK, 1)]
        for step, key, velocity in hits:
            t = self._time(bar, step)
            self._note(self.drums, key, t, t + self.step, velocity * energy)

    def _fill(self) -> list[tuple[int, int, float]]:
        """The second half of a bar: sixteenths down the toms or on the snare, getting louder."""
        voices = self.rng.choice(
            ((SNARE,) * 8, (HIGH_TOM,) * 3 + (MID_TOM,) * 3 + (LOW_TOM,) * 2, (SNARE, SNARE) * 4)
        )
        rest = self.rng.randrange(8)  # one step left out, so fills differ
        return [(8 + i, v, 0.55 + 0.06 * i) for i, v in enumerate(voices) if i != rest] + [
            (15, KICK, 0.8)
        ]

    # --- Ending ---------------------------------------------------------------------------

    def _ending(self, bar: int, end_seconds: float) -> None:
        """The tonic chord held from the last bar to the end, with a crash and a low root."""
        start = self._time(bar, 0)
        end = max(end_seconds, start + 0.5)
        for p in self._chord(0):
            self._note(self.harmony, p, start, end, 0.6)
        self._note(self.bass, self._pitch(0, 2), start, end, 0.8)
        self._note(self.lead, self._pitch(0, 5), start, end, 0.6)
        if self.style.drums:
            self._note(self.drums, CRASH, start, start + 1.0, 0.9)
            self._note(self.drums, KICK, start, start + 0.2, 0.9)
