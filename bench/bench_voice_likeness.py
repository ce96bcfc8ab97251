"""Likeness of custom voices to held-out recordings of the same person (issue 15).

The candidates are the portal's stock voices native to the samples' language (English here:
Piper joe, Flite slt/rms/awb). Every one is reshaped (voice_match with fit_candidates=all) and
the one closest to the samples reading SELECT_TEXT is kept. "before": the search without its
last step, the encoder-steered equaliser (steer.py); "after": with it. Each speaker's voice is
made from some recordings and scored against a recording, or a part of one, the matching never
saw, reading a text the search never saw: Resemblyzer cosine (the measure the search uses) and
CAM++ cosine (another encoder, never used by the search: a cross-check that a gain is not just
the first encoder's quirk). The chosen voices read a fourth text for tiny.en (WER).

    python bench/bench_voice_likeness.py [--json out.json]
"""

import argparse
import functools
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


# Heard only by the listening check (tiny.en), never by the search or the choice.
LISTEN_TEXT = (
    "Please remember to bring your umbrella tomorrow. The forecast says it will rain all "
    "afternoon, and the buses are often crowded when the weather turns bad."
)


def _without_steer(match):
    """The search's result without its last step, the encoder-steered equaliser: what the
    search gave before it (each step comes after the ones before it)."""
    from dataclasses import replace

    return replace(match, steer_db=())


# "before": the search as it was (pitch, formants, equaliser, frame map); "after": with the
# encoder-steered equaliser (steer.py).
VARIANTS = {"before": _without_steer, "after": lambda match: match}


def transcribe_wer(stt, audio, rate: int, text: str) -> float:
    import tempfile
    import wave

    import numpy as np

    from apps.engines.stt.base import Segment, TranscriptionRequest
    from tests.wer import wer

    with tempfile.NamedTemporaryFile(suffix=".wav") as tmp:
        with wave.open(tmp.name, "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(rate)
            out.writeframes((np.clip(audio, -1, 1) * 32767).astype(np.int16).tobytes())
        events = stt.transcribe(TranscriptionRequest(audio_path=Path(tmp.name)))
        heard = " ".join(e.text for e in events if isinstance(e, Segment))
    return wer(text, heard)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", type=Path)
    parser.add_argument("--speakers", type=int, default=len(SPEAKERS))
    args = parser.parse_args()
    setup_django()
    import numpy as np
    from django.conf import settings

    from apps.engines.analysis.campplus import CamPlusPlusEncoder
    from apps.engines.stt.local import LocalWhisperBackend
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
    stt = LocalWhisperBackend(alias="bench", default_model="tiny.en", beam_size=1, cpu_threads=1)
    candidates = [(b, v) for b in (piper, kokoro) for v in b.voices()]
    candidates += [(flite, v) for v in flite.voices() if v.id in ("slt", "rms", "awb")]
    candidates = m.candidates_for_language(candidates, "en")
    cam = CamPlusPlusEncoder()
    # Each text is read once per voice, so that the variants are compared on the same audio
    # (Piper samples noise: two readings differ by up to 0.03 in similarity).
    m.speak = functools.lru_cache(maxsize=None)(m.speak)
    fit = m.steer.fit

    def timed_fit(*args):
        started = time.perf_counter()
        try:
            return fit(*args)
        finally:
            seconds["steer fit"] = seconds.get("steer fit", 0.0) + time.perf_counter() - started

    m.steer.fit = timed_fit
    rows, seconds = [], {"speech": 0.0, **{name: 0.0 for name in VARIANTS}}
    for label, files, held_out in SPEAKERS[: args.speakers]:
        held_audio = load(held_out)
        held = embed_utterance(held_audio)
        held_cam = cam(preprocess(held_audio))
        samples = [load(f) for f in files]
        target = embed_speaker(list(map(preprocess, samples)), preprocessed=True)
        # What voice_match does with fit_candidates=len(candidates), every fit kept; each
        # variant is the same search with some of its last steps left out (VARIANTS).
        fitted = []
        for rank, (backend, voice, _) in enumerate(m._rank(target, candidates)):
            started = time.perf_counter()
            after = m._Search(target, samples, backend, voice).result
            seconds["search"] = seconds.get("search", 0.0) + time.perf_counter() - started
            audio, rate = m.speak(backend, voice.id, m.EVAL_TEXT)
            row = {"voice": f"{backend.alias}/{voice.id}", "rank": rank, "_match": {}}
            row["stock_held_out"] = round(m.similarity(held, m._embed(audio, rate)), 4)
            row["steps"] = {"frames": after.frame_strength, "steer": after.steer_db}
            for name, variant in VARIANTS.items():
                match = variant(after)
                row["_match"][name] = match
                row[f"select_{name}"] = round(m._selection_score(target, backend, match), 4)
                started = time.perf_counter()
                reshaped = resample(m.transform(audio, rate, match), rate)
                seconds[name] += time.perf_counter() - started
                row[f"{name}_held_out"] = round(m.similarity(held, embed_utterance(reshaped)), 4)
                row[f"{name}_cam"] = round(float(np.dot(held_cam, cam(preprocess(reshaped)))), 4)
            seconds["speech"] += len(audio) / rate
            row["_backend"] = backend
            fitted.append(row)
            print(label, {k: v for k, v in row.items() if not k.startswith("_")}, flush=True)
        result = {"speaker": label}
        for name in VARIANTS:
            best = max(fitted, key=lambda f, n=name: f[f"select_{n}"])
            backend, match = best["_backend"], best["_match"][name]
            result[name] = {
                "voice": best["voice"],
                "stock": best["stock_held_out"],
                "matched": best[f"{name}_held_out"],
                "cam": best[f"{name}_cam"],
            }
            listen, rate = m.speak(backend, match.voice, LISTEN_TEXT)
            result[name]["wer_stock"] = round(transcribe_wer(stt, listen, rate, LISTEN_TEXT), 3)
            result[name]["wer_matched"] = round(
                transcribe_wer(stt, m.transform(listen, rate, match), rate, LISTEN_TEXT), 3
            )
        result["all"] = [{k: v for k, v in f.items() if not k.startswith("_")} for f in fitted]
        print(label, {name: result[name] for name in VARIANTS}, flush=True)
        rows.append(result)
    for name in VARIANTS:
        mean = sum(r[name]["matched"] for r in rows) / len(rows)
        cam_mean = sum(r[name]["cam"] for r in rows) / len(rows)
        line = f"{name}: mean held-out similarity {mean:.3f} (CAM++ {cam_mean:.3f})"
        if "wer_matched" in rows[0][name]:
            wer_m = sum(r[name]["wer_matched"] for r in rows) / len(rows)
            wer_s = sum(r[name]["wer_stock"] for r in rows) / len(rows)
            line += f"; tiny.en WER stock {wer_s:.3f}, matched {wer_m:.3f}"
        print(f"{line}; reshaping {seconds[name] / seconds['speech']:.3f} s per second of speech")
    fits = sum(len(r["all"]) for r in rows)
    print(
        f"search: {seconds['search'] / fits:.1f} s per voice fitted, of which the steered "
        f"equaliser's fit {seconds['steer fit'] / fits:.1f} s"
    )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
