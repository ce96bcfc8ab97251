"""Benchmark: per 30 s view, what greedy decoding writes against the beam, and whether
greedy_first.py would take the greedy text as doubtful. Prints figures; asserts nothing.

The engine runs with its defaults (beam 5); every view it decodes at temperature 0 with the
beam is also decoded greedily from the same encoder output, and the greedy text compared with
the beam's. Views where the two differ are printed with the words that differ and the doubt
rule's verdict, doubtful views where they do not with the verdict; at the end, per doubt rule
(the first that fired) how many views it sends to the beam and on how many the beam writes
other words, and how many views would go to the beam and how many of those the beam writes the
same. This is the data greedy_first.py's thresholds were chosen on (development recordings
only: docs/benchmarks.md, issue 9, "Session 29: greedy first"; the rules' tally: "Session 33").

    .venv/bin/python bench/bench_greedy_views.py --model tiny.en --recordings dev3,dev3s5,dev12

Recordings as in bench_stt_settings.py. A view's words differ also where greedy decoding ends
the view a sentence earlier or later than the beam (the next view takes it up): read the words.
"""

import argparse
import difflib
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voiceportal.settings")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="tiny.en", choices=["tiny.en", "base"])
    parser.add_argument("--recordings", default="dev3")
    parser.add_argument("--heldout", type=Path)
    parser.add_argument("--sonnets", type=Path)
    args = parser.parse_args()

    import django

    django.setup()
    import logging

    logging.getLogger().setLevel(logging.ERROR)
    import bench_stt_settings as settings_bench
    from faster_whisper import WhisperModel

    from apps.engines.stt import greedy_first
    from tests.wer import wer

    views: list[dict] = []
    current = {"recording": ""}
    beam_decode = WhisperModel.generate_with_fallback

    def compared(self, encoder_output, prompt, tokenizer, options):
        beam = beam_decode(self, encoder_output, prompt, tokenizer, options)
        if options.beam_size > 1 and options.temperatures[0] == 0:
            greedy, probabilities = greedy_first._greedy(
                self, encoder_output, prompt, tokenizer, options
            )
            room = self.max_length - len(prompt)
            said = [_text(r[0].sequences_ids[0], tokenizer) for r in (beam, greedy)]
            views.append(
                {
                    "recording": current["recording"],
                    "doubt": greedy_first.doubtful(
                        greedy, probabilities, tokenizer, options, room=room
                    ),
                    "differ": wer(said[0], said[1]) > 0 if said[0] else bool(said[1]),
                    "beam": said[0],
                    "greedy": said[1],
                }
            )
        return beam

    WhisperModel.generate_with_fallback = compared
    language = settings_bench.asked_language(args.model, "detect")
    with tempfile.TemporaryDirectory() as folder:
        built = settings_bench.recordings(
            args.recordings.split(","), args.heldout, args.sonnets, Path(folder)
        )
        for recording, (path, _) in built.items():
            current["recording"] = recording
            settings_bench.portal(args.model, {"cpu_threads": 2}, path, language)
    for view in views:
        if view["differ"]:
            print(f"{view['recording']}: doubt: {view['doubt'] or '-'}")
            for change in _changes(view["beam"], view["greedy"]):
                print(f"    {change}")
        elif view["doubt"]:
            print(f"{view['recording']}: doubt: {view['doubt']}; the beam writes the same")
    for rule, (doubted, differ) in sorted(_by_rule(views).items()):
        print(f"rule {rule:18s} doubtful {doubted:3d}, the beam writes other words on {differ}")
    doubted = [v for v in views if v["doubt"]]
    print(
        f"{len(views)} views, beam writes other words on {sum(v['differ'] for v in views)}; "
        f"doubtful {len(doubted)} ({len(doubted) / max(1, len(views)):.0%}), of which the beam "
        f"writes the same on {sum(not v['differ'] for v in doubted)}"
    )


def _by_rule(views: list[dict]) -> dict[str, tuple[int, int]]:
    """Per doubt rule (the first that fired on a view), how many views it sent to the beam and
    on how many of them the beam wrote other words."""
    rules: dict[str, tuple[int, int]] = {}
    for view in views:
        if view["doubt"]:
            rule = (
                "word"
                if " at probability " in view["doubt"]
                else view["doubt"].rstrip("0123456789.- s")
            )
            doubted, differ = rules.get(rule, (0, 0))
            rules[rule] = (doubted + 1, differ + view["differ"])
    return rules


def _text(tokens: list[int], tokenizer) -> str:
    return tokenizer.decode([t for t in tokens if t < tokenizer.eot]).strip()


def _changes(beam: str, greedy: str) -> list[str]:
    a, b = beam.split(), greedy.split()
    return [
        f"{tag}: {' '.join(a[i1:i2])[:70]!r} -> {' '.join(b[j1:j2])[:70]!r}"
        for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b).get_opcodes()
        if tag != "equal"
    ]


if __name__ == "__main__":
    main()
