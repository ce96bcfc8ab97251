"""Likeness of custom voices to held-out recordings of the same person (issue 15).

The candidates are the portal's stock voices native to the samples' language (English here:
Piper joe, Flite slt/rms/awb). Every one is reshaped (voice_match with fit_candidates=all) and
the one closest to the samples reading SELECT_TEXT is kept. The variants differ only in the
search's last step, the encoder-steered equaliser (steer.py), fitted on the same reshaped
reading: "before", one gain at a time (coordinate search, 4/2/1 dB steps, the portal until
2026-12-01); "after", steer.fit (a quasi-Newton search on the encoder's gradient). Each
speaker's voice is made from some recordings and scored against a recording, or a part of one,
the matching never saw, reading a text the search never saw: Resemblyzer cosine (the measure
the search uses) and CAM++ cosine (another encoder, never used by the search: a cross-check
that a gain is not just the first encoder's quirk). The chosen voices read a fourth text for
tiny.en (WER).

    python bench/bench_voice_likeness.py [--json out.json] [--cache searches.pkl]

--cache keeps the searches up to the last step (and every reading: Piper samples noise) in a
file, so that a second run compares other last steps on exactly the same voices.
"""

import argparse
import json
import os
import pickle
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


def coordinate_fit(audio, target):
    """The steered equaliser's first search (until 2026-12-01): 12 gains tried one at a time,
    +/-4, 2 then 1 dB, each kept when the embedding comes closer."""
    import numpy as np

    from apps.engines.voice import steer
    from apps.engines.voice.embed import forward, similarity

    partials = steer._partials(audio)
    total = partials.sum()
    to_bands = steer._interpolation(steer.anchors(12))

    def score(gains):
        scaled = partials * 10 ** ((to_bands @ gains) / 10)
        return similarity(target, forward(scaled * (total / scaled.sum())).mean(axis=0))

    gains = np.zeros(12)
    best = score(gains)
    for step in (4.0, 2.0, 1.0):
        for n in range(12):
            for move in (step, -step):
                trial = gains.copy()
                trial[n] = np.clip(trial[n] + move, -steer.LIMIT_DB, steer.LIMIT_DB)
                if trial[n] == gains[n]:
                    continue
                value = score(trial)
                if value > best:
                    gains, best = trial, value
                    break
    return tuple(np.round(gains - gains.mean(), 2).tolist())


def variants():
    """name: (the last step's fit, whether the voice is chosen on its score with the steered
    equaliser, as the portal did until 2026-12-01, or without it, as now)."""
    from apps.engines.voice import steer

    return {"before": (coordinate_fit, True), "after": (steer.fit, False)}


def steered_score(m, target, backend, match) -> float:
    """The match reading SELECT_TEXT with its steered equaliser (the portal's choice until
    2026-12-01; m._selection_score now leaves it out)."""
    audio, rate = m.speak(backend, match.voice, m.SELECT_TEXT)
    return m.similarity(target, m._embed(m.transform(audio, rate, match), rate))


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


def build_searches(speakers, candidates, readings):
    """Per speaker: the held-out embeddings and every candidate's search up to the last step."""
    from apps.engines.analysis.campplus import CamPlusPlusEncoder
    from apps.engines.voice import match as m
    from apps.engines.voice.embed import embed_speaker, embed_utterance, preprocess

    cam = CamPlusPlusEncoder()
    built = []
    for label, files, held_out in speakers:
        held_audio = load(held_out)
        samples = [load(f) for f in files]
        target = embed_speaker(list(map(preprocess, samples)), preprocessed=True)
        entry = {"label": label, "target": target, "held": embed_utterance(held_audio)}
        entry["held_cam"] = cam(preprocess(held_audio))
        entry["fits"] = []
        for backend, voice, _ in m._rank(target, candidates):
            started = time.perf_counter()
            search = m._Search(target, samples, backend, voice, steer_fit=None)
            entry["fits"].append((search, time.perf_counter() - started))
            for text in (m.SELECT_TEXT, m.EVAL_TEXT, LISTEN_TEXT):
                m.speak(backend, voice.id, text)  # kept in `readings`
        built.append(entry)
    return built


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", type=Path)
    parser.add_argument("--cache", type=Path)
    parser.add_argument("--speakers", type=int, default=len(SPEAKERS))
    parser.add_argument("--variants", default="before,after", help="which last steps to run")
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
    from apps.engines.voice.embed import embed_utterance, preprocess, resample

    piper = PiperBackend(alias="piper", cpu_threads=1)
    kokoro = KokoroBackend(
        alias="kokoro", cpu_threads=1, model_cache=settings.VOICEPORTAL_MODEL_CACHE
    )
    flite = FliteBackend(alias="flite")
    backends = {b.alias: b for b in (piper, kokoro, flite)}
    stt = LocalWhisperBackend(alias="bench", default_model="tiny.en", beam_size=1, cpu_threads=1)
    candidates = [(b, v) for b in (piper, kokoro) for v in b.voices()]
    candidates += [(flite, v) for v in flite.voices() if v.id in ("slt", "rms", "awb")]
    candidates = m.candidates_for_language(candidates, "en")
    cam = CamPlusPlusEncoder()
    # Each text is read once per voice, so that the variants are compared on the same audio
    # (Piper samples noise: two readings differ by up to 0.03 in similarity).
    readings = {}
    speak = m.speak

    def read_once(backend, voice_id, text):
        key = (backend.alias, voice_id, text)
        if key not in readings:
            readings[key] = speak(backend, voice_id, text)
        return readings[key]

    m.speak = read_once
    if args.cache and args.cache.exists():
        speakers, cached = pickle.loads(args.cache.read_bytes())
        readings.update(cached)
    else:
        speakers = build_searches(SPEAKERS, candidates, readings)
        if args.cache:
            args.cache.write_bytes(pickle.dumps((speakers, readings)))
    speakers = speakers[: args.speakers]
    fits = {name: fit for name, fit in variants().items() if name in args.variants.split(",")}
    rows, seconds = [], {"speech": 0.0, "search": 0.0, **{name: 0.0 for name in fits}}
    steer_seconds = dict.fromkeys(fits, 0.0)
    for entry in speakers:
        label, target, held, held_cam = (entry[k] for k in ("label", "target", "held", "held_cam"))
        fitted = []
        for rank, (search, search_seconds) in enumerate(entry["fits"]):
            backend = backends[search.engine]
            seconds["search"] += search_seconds
            audio, rate = m.speak(backend, search.voice, m.EVAL_TEXT)
            row = {"voice": f"{search.engine}/{search.voice}", "rank": rank, "_match": {}}
            row["stock_held_out"] = round(m.similarity(held, m._embed(audio, rate)), 4)
            row["frames"] = search.make(search.unsteered).frame_strength
            row["select_unsteered"] = round(
                m._selection_score(target, backend, search.make(search.unsteered)), 4
            )
            for name, (fit, _) in fits.items():
                started = time.perf_counter()
                match = search.make(search.steered(search.unsteered, fit))
                steer_seconds[name] += time.perf_counter() - started
                row["_match"][name] = match
                row[f"steer_{name}"] = match.steer_db
                row[f"select_{name}"] = round(steered_score(m, target, backend, match), 4)
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
        for name, (_, by_steered) in fits.items():
            key = f"select_{name}" if by_steered else "select_unsteered"
            best = max(fitted, key=lambda f, k=key: f[k])
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
        print(label, {name: result[name] for name in fits}, flush=True)
        rows.append(result)
    report(rows, fits, seconds, steer_seconds)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


def report(rows, fits, seconds, steer_seconds) -> None:
    voices = sum(len(r["all"]) for r in rows)
    for name in fits:
        chosen = [r[name] for r in rows]
        every = [f for r in rows for f in r["all"]]
        line = (
            f"{name}: chosen voices' held-out similarity {mean(c['matched'] for c in chosen):.3f}"
            f" (CAM++ {mean(c['cam'] for c in chosen):.3f}); all {voices} fitted voices "
            f"{mean(f[f'{name}_held_out'] for f in every):.3f} "
            f"(CAM++ {mean(f[f'{name}_cam'] for f in every):.3f}); tiny.en WER stock "
            f"{mean(c['wer_stock'] for c in chosen):.3f}, matched "
            f"{mean(c['wer_matched'] for c in chosen):.3f}; reshaping "
            f"{seconds[name] / seconds['speech']:.3f} s per second of speech; steered "
            f"equaliser {steer_seconds[name] / voices:.1f} s per voice fitted"
        )
        print(line)
    print(f"search up to the last step: {seconds['search'] / voices:.1f} s per voice fitted")


def mean(values) -> float:
    values = list(values)
    return sum(values) / len(values)


if __name__ == "__main__":
    main()
