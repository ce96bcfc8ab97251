"""Benchmark: the local engine's decoding settings side by side, CPU seconds and WER.

Prints figures; asserts nothing. Each recording is transcribed in this one process by a plain
WhisperModel.transcribe() (beam 5, word timestamps, faster-whisper's defaults otherwise) and by
LocalWhisperBackend once per variant, in the order given, so the sides share the machine's load;
CPU seconds (this process's) are the figure to read on a shared machine, wall time beside them;
"sampled" counts the segments decoded above temperature 0 (drawn at random, see sampled()).

    .venv/bin/python bench/bench_stt_settings.py --model tiny.en \\
        --variant "beam5 beam_size=5" --variant "greedy beam_size=1"
    # with the held-out LJ Speech recording (bench/prepare_ljspeech_heldout.py):
    .venv/bin/python bench/bench_stt_settings.py --heldout DIR --variant "greedy beam_size=1"

Recordings: `dev3` (tests/long_recording.py seed 3, 3 minutes: the API benchmark's),
`dev12` (seed 3, 12 minutes, a clip said 4 times every 3 minutes: the slow test's), `dev30`
(seed 4, 30.9 minutes: the API benchmark's long one), any of them with another seed (`dev3s5`),
and, given --heldout, `heldout` (32 LJ Speech clips, 4 minutes), given --sonnets, `sonnets`
(three LibriVox sonnets, 2.7 minutes; bench/prepare_sonnets_heldout.py). Development
recordings are the shared corpus clips the engine was tuned on; held-out ones are not.
Both sides are asked for the language a user gets by default (--language detect: English for
an English-only model, detected by a multilingual one such as `base`, the portal's default), or
for the code given. Variants are "LABEL option=value ..." with the engine's options
(beam_size, decode, batch_size, lanes, cpu_threads, window_seconds). "views" counts the 30 s
views decoded greedily and kept, and decoded again with the beam, with decode=greedy_then_beam.
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voiceportal.settings")
CORPUS = Path(os.environ.get("VOICEPORTAL_BENCH_CORPUS", ROOT.parent / "shared" / "corpus"))


# Development recordings: minutes, seconds between repeated clips, seed (dev30 is the API
# benchmark's 30.9-minute recording).
_DEVELOPMENT = {"dev3": (3, 360.0, 3), "dev12": (12, 180.0, 3), "dev30": (30, 360.0, 4)}


def development(name: str) -> tuple[float, float, int]:
    """Minutes, seconds between repeated clips and seed of `dev3`, `dev12`, `dev30`, or of one
    of them with another seed: `dev3s5`."""
    base, _, seed = name.partition("s")
    if base not in _DEVELOPMENT:
        sys.exit(f"unknown recording {name!r}")
    minutes, repeat, default_seed = _DEVELOPMENT[base]
    return minutes, repeat, int(seed) if seed else default_seed


def recordings(
    names: list[str], heldout: Path | None, sonnets: Path | None, folder: Path
) -> dict[str, tuple]:
    """name -> (path, reference text)."""
    from tests import long_recording

    built = {}
    for name in names:
        if name == "heldout":
            if heldout is None:
                sys.exit("--heldout DIR is needed for the held-out recording")
            wav = heldout / "ljspeech_heldout.wav"
            built[name] = (wav, (heldout / "ljspeech_heldout.txt").read_text())
            continue
        if name == "sonnets":
            if sonnets is None:
                sys.exit("--sonnets DIR is needed for the sonnets recording")
            wav = sonnets / "sonnets_heldout.wav"
            built[name] = (wav, (sonnets / "sonnets_heldout.txt").read_text())
            continue
        minutes, repeat, seed = development(name)
        path = folder / f"{name}.wav"
        said = long_recording.build(
            path, CORPUS, seconds=minutes * 60, seed=seed, repeat_every=repeat
        )
        built[name] = (path, long_recording.reference(said))
    return built


def parse_variant(spec: str) -> tuple[str, dict]:
    label, *assignments = spec.split()
    options = {}
    for assignment in assignments:
        key, _, value = assignment.partition("=")
        options[key] = _number(value)
    return label, options


def _number(value: str) -> int | float | str:
    """An option's value: a number where it reads as one, else the word (decode=...)."""
    if value.lstrip("-").isdigit():
        return int(value)
    try:
        return float(value)
    except ValueError:
        return value


def timed(fn) -> tuple[list, float, float]:
    t0, c0 = time.perf_counter(), time.process_time()
    segments = fn()
    return segments, time.perf_counter() - t0, time.process_time() - c0


def sampled(segments: list) -> int:
    """Segments decoded above temperature 0: drawn at random by the fallback ladder, so their
    words can change from run to run (a plain call seeds nothing)."""
    return sum(1 for s in segments if (s.temperature or 0.0) > 0.0)


def plain(model_name: str, threads: int, path: Path, language: str | None) -> list:
    from django.conf import settings

    from apps.engines.stt.local import load_model

    # base ships in parts, joined in the model cache.
    cache = str(settings.VOICEPORTAL_MODEL_CACHE)
    model = load_model(
        model_name, device="cpu", compute_type="int8", cpu_threads=threads, cache=cache
    )
    segments, _ = model.transcribe(str(path), language=language, beam_size=5, word_timestamps=True)
    return list(segments)


def asked_language(model_name: str, choice: str) -> str | None:
    """The language both sides are asked for: --language's code, or with "detect" what a user
    gets by default (an English-only model: English; a multilingual one: detected)."""
    if choice != "detect":
        return choice
    return "en" if model_name.endswith(".en") else None


def portal(model_name: str, options: dict, path: Path, language: str | None) -> list:
    from django.conf import settings

    from apps.engines.stt.base import Segment, TranscriptionRequest
    from apps.engines.stt.local import LocalWhisperBackend

    engine = LocalWhisperBackend(
        alias="bench",
        default_model=model_name,
        model_cache=str(settings.VOICEPORTAL_MODEL_CACHE),
        **options,
    )
    request = TranscriptionRequest(
        audio_path=path, model=model_name, language=language, word_timestamps=True
    )
    return [e for e in engine.transcribe(request) if isinstance(e, Segment)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="tiny.en", choices=["tiny.en", "base"])
    parser.add_argument("--recordings", default="dev3,heldout")
    parser.add_argument("--heldout", type=Path, help="folder made by prepare_ljspeech_heldout.py")
    parser.add_argument("--sonnets", type=Path, help="folder made by prepare_sonnets_heldout.py")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--language",
        default="detect",
        help='a code for both sides, or "detect": as users get it (detected by base)',
    )
    parser.add_argument("--variant", action="append", default=[], metavar='"LABEL k=v ..."')
    parser.add_argument("--no-plain", action="store_true", help="skip the plain call")
    parser.add_argument("--dump", type=Path, help="write each side's text to this folder")
    args = parser.parse_args()

    import django

    django.setup()
    import logging

    logging.getLogger().setLevel(logging.ERROR)
    from apps.engines.stt import greedy_first
    from tests.wer import wer

    language = asked_language(args.model, args.language)
    print(
        f"model {args.model}, {args.threads} threads, language {language or 'detected'}, "
        f"load {os.getloadavg()[0]:.1f}"
    )
    variants = [parse_variant(v) for v in args.variant] or [("default", {})]
    with tempfile.TemporaryDirectory() as folder:
        built = recordings(args.recordings.split(","), args.heldout, args.sonnets, Path(folder))
        plain(args.model, args.threads, CORPUS / "jfk.flac", "en")  # loads the model
        for name, (path, reference) in built.items():
            sides = [] if args.no_plain else [("plain", None)]
            for label, options in sides + variants:
                if options is None:
                    run = lambda p=path: plain(args.model, args.threads, p, language)  # noqa: E731
                else:
                    opts = {"cpu_threads": args.threads} | options
                    run = lambda p=path, o=opts: portal(args.model, o, p, language)  # noqa: E731
                views = dict(greedy_first.tally)
                segments, wall, cpu = timed(run)
                views = {k: greedy_first.tally[k] - views.get(k, 0) for k in ("greedy", "beam")}
                text = "".join(s.text for s in segments)
                if args.dump:
                    args.dump.mkdir(parents=True, exist_ok=True)
                    (args.dump / f"{name}.{label}.txt").write_text(text)
                    (args.dump / f"{name}.reference.txt").write_text(reference)
                print(
                    f"{name:8s} {label:14s} wall {wall:6.1f} s  cpu {cpu:6.1f} s  "
                    f"WER {wer(reference, text):6.2%}  sampled {sampled(segments):2d}  "
                    f"load {os.getloadavg()[0]:.1f}"
                    + (
                        f"  views greedy {views['greedy']} beam {views['beam']}"
                        if any(views.values())
                        else ""
                    ),
                    flush=True,
                )


if __name__ == "__main__":
    main()
