"""The offline music engine: an arranger (arranger.py) reading the prompt (prompt.py) and a
SoundFont renderer (render.py). Honest about what it is: a rule-based arranger with a General
MIDI font, not a neural model; it makes instrumentals and a MIDI file of them."""

import io
import random
from pathlib import Path

from .arranger import Arranger, plan_sections, total_bars_for
from .base import AudioResult, MusicBackend, MusicRequest
from .prompt import style_read
from .render import SAMPLE_RATE, bundled_soundfont, render


class LocalArranger(MusicBackend):
    label = "Arranger (offline)"
    makes_midi = True
    supports_sections = True
    supports_seed = True
    runs_locally = True
    description = (
        'A rule-based arranger, not a neural model: it reads genre, tempo ("110 bpm"), key '
        '("A minor"), mood and instruments from the prompt, writes chords, melody, bass and '
        "drums, and plays them with a General MIDI SoundFont. Instrumental only."
    )

    def __init__(self, *, alias: str, soundfont: str = "", **options):
        super().__init__(alias=alias, **options)
        self.soundfont = Path(soundfont) if soundfont else bundled_soundfont()

    def configuration_problem(self) -> str | None:
        try:
            import tinysoundfont  # noqa: F401
        except ImportError:
            return "the tinysoundfont package is not installed"
        if not self.soundfont.is_file():
            return f"no SoundFont at {self.soundfont}"
        return None

    def compose(self, request: MusicRequest, *, progress=None) -> AudioResult:
        self.check(request)
        # The seed decides everything the prompt leaves open; a string seed keeps it stable
        # across Python versions (hash randomisation does not touch random.Random(str)).
        rng = random.Random(f"{request.seed or 0}:{request.prompt.strip().lower()}")
        style = style_read(request.prompt, rng=rng)
        sections = plan_sections(
            total_bars_for(request.seconds, style.bpm), sections=request.sections, bpm=style.bpm
        )
        song = Arranger(style, rng=rng).arrange(sections, end_seconds=request.seconds)
        audio = render(song, seconds=request.seconds, soundfont=self.soundfont, progress=progress)
        midi = io.BytesIO()
        song.write(midi)
        understood = style.understood
        if request.lyrics or not request.instrumental:
            understood += "; instrumental only: the arranger does not sing"
        plan = ", ".join(f"{s.name} {s.bars}" for s in sections)
        return AudioResult(
            samples=audio,
            sample_rate=SAMPLE_RATE,
            midi=midi.getvalue(),
            understood=f"{understood}. Sections (bars): {plan}.",
            title=f"{style.mood.capitalize() + ' ' if style.mood else ''}{style.genre.name} "
            f"in {style.key_name}".strip(),
        )
