"""Likeness of custom voices to held-out recordings of the same person, before and after the
language-aware matching (issue 15).

"before": matched among every Piper and Kokoro voice, the nearest wins (what the portal did).
"after": the portal's candidates now (Piper, Kokoro, Flite slt/rms/awb), only voices native to
the samples' language (English here), so no Japanese-accented Kokoro voice.
Each speaker's voice is made from some recordings and scored (resemblyzer cosine) against a
recording, or a part of one, the matching never saw, reading a text the search never saw.

    python bench/bench_voice_likeness.py [--json out.json]
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"

# (label, files to make the voice from, held-out file); "file@a-b" is seconds a to b of a file.
SPEAKERS = [
    ("eagle speaker 1", ["eagle_spk1_utt1.wav", "eagle_spk1_utt2.wav"], "eagle_spk1_test.wav"),
    ("eagle speaker 2", ["eagle_spk2_test.wav@0-5.5"], "eagle_spk2_test.wav@5.5-10"),
    ("LibriSpeech 2412", ["libri_2412-153948-0000.flac"], "libri_2412-153948-0001.flac"),
    ("LibriVox reader (S&S)", ["librivox_sns_0870.wav"], "librivox_sns_0890.wav"),
    ("JFK 1961", ["jfk.flac@0-6"], "jfk.flac@6-11"),
]


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voiceportal.settings")
    import django

    django.setup()


def load(spec: str):
    from apps.engines.voice.embed import load_audio

    name, _, span = spec.partition("@")
    audio = load_audio(CORPUS / name)
    if span:
        start, end = (float(x) for x in span.split("-"))
        audio = audio[int(start * 16_000) : int(end * 16_000)]
    return audio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    setup_django()
    from django.conf import settings

    from apps.engines.tts.flite import FliteBackend
    from apps.engines.tts.kokoro import KokoroBackend
    from apps.engines.tts.piper import PiperBackend
    from apps.engines.voice.embed import embed_utterance, resample, similarity
    from apps.engines.voice.match import EVAL_TEXT, speak, transform, voice_match

    piper = PiperBackend(alias="piper", cpu_threads=1)
    kokoro = KokoroBackend(
        alias="kokoro", cpu_threads=1, model_cache=settings.VOICEPORTAL_MODEL_CACHE
    )
    flite = FliteBackend(alias="flite")
    before = [(b, v) for b in (piper, kokoro) for v in b.voices()]
    after = before + [(flite, v) for v in flite.voices() if v.id in ("slt", "rms", "awb")]
    setups = {"before": (before, ""), "after": (after, "en")}
    backends = {b.alias: b for b in (piper, kokoro, flite)}
    rows = []
    for label, files, held_out in SPEAKERS:
        held = embed_utterance(load(held_out))
        row = {"speaker": label}
        for name, (candidates, language) in setups.items():
            started = time.perf_counter()
            match = voice_match([load(f) for f in files], candidates, language=language)
            audio, rate = speak(backends[match.engine], match.voice, EVAL_TEXT)
            matched = transform(audio, rate, match)
            row[name] = {
                "voice": f"{match.engine}/{match.voice}",
                "stock_held_out": round(
                    similarity(held, embed_utterance(resample(audio, rate))), 4
                ),
                "matched_held_out": round(
                    similarity(held, embed_utterance(resample(matched, rate))), 4
                ),
                "matched_samples": match.similarity_matched,
                "seconds": round(time.perf_counter() - started, 1),
            }
            print(label, name, row[name], flush=True)
        rows.append(row)
    for name in setups:
        mean = sum(r[name]["matched_held_out"] for r in rows) / len(rows)
        print(f"mean held-out similarity, {name}: {mean:.3f}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
