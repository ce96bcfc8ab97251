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
    from dataclasses import replace

    from django.conf import settings

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
    rows, seconds = [], {"speech": 0.0, "before": 0.0, "after": 0.0}
    for label, files, held_out in SPEAKERS[: args.speakers]:
        held = embed_utterance(load(held_out))
        samples = [load(f) for f in files]
        target = embed_speaker(list(map(preprocess, samples)), preprocessed=True)
        # What voice_match does with fit_candidates=len(candidates), every fit kept. "before":
        # the same search without the frame-by-frame transfer (its last step, so the rest is
        # the same), "after": with it.
        fitted = []
        for rank, (backend, voice, _) in enumerate(m._rank(target, candidates)):
            after = m._Search(target, samples, backend, voice).result
            before = replace(after, frame_strength=0.0)
            audio, rate = m.speak(backend, voice.id, m.EVAL_TEXT)
            row = {"voice": f"{backend.alias}/{voice.id}", "rank": rank}
            row["stock_held_out"] = round(m.similarity(held, m._embed(audio, rate)), 4)
            row["frame_strength"] = after.frame_strength
            for name, match in (("before", before), ("after", after)):
                row[f"select_{name}"] = round(m._selection_score(target, backend, match), 4)
                started = time.perf_counter()
                reshaped = m.transform(audio, rate, match)
                seconds[name] += time.perf_counter() - started
                row[f"{name}_held_out"] = round(
                    m.similarity(held, embed_utterance(resample(reshaped, rate))), 4
                )
            seconds["speech"] += len(audio) / rate
            row["_match"] = (backend, before, after)
            fitted.append(row)
            print(label, {k: v for k, v in row.items() if k != "_match"}, flush=True)
        result = {"speaker": label}
        for name in ("before", "after"):
            best = max(fitted, key=lambda f, n=name: f[f"select_{n}"])
            backend, *matches = best["_match"]
            match = matches[name == "after"]
            listen, rate = m.speak(backend, match.voice, LISTEN_TEXT)
            result[name] = {
                "voice": best["voice"],
                "stock": best["stock_held_out"],
                "matched": best[f"{name}_held_out"],
                "wer_stock": round(transcribe_wer(stt, listen, rate, LISTEN_TEXT), 3),
                "wer_matched": round(
                    transcribe_wer(stt, m.transform(listen, rate, match), rate, LISTEN_TEXT), 3
                ),
            }
        result["all"] = [{k: v for k, v in f.items() if k != "_match"} for f in fitted]
        print(label, result["before"], result["after"], flush=True)
        rows.append(result)
    for name in ("before", "after"):
        mean = sum(r[name]["matched"] for r in rows) / len(rows)
        wer_m = sum(r[name]["wer_matched"] for r in rows) / len(rows)
        wer_s = sum(r[name]["wer_stock"] for r in rows) / len(rows)
        print(
            f"{name}: mean held-out similarity {mean:.3f}; tiny.en WER stock {wer_s:.3f}, "
            f"matched {wer_m:.3f}; reshaping {seconds[name] / seconds['speech']:.3f} s per "
            "second of speech"
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
