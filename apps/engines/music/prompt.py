"""What the local arranger reads from a prompt: genre, tempo, key and mode, mood and
instruments, by keywords and numbers. Whatever it did not find comes from the genre (or is
chosen by the seed), and `Style.understood` says all of it back to the user."""

import random
import re
from dataclasses import dataclass, replace

NOTE_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
_PITCH_CLASS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
MIN_BPM, MAX_BPM = 40, 220


@dataclass(frozen=True)
class Instrument:
    name: str
    program: int  # General MIDI program (0-based)


# General MIDI programs, by the words that ask for them.
INSTRUMENTS = {
    "piano": Instrument("piano", 0),
    "electric piano": Instrument("electric piano", 4),
    "rhodes": Instrument("electric piano", 4),
    "organ": Instrument("organ", 16),
    "acoustic guitar": Instrument("acoustic guitar", 25),
    "guitar": Instrument("electric guitar", 27),
    "distorted guitar": Instrument("distorted guitar", 30),
    "strings": Instrument("strings", 48),
    "violin": Instrument("violin", 40),
    "cello": Instrument("cello", 42),
    "harp": Instrument("harp", 46),
    "choir": Instrument("choir", 52),
    "trumpet": Instrument("trumpet", 56),
    "brass": Instrument("brass", 61),
    "horn": Instrument("french horn", 60),
    "saxophone": Instrument("saxophone", 65),
    "sax": Instrument("saxophone", 65),
    "flute": Instrument("flute", 73),
    "marimba": Instrument("marimba", 12),
    "bells": Instrument("bells", 14),
    "synth": Instrument("sawtooth lead", 81),
    "pad": Instrument("warm pad", 89),
}


@dataclass(frozen=True)
class Genre:
    name: str
    bpm: int
    mode: str  # "major" or "minor"
    lead: Instrument
    harmony: Instrument
    bass: Instrument
    drums: str  # a pattern of arranger.DRUM_PATTERNS, or "" for none
    comping: str  # how the harmony plays: "pad" (held), "stabs", "arpeggio", "strum"
    swing: float = 0.0  # 0: straight eighths; up to ~0.33 for a triplet feel
    bass_style: str = "roots"  # "roots", "eighths", "walking", "octaves"


_SYNTH_BASS = Instrument("synth bass", 38)
_FINGER_BASS = Instrument("bass guitar", 33)
_PICK_BASS = Instrument("picked bass", 34)
_UPRIGHT = Instrument("upright bass", 32)
_CELLO_BASS = Instrument("cello", 42)

GENRES = {
    "synthwave": Genre(
        "synthwave", 110, "minor", INSTRUMENTS["synth"], INSTRUMENTS["pad"], _SYNTH_BASS,
        "backbeat", "pad", bass_style="eighths",
    ),
    "lofi": Genre(
        "lo-fi", 80, "minor", INSTRUMENTS["electric piano"], INSTRUMENTS["electric piano"],
        _FINGER_BASS, "lofi", "stabs", swing=0.2,
    ),
    "rock": Genre(
        "rock", 124, "major", INSTRUMENTS["distorted guitar"], INSTRUMENTS["guitar"], _PICK_BASS,
        "backbeat", "strum", bass_style="eighths",
    ),
    "pop": Genre(
        "pop", 112, "major", INSTRUMENTS["synth"], INSTRUMENTS["piano"], _FINGER_BASS,
        "backbeat", "stabs",
    ),
    "jazz": Genre(
        "jazz", 120, "major", INSTRUMENTS["saxophone"], INSTRUMENTS["piano"], _UPRIGHT,
        "swing", "stabs", swing=0.3, bass_style="walking",
    ),
    "electronic": Genre(
        "electronic", 126, "minor", INSTRUMENTS["synth"], INSTRUMENTS["pad"], _SYNTH_BASS,
        "four_on_floor", "arpeggio", bass_style="octaves",
    ),
    "hiphop": Genre(
        "hip-hop", 90, "minor", INSTRUMENTS["electric piano"], INSTRUMENTS["strings"],
        _SYNTH_BASS, "hiphop", "pad", swing=0.15,
    ),
    "cinematic": Genre(
        "cinematic", 92, "minor", INSTRUMENTS["horn"], INSTRUMENTS["strings"], _CELLO_BASS,
        "toms", "pad",
    ),
    "classical": Genre(
        "classical", 96, "major", INSTRUMENTS["violin"], INSTRUMENTS["strings"], _CELLO_BASS,
        "", "arpeggio",
    ),
    "ambient": Genre(
        "ambient", 72, "major", INSTRUMENTS["bells"], INSTRUMENTS["pad"], _SYNTH_BASS, "", "pad",
    ),
    "folk": Genre(
        "folk", 100, "major", INSTRUMENTS["flute"], INSTRUMENTS["acoustic guitar"], _FINGER_BASS,
        "backbeat", "strum",
    ),
    "funk": Genre(
        "funk", 104, "minor", INSTRUMENTS["brass"], INSTRUMENTS["guitar"], _FINGER_BASS,
        "funk", "stabs", bass_style="eighths",
    ),
}  # fmt: skip

# Words that name a genre, longest first so "lo-fi hip hop" is lo-fi.
_GENRE_WORDS = {
    "synthwave": "synthwave", "retrowave": "synthwave", "outrun": "synthwave",
    "80s": "synthwave", "lo-fi": "lofi", "lofi": "lofi", "lo fi": "lofi", "chillhop": "lofi",
    "rock": "rock", "punk": "rock", "metal": "rock", "pop": "pop", "jazz": "jazz",
    "swing": "jazz", "bossa": "jazz", "edm": "electronic", "house": "electronic",
    "techno": "electronic", "trance": "electronic", "electronic": "electronic",
    "dance": "electronic", "hip hop": "hiphop", "hip-hop": "hiphop", "hiphop": "hiphop",
    "rap": "hiphop", "trap": "hiphop", "cinematic": "cinematic", "epic": "cinematic",
    "orchestral": "cinematic", "trailer": "cinematic", "film score": "cinematic",
    "classical": "classical", "baroque": "classical", "string quartet": "classical",
    "ambient": "ambient", "meditation": "ambient", "drone": "ambient", "folk": "folk",
    "acoustic": "folk", "country": "folk", "funk": "funk", "disco": "funk",
}  # fmt: skip

# Mood words: (name, mode it suggests or "", tempo factor, loudness 0-1).
_MOODS = {
    "happy": ("happy", "major", 1.05, 0.75), "upbeat": ("upbeat", "major", 1.08, 0.8),
    "cheerful": ("cheerful", "major", 1.05, 0.75), "bright": ("bright", "major", 1.0, 0.7),
    "uplifting": ("uplifting", "major", 1.05, 0.8), "sad": ("sad", "minor", 0.85, 0.5),
    "melancholic": ("melancholic", "minor", 0.88, 0.5), "dark": ("dark", "minor", 0.95, 0.65),
    "mysterious": ("mysterious", "minor", 0.9, 0.55), "calm": ("calm", "", 0.85, 0.45),
    "relaxed": ("relaxed", "", 0.88, 0.45), "chill": ("chill", "", 0.9, 0.5),
    "peaceful": ("peaceful", "major", 0.85, 0.4), "energetic": ("energetic", "", 1.12, 0.9),
    "intense": ("intense", "minor", 1.1, 0.95), "aggressive": ("aggressive", "minor", 1.12, 1.0),
    "romantic": ("romantic", "major", 0.9, 0.55), "tense": ("tense", "minor", 1.0, 0.75),
    "triumphant": ("triumphant", "major", 1.0, 0.9), "dreamy": ("dreamy", "major", 0.9, 0.45),
}  # fmt: skip

_BPM = re.compile(r"\b(\d{2,3})\s*(?:bpm|beats per minute)\b", re.I)
_KEY = re.compile(r"\b([A-G])(#|♯|b|♭)?\s*[- ]?(major|minor|maj|min|m)\b")
# "in a minor", "in f# major": lower case only after "in", where "a" cannot be the article.
_KEY_AFTER_IN = re.compile(r"\bin ([a-g])(#|♯|b|♭)?[- ]?(major|minor)\b", re.I)
_MODE = re.compile(r"\b(major|minor)\b", re.I)
_NO_DRUMS = re.compile(r"\b(no|without)\s+(drums|percussion|beat)\b", re.I)


@dataclass(frozen=True)
class Style:
    genre: Genre
    bpm: int
    root: int  # pitch class of the key, 0 = C
    mode: str
    mood: str
    energy: float  # 0-1: loudness and density
    lead: Instrument
    harmony: Instrument
    drums: str
    found: tuple[str, ...]  # what the prompt itself said (the rest was chosen)

    @property
    def key_name(self) -> str:
        return f"{NOTE_NAMES[self.root]} {self.mode}"

    @property
    def understood(self) -> str:
        """What the arranger made of the prompt, for the user to read."""
        heard = ", ".join(self.found) if self.found else "no keywords"
        parts = [
            f"{self.genre.name}, {self.bpm} bpm, {self.key_name}",
            f"mood {self.mood}" if self.mood else "",
            f"lead {self.lead.name}, harmony {self.harmony.name}, bass {self.genre.bass.name}",
            f"drums: {self.drums.replace('_', ' ')}" if self.drums else "no drums",
        ]
        return f"{'; '.join(p for p in parts if p)} (from the prompt: {heard})"


def style_read(prompt: str, *, rng: random.Random) -> Style:
    """The style a prompt asks for; what it leaves open is taken from the genre or `rng`."""
    text = " ".join(prompt.lower().split())
    found = []
    genre_key = _first_match(text, _GENRE_WORDS)
    if genre_key:
        found.append(GENRES[genre_key].name)
    genre = GENRES[genre_key or rng.choice(["pop", "lofi", "synthwave", "folk"])]
    mood_key = _first_match(text, _MOODS)  # the mood itself
    mood, mood_mode, tempo_factor, energy = mood_key or ("", "", 1.0, 0.7)
    if mood_key:
        found.append(mood)
    bpm = round(genre.bpm * tempo_factor)
    if match := _BPM.search(text):
        bpm = int(match.group(1))
        found.append(f"{bpm} bpm")
    bpm = min(max(bpm, MIN_BPM), MAX_BPM)
    root, mode = _key(prompt, found, default_mode=mood_mode or genre.mode, rng=rng)
    style = Style(
        genre=genre, bpm=bpm, root=root, mode=mode, mood=mood, energy=energy,
        lead=genre.lead, harmony=genre.harmony, drums=genre.drums, found=(),
    )  # fmt: skip
    style = _instruments(style, text, found)
    if _NO_DRUMS.search(text):
        style = replace(style, drums="")
        found.append("no drums")
    return replace(style, found=tuple(found))


def _first_match(text: str, table: dict) -> str | None:
    """The value of the word of `table` that comes first in `text` (whole words only)."""
    best = None
    for word, value in table.items():
        match = re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text)
        if match and (best is None or match.start() < best[0]):
            best = (match.start(), value)
    return best[1] if best else None


def _key(prompt: str, found: list, *, default_mode: str, rng: random.Random) -> tuple[int, str]:
    # Case matters: "a minor" alone is not A minor, "A minor" and "in a minor" are.
    if match := _KEY.search(prompt) or _KEY_AFTER_IN.search(prompt):
        letter, accidental, quality = match.groups()
        letter = letter.upper()
        root = _PITCH_CLASS[letter] + {"#": 1, "♯": 1, "b": -1, "♭": -1}.get(accidental or "", 0)
        mode = "major" if quality in ("major", "maj") else "minor"
        found.append(f"{NOTE_NAMES[root % 12]} {mode}")
        return root % 12, mode
    mode = default_mode
    if match := _MODE.search(prompt):
        mode = match.group(1).lower()
        found.append(f"{mode} key")
    # Keys that sit well for the instruments' ranges.
    return rng.choice([0, 2, 4, 5, 7, 9, 10]), mode


def _instruments(style: Style, text: str, found: list) -> Style:
    """Instruments the prompt names take the lead, then the harmony, in the order named."""
    named = []
    for word in sorted(INSTRUMENTS, key=len, reverse=True):
        match = re.search(rf"(?<![\w-]){re.escape(word)}s?(?![\w-])", text)
        taken = any(match and s <= match.start() < e for s, e, _ in named)
        if match and not taken:
            named.append((match.start(), match.end(), INSTRUMENTS[word]))
    named.sort(key=lambda n: n[0])
    instruments = [n[2] for n in named if n[2].program not in (38,)]
    if not instruments:
        return style
    found.extend(i.name for i in instruments)
    lead = instruments[0]
    harmony = instruments[1] if len(instruments) > 1 else style.harmony
    return replace(style, lead=lead, harmony=harmony)


def prompt_heard(prompt: str) -> str:
    """What the prompt itself tells the arranger, before any seed fills in the rest: for the
    studio to say while the user types."""
    import random

    style = style_read(prompt, rng=random.Random(0))
    if not style.found:
        return "No genre, tempo, key, mood or instrument recognised yet: the seed will choose."
    return f"Recognised: {', '.join(style.found)}. The seed chooses the rest."
