"""Speech scheduled by sentence: every waiting request gets its first sentence before any gets
its second, users take turns, a long text does not hold up short ones, and each generation
still ends complete, in order, cancelled or failed on its own."""

import io
import threading

import av
import numpy as np
import pytest

from apps.engines.errors import ErrorKind, ProviderError
from apps.engines.tts.fake import FakeTextToSpeech
from apps.jobs.runner import JobRun, job_run
from apps.speech import services
from apps.speech.models import Generation

pytestmark = pytest.mark.django_db(transaction=True)


NUMBERS = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
]


def sentence(word: str, n: int) -> str:
    return f"{word} reads line {NUMBERS[n]}."


def text(word: str, sentences: int) -> str:
    return " ".join(sentence(word, n) for n in range(1, sentences + 1))


@pytest.fixture
def spoken(monkeypatch):
    """The sentences in the order the engine spoke them."""
    order = []
    real = FakeTextToSpeech.speak

    def speak(self, said, **kwargs):
        order.append(said)
        yield from real(self, said, **kwargs)

    monkeypatch.setattr(FakeTextToSpeech, "speak", speak)
    return order


@pytest.fixture
def lanes(settings):
    """How many sentences the worker speaks at once; one makes the order exact."""

    def set_lanes(n: int) -> None:
        settings.VOICEPORTAL_SPEECH_LANES = n

    set_lanes(1)
    return set_lanes


def test_every_request_gets_its_first_sentence_before_any_gets_a_second(
    alice, bob, make_generation, fake_tts, queued, spoken, lanes
):
    fake_tts()
    long = make_generation(alice, text("Alpha", 12))
    short = make_generation(bob, text("Bravo", 2))
    later = make_generation(alice, text("Charlie", 3))
    job_run(model=Generation, job_id=long.pk)  # one worker picks up the first; it takes all

    firsts = [spoken.index(sentence(w, 1)) for w in ("Alpha", "Bravo", "Charlie")]
    seconds = [spoken.index(sentence(w, 2)) for w in ("Alpha", "Bravo", "Charlie")]
    assert max(firsts) < min(seconds)
    gens = {g.pk: g for g in Generation.objects.all()}
    assert all(g.status == "done" and g.progress_done == g.progress_total for g in gens.values())
    # Bob's two sentences are not held up behind Alice's twelve.
    assert gens[short.pk].finished_at < gens[long.pk].finished_at
    assert gens[later.pk].finished_at < gens[long.pk].finished_at
    # Each file holds its own sentences, all of them, in order.
    for g, word, n in ((long, "Alpha", 12), (short, "Bravo", 2), (later, "Charlie", 3)):
        own = [s for s in spoken if s.startswith(word)]
        assert own == [sentence(word, i) for i in range(1, n + 1)]
        expected = sum(len(s) for s in own) * 0.05  # the fake engine's seconds per character
        assert gens[g.pk].duration == pytest.approx(expected, rel=0.01)


def test_users_take_turns_before_requests(
    alice, bob, make_generation, fake_tts, queued, spoken, lanes
):
    fake_tts()
    first = make_generation(alice, text("Alpha", 4))
    make_generation(alice, text("Delta", 4))
    make_generation(bob, text("Bravo", 4))
    job_run(model=Generation, job_id=first.pk)
    after_firsts = [s.split()[0] for s in spoken[3:]]
    owner = {"Alpha": "alice", "Delta": "alice", "Bravo": "bob"}
    # While Bob has sentences left, every other sentence is his.
    bobs_last = max(i for i, w in enumerate(after_firsts) if w == "Bravo")
    users = [owner[w] for w in after_firsts[: bobs_last + 1]]
    assert all(a != b for a, b in zip(users, users[1:], strict=False)), users


def test_a_cancel_or_a_failure_ends_one_generation_and_the_others_go_on(
    alice, bob, make_generation, fake_tts, queued, monkeypatch
):
    monkeypatch.setattr(JobRun, "CANCEL_POLL_SECONDS", 0.0)
    fake_tts(delay=0.05)
    real = FakeTextToSpeech.speak

    def speak(self, said, **kwargs):
        if said.startswith("Echo reads line two"):
            raise ProviderError("The engine broke.", kind=ErrorKind.UNAVAILABLE)
        yield from real(self, said, **kwargs)

    monkeypatch.setattr(FakeTextToSpeech, "speak", speak)
    first = make_generation(alice, text("Alpha", 8))
    cancelled = make_generation(bob, text("Bravo", 8))
    failing = make_generation(bob, text("Echo", 8))
    runner = threading.Thread(target=job_run, kwargs={"model": Generation, "job_id": first.pk})
    runner.start()
    while Generation.objects.get(pk=cancelled.pk).progress_done < 1:
        pass
    services.generation_cancel(generation=Generation.objects.get(pk=cancelled.pk))
    runner.join(timeout=30)
    states = {g.pk: g for g in Generation.objects.all()}
    assert states[first.pk].status == "done"
    assert states[cancelled.pk].status == "cancelled" and states[cancelled.pk].audio_size > 0
    assert states[failing.pk].status == "failed" and states[failing.pk].error == "The engine broke."


def test_lanes_speak_different_generations_at_once_each_in_order(
    alice, bob, make_generation, fake_tts, queued, lanes, monkeypatch
):
    """With two lanes (two cores), two sentences are spoken at the same time, never two of the
    same generation, and each file still holds its sentences in order."""
    lanes(2)
    fake_tts(delay=0.05)
    real = FakeTextToSpeech.speak
    speaking, most, lock = [], [0], threading.Lock()
    spoken = []

    def speak(self, said, **kwargs):
        """The real engine's chunks, noting which generations are being spoken meanwhile."""
        spoken.append(said)
        chunks = real(self, said, **kwargs)
        while True:
            with lock:
                assert said.split()[0] not in {s.split()[0] for s in speaking}, speaking
                speaking.append(said)
                most[0] = max(most[0], len(speaking))
            try:
                chunk = next(chunks)
            except StopIteration:
                return
            finally:
                with lock:
                    speaking.remove(said)
            yield chunk

    monkeypatch.setattr(FakeTextToSpeech, "speak", speak)
    words = ("Alpha", "Bravo", "Charlie", "Delta")
    first, *_ = [
        make_generation(owner, text(w, 3)) for owner, w in zip([alice, bob] * 2, words, strict=True)
    ]
    job_run(model=Generation, job_id=first.pk)

    assert most[0] == 2
    firsts = [spoken.index(sentence(w, 1)) for w in words]
    seconds = [spoken.index(sentence(w, 2)) for w in words]
    assert max(firsts) < min(seconds)
    assert all(g.status == "done" for g in Generation.objects.all())
    for w in words:
        assert [s for s in spoken if s.startswith(w)] == [sentence(w, n) for n in (1, 2, 3)]


def test_every_request_starts_with_a_short_first_piece_before_any_goes_on(
    alice, bob, make_generation, fake_tts, queued, spoken, lanes, monkeypatch
):
    """A long first sentence is spoken in two, cut at its comma: every waiting request's first
    clause comes before anyone's second piece, also for a request that arrives meanwhile, and
    each file still holds every piece in order, counted in its progress."""
    fake_tts(first_chunk_chars=20, first_chunk_clause_only=True)

    def opening(word: str) -> str:
        return f"{word} opens the reading, then a long clause follows it to the end."

    real = FakeTextToSpeech.speak

    def speak(self, said, **kwargs):
        if said == "then a long clause follows it to the end." and not late:
            late.append(make_generation(bob, f"{opening('Delta')} {text('Delta', 1)}"))
        yield from real(self, said, **kwargs)

    late = []
    monkeypatch.setattr(FakeTextToSpeech, "speak", speak)
    words = ("Alpha", "Bravo", "Charlie")
    first, *_ = [
        make_generation(owner, f"{opening(w)} {text(w, 2)}")
        for owner, w in zip([alice, bob, alice], words, strict=True)
    ]
    job_run(model=Generation, job_id=first.pk)

    heads = [f"{w} opens the reading," for w in words]
    assert spoken[:3] == heads
    # Delta came while Alpha's second piece was spoken: its head is next, before any other.
    assert spoken[4] == "Delta opens the reading,"
    for g in Generation.objects.all():
        word = g.text.split()[0]
        lines = 1 if word == "Delta" else 2
        pieces = [f"{word} opens the reading,", "then a long clause follows it to the end."]
        pieces += [sentence(word, n) for n in range(1, lines + 1)]
        assert g.status == "done" and g.progress_done == g.progress_total == len(pieces)
        assert g.duration == pytest.approx(sum(len(p) for p in pieces) * 0.05, rel=0.01)


def test_a_cancel_ends_its_generation_before_anyone_speaks_another_sentence(
    alice, bob, make_generation, fake_tts, queued, spoken, lanes, monkeypatch
):
    """Cancel is immediate however many wait: the cancelled generation does not wait for its
    turn and speaks nothing more."""
    fake_tts()
    real = FakeTextToSpeech.speak
    seen_cancelled = {}

    def speak(self, said, **kwargs):
        seen_cancelled[said] = Generation.objects.get(pk=bravo.pk).status == "cancelled"
        if said == sentence("Alpha", 2):
            services.generation_cancel(generation=Generation.objects.get(pk=bravo.pk))
        yield from real(self, said, **kwargs)

    monkeypatch.setattr(FakeTextToSpeech, "speak", speak)
    words = ("Alpha", "Bravo", "Charlie", "Delta")
    first, bravo, *_ = [
        make_generation(owner, text(w, 4)) for owner, w in zip([alice, bob] * 2, words, strict=True)
    ]
    job_run(model=Generation, job_id=first.pk)

    after = spoken[spoken.index(sentence("Alpha", 2)) + 1]
    assert seen_cancelled[after]
    assert [s for s in spoken if s.startswith("Bravo")] == [sentence("Bravo", 1)]
    cancelled = Generation.objects.get(pk=bravo.pk)
    assert cancelled.status == "cancelled" and cancelled.audio_size > 0
    assert all(g.status == "done" for g in Generation.objects.exclude(pk=bravo.pk))


def test_real_speech_every_first_audio_comes_first_and_each_file_reads_whole(
    alice, bob, alice_voice, make_generation, queued, lanes, settings, monkeypatch
):
    """With Piper, each reading's first 0.35 s come as a chunk of their own: every waiting
    request gets those before anyone gets more, and each file still holds its whole text, in
    order and without a break, as the speech recogniser hears it. A matched voice (reshaped
    chunk by chunk) gets whole sentences."""
    from apps.engines.stt.local import load_model
    from apps.engines.voice.embed import resample
    from tests.speech.conftest import decoded_seconds
    from tests.wer import wer

    piper = settings.TEXT_TO_SPEECH["piper"]
    options = piper["OPTIONS"] | {"first_audio_seconds": 0.35}
    settings.TEXT_TO_SPEECH = settings.TEXT_TO_SPEECH | {"piper": piper | {"OPTIONS": options}}
    appended = []
    real = services._Synthesis._append

    def append(self, out, data, chunk):
        if chunk is not None:
            appended.append((self.generation.pk, chunk.duration))
        real(self, out, data, chunk)

    monkeypatch.setattr(services._Synthesis, "_append", append)
    readings = [
        (alice, "piper:joe", "The weather is nice today. We are going to walk in the park."),
        (bob, "piper:joe", "Please read the report before the meeting. It is on your desk."),
        (alice, alice_voice.public_id, "Good morning to you. The shop is open."),
    ]
    first, stock, matched = [make_generation(o, t, voice_id=v) for o, v, t in readings]
    job_run(model=Generation, job_id=first.pk)

    by_generation = {g: [d for pk, d in appended if pk == g] for g in (first.pk, stock.pk)}
    assert all(d[0] == pytest.approx(0.35, abs=0.02) for d in by_generation.values())
    assert all(len(d) == 3 for d in by_generation.values())  # two chunks, then one
    assert len([pk for pk, _ in appended if pk == matched.pk]) == 2  # one a sentence
    turns = [
        [n for n, (pk, _) in enumerate(appended) if pk == g.pk] for g in (first, stock, matched)
    ]
    assert max(t[0] for t in turns) < min(t[1] for t in turns)  # every first before a second
    heard = []
    for generation in (first, stock, matched):
        generation.refresh_from_db()
        assert generation.status == "done"
        assert generation.progress_done == generation.progress_total == 2
        with generation.audio.open("rb") as f:
            data = f.read()
        assert decoded_seconds(data, "mp3") == pytest.approx(generation.duration, abs=0.1)
        with av.open(io.BytesIO(data)) as container:
            stream = container.streams.audio[0]
            pcm = np.concatenate([f.to_ndarray().reshape(-1) for f in container.decode(stream)])
        heard += [resample(pcm.astype(np.float32), stream.rate), np.zeros(8000, np.float32)]
    # The three files one after the other, heard in one pass: every word, in order.
    whisper = load_model("tiny.en", device="cpu", compute_type="int8", cpu_threads=0)
    segments, _ = whisper.transcribe(np.concatenate(heard), language="en", beam_size=1)
    said = " ".join(text for _, _, text in readings)
    assert wer(said, "".join(s.text for s in segments)) == 0
