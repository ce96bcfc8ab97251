"""Benchmark: what a beam decode of one 30 s view costs when the greedy text's first tokens
are given as its prefix. Prints figures; asserts nothing.

The idea measured (issue 9, speed): a view whose greedy text is doubtful from a word on decoded
with the beam only from that word, the greedy tokens before it given to CTranslate2 as the
decoder's prefix, from the same encoder output. Each view of a development recording (one
plain WhisperModel.transcribe(), beam 5) is decoded again greedily, with the beam, and with the
beam after a prefix of a quarter, half, three quarters and all but the last few of the greedy
tokens; CPU seconds per decode (the mean of `--repeats`), and how many tokens the prefixed beam
returned (prefix included: one that stops early writes less, and costs less). The prefix
reaches the decoder after the start of transcript, where CTranslate2 forces it token by token
through the whole beam (a forced token costs a beam step); only the previous text, before the
start of transcript, is run in one pass (docs/benchmarks.md, issue 9, "Session 33").

    .venv/bin/python bench/bench_beam_prefix.py --model tiny.en --seconds 60 --seed 5
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voiceportal.settings")

_PREFIX_SHARES = (0.25, 0.5, 0.75, 0.95)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="tiny.en", choices=["tiny.en", "base"])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    import django

    django.setup()
    from bench_stt_settings import CORPUS
    from django.conf import settings
    from faster_whisper import WhisperModel

    from apps.engines.stt.local import load_model
    from tests import long_recording

    model = load_model(
        args.model,
        device="cpu",
        compute_type="int8",
        cpu_threads=2,
        cache=str(settings.VOICEPORTAL_MODEL_CACHE),
    )
    views = []
    decode = WhisperModel.generate_with_fallback

    def kept(self, encoder_output, prompt, tokenizer, options):
        views.append((encoder_output, prompt, options))
        return decode(self, encoder_output, prompt, tokenizer, options)

    WhisperModel.generate_with_fallback = kept
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "reading.wav"
        long_recording.build(path, CORPUS, seconds=args.seconds, seed=args.seed)
        segments, _ = model.transcribe(str(path), beam_size=5, language="en")
        list(segments)
    WhisperModel.generate_with_fallback = decode

    for number, view in enumerate(views):
        print(f"view {number}: {_costs(model, *view, repeats=args.repeats)}", flush=True)


def _costs(model, encoder_output, prompt: list[int], options, *, repeats: int) -> str:
    """One view's decodes and their CPU seconds, as a line."""

    def cost(tokens: list[int], beam: int) -> float:
        return _cpu(lambda: _generate(model, encoder_output, tokens, beam, options), repeats)

    greedy = _generate(model, encoder_output, prompt, 1, options).sequences_ids[0]
    line = (
        f"{len(prompt)} prompt tokens, {len(greedy)} greedy tokens; greedy "
        f"{cost(prompt, 1):.3f} s, beam {cost(prompt, 5):.3f} s; beam after a prefix of"
    )
    for share in _PREFIX_SHARES:
        length = int(len(greedy) * share)
        prefixed = prompt + greedy[:length]
        written = len(_generate(model, encoder_output, prefixed, 5, options).sequences_ids[0])
        line += f" {length}: {cost(prefixed, 5):.3f} s ({written} tokens out)"
    return line


def _generate(model, encoder_output, prompt: list[int], beam: int, options):
    return model.model.generate(
        encoder_output,
        [prompt],
        beam_size=beam,
        max_length=model.max_length,
        return_scores=True,
        return_no_speech_prob=True,
        suppress_blank=options.suppress_blank,
        suppress_tokens=options.suppress_tokens,
    )[0]


def _cpu(run, repeats: int) -> float:
    started = time.process_time()
    for _ in range(repeats):
        run()
    return (time.process_time() - started) / repeats


if __name__ == "__main__":
    main()
