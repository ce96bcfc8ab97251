"""Library search on 10,000 generated transcripts: how long indexing takes and how long queries
take (rare and common words, two words, a phrase, a prefix, with filters), through the same
functions the search page calls. A benchmark: it prints figures and asserts nothing.

    .venv/bin/python bench/bench_search.py [--transcripts 10000] [--segments 30]

It runs on a fresh SQLite database in a temp folder (FTS5). With PostgreSQL settings in
DJANGO_SETTINGS_MODULE (and --keep-settings) it runs there instead (tsvector + GIN).
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

# Planted words with known frequencies, among generated filler words.
RARE, MEDIUM, COMMON = "zanzibar", "budget", "meeting"


def main() -> None:
    args = _args()
    if not args.keep_settings:
        tmp = Path(tempfile.mkdtemp(prefix="voiceportal-bench-search-"))
        os.environ["VOICEPORTAL_DATA_DIR"] = str(tmp)
        os.environ["VOICEPORTAL_SQLITE_PATH"] = args.db or str(tmp / "db.sqlite3")
        os.environ["DJANGO_SETTINGS_MODULE"] = "voiceportal.settings"
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection

    from apps.transcripts.models import Segment

    call_command("migrate", verbosity=0)
    owner = User.objects.filter(username__startswith="bench-").order_by("pk").first()
    if owner is None:
        owner, other = _users()
        started = time.perf_counter()
        segments = _generate(owner, args.transcripts, args.segments, seed=1)
        _generate(other, args.transcripts // 10, args.segments, seed=2)  # another library
        indexing = time.perf_counter() - started
        print(f"  created and indexed in {indexing:.1f} s ({segments / indexing:,.0f} segments/s)")
    transcripts, segments = owner.transcripts.count(), Segment.objects.count()
    print(f"database: {connection.vendor}; the user's {transcripts} transcripts among others',")
    print(f"  {segments} segments in all (another user's library is searched past)")
    _queries(owner)


def _args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transcripts", type=int, default=10_000)
    parser.add_argument("--segments", type=int, default=30, help="per transcript")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep-settings", action="store_true", help="use DJANGO_SETTINGS_MODULE")
    parser.add_argument("--db", help="an SQLite file made by an earlier run: only the queries")
    return parser.parse_args()


def _users():
    from django.contrib.auth.models import User

    return (
        User.objects.create_user(f"bench-{time.time_ns()}-a"),
        User.objects.create_user(f"bench-{time.time_ns()}-b"),
    )


def _generate(owner, count: int, per: int, *, seed: int) -> int:
    """Transcripts of Zipf-distributed filler words; RARE in 1 of 1,000 segments, MEDIUM in 1 of
    50, COMMON in 1 of 5."""
    from django.db import transaction

    from apps.transcripts.models import Segment, Transcript

    rng = random.Random(seed)
    vocabulary = [_word(rng) for _ in range(8000)]
    weights = [1 / (rank + 1) for rank in range(len(vocabulary))]
    languages = ["en"] * 6 + ["de", "fr", "es", "nl"]
    total = 0
    for start in range(0, count, 500):
        with transaction.atomic():
            transcripts = Transcript.objects.bulk_create(
                Transcript(
                    owner=owner,
                    title=" ".join(rng.choices(vocabulary, weights, k=4)).title(),
                    media="bench/none.wav",
                    original_filename="none.wav",
                    engine="fake",
                    model="fake",
                    status="done",
                    detected_language=rng.choice(languages),
                )
                for _ in range(start, min(count, start + 500))
            )
            rows = []
            for t in transcripts:
                for i in range(per):
                    words = rng.choices(vocabulary, weights, k=rng.randint(8, 25))
                    for planted, every in ((RARE, 1000), (MEDIUM, 50), (COMMON, 5)):
                        if rng.randrange(every) == 0:
                            words.insert(rng.randrange(len(words)), planted)
                    rows.append(
                        Segment(
                            transcript=t,
                            index=i,
                            start=i * 6.0,
                            end=i * 6.0 + 5.5,
                            text=" " + " ".join(words).capitalize() + ".",
                        )
                    )
            Segment.objects.bulk_create(rows, batch_size=2000)
            total += len(rows)
    return total


def _word(rng) -> str:
    return "".join(
        rng.choice("bcdfghklmnprstvz") + rng.choice("aeiou") for _ in range(rng.randint(2, 4))
    )


def _queries(owner) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from apps.transcripts.search import SearchFilters, search_segments, search_titles

    today = timezone.localdate()
    cases = [
        ("rare word", SearchFilters(q=RARE)),
        ("medium word", SearchFilters(q=MEDIUM)),
        ("common word", SearchFilters(q=COMMON)),
        ("two words", SearchFilters(q=f"{MEDIUM} {COMMON}")),
        ("phrase", SearchFilters(q=f'"{COMMON} {MEDIUM}"')),
        ("prefix", SearchFilters(q=MEDIUM[:4])),
        ("common + language", SearchFilters(q=COMMON, language="de")),
        ("common + dates", SearchFilters(q=COMMON, date_from=today - timedelta(days=1))),
        ("no match", SearchFilters(q="qqqqxxxx")),
    ]
    # Wall time, and the CPU time of this process (SQLite runs in it): on a busy machine the
    # second says more.
    print("  median of 5 runs, ms (wall / cpu)")
    print(f"  {'query':<20} {'hits':>5} {'page 1':>14} {'page 20':>14} {'titles':>12}")
    for name, filters in cases:
        hits = search_segments(owner=owner, filters=filters)
        first = _median_ms(lambda f=filters: search_segments(owner=owner, filters=f))
        deep = _median_ms(lambda f=filters: search_segments(owner=owner, filters=f, offset=570))
        titles = _median_ms(lambda f=filters: search_titles(owner=owner, filters=f))
        print(f"  {name:<20} {len(hits):>5} {first:>14} {deep:>14} {titles:>12}")


def _median_ms(call, runs: int = 5) -> str:
    wall, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        call()
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return f"{statistics.median(wall):.0f} / {statistics.median(cpu):.0f}"


if __name__ == "__main__":
    main()
