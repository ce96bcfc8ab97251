"""Likeness of custom voices to held-out recordings of the same person (issue 15).

"nearest": the portal's candidates (Piper, Kokoro, Flite slt/rms/awb), only voices native to the
samples' language (English here: Piper joe, Flite slt/rms/awb), the stock voice nearest to the
samples reshaped (what the portal did until now). "best fit": every one of them reshaped, the
one closest to the samples reading SELECT_TEXT kept (what it does now, VOICEPORTAL_MATCH_FITTED).
Each speaker's voice is made from some recordings and scored (resemblyzer cosine) against a
recording, or a part of one, the matching never saw, reading a text the search never saw.

    python bench/bench_voice_likeness.py [--json out.json]
"""

import argparse
import json
import os
import sys
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
    from apps.engines.voice import match as m
    from apps.engines.voice.embed import embed_speaker, embed_utterance, preprocess, resample

    piper = PiperBackend(alias="piper", cpu_threads=1)
    kokoro = KokoroBackend(
        alias="kokoro", cpu_threads=1, model_cache=settings.VOICEPORTAL_MODEL_CACHE
    )
    flite = FliteBackend(alias="flite")
    candidates = [(b, v) for b in (piper, kokoro) for v in b.voices()]
    candidates += [(flite, v) for v in flite.voices() if v.id in ("slt", "rms", "awb")]
    candidates = m.candidates_for_language(candidates, "en")
    rows = []
    for label, files, held_out in SPEAKERS:
        held = embed_utterance(load(held_out))
        samples = [load(f) for f in files]
        target = embed_speaker(list(map(preprocess, samples)), preprocessed=True)
        # What voice_match does with fit_candidates=len(candidates), every fit kept.
        fitted = []
        for rank, (backend, voice, _) in enumerate(m._rank(target, candidates)):
            match = m._Search(target, samples, backend, voice).result
            audio, rate = m.speak(backend, voice.id, m.EVAL_TEXT)
            reshaped = resample(m.transform(audio, rate, match), rate)
            fitted.append(
                {
                    "voice": f"{backend.alias}/{voice.id}",
                    "rank": rank,
                    "select": round(m._selection_score(target, backend, match), 4),
                    "stock_held_out": round(m.similarity(held, m._embed(audio, rate)), 4),
                    "matched_held_out": round(m.similarity(held, embed_utterance(reshaped)), 4),
                }
            )
            print(label, fitted[-1], flush=True)
        best = max(fitted, key=lambda f: f["select"])
        rows.append({"speaker": label, "nearest": fitted[0], "best fit": best, "all": fitted})
    for name in ("nearest", "best fit"):
        mean = sum(r[name]["matched_held_out"] for r in rows) / len(rows)
        print(f"mean held-out similarity, {name}: {mean:.3f}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
