"""Speech scheduled by sentence, not by request. The speech worker that runs one generation also
takes every other generation waiting in the queue and speaks them in turn: the first sentence of
each waiting request before the second sentence of any, users in turn before requests, so the
eighth listener does not wait for seven whole texts and a long reading cannot starve short ones.
Each generation's audio stays in order in its own file; a cancel ends its generation at the
next turn of any lane, without another sentence; each one ends (done, cancelled, failed) as
soon as its own text is spoken.

The worker speaks in several lanes at once (VOICEPORTAL_SPEECH_LANES, one per core by default):
each TTS engine runs on one thread, so one lane would leave the other cores idle while eight
listeners wait. A generation is spoken by one lane at a time, so its sentences stay in order."""

import logging
import threading
from dataclasses import dataclass, field
from itertools import count

from django.conf import settings
from django.db import close_old_connections

from apps.jobs.runner import JobRun, job_complete, job_failed
from apps.jobs.services import job_claim
from apps.jobs.workers import Heartbeat

from .models import Generation
from .services import generation_sentences

logger = logging.getLogger(__name__)

# How many generations one worker speaks in turn; more wait in the queue for another worker.
MAX_ACTIVE = 32


@dataclass
class _Stream:
    run: JobRun
    sentences: object  # the generator that speaks the next sentence when resumed
    spoken: int = 0
    last_turn: int = -1
    busy: bool = False  # a lane is speaking its next sentence

    @property
    def owner_id(self) -> int:
        return self.run.job.owner_id


@dataclass
class _Turns:
    """Which stream speaks next: streams that have not spoken yet first, then the user served
    least recently, then that user's stream served least recently."""

    clock: count = field(default_factory=count)
    user_turns: dict[int, int] = field(default_factory=dict)

    def pick(self, streams: list[_Stream]) -> _Stream:
        stream = min(
            streams,
            key=lambda s: (s.spoken > 0, self.user_turns.get(s.owner_id, -1), s.last_turn),
        )
        stream.last_turn = self.user_turns[stream.owner_id] = next(self.clock)
        return stream


# How long an idle lane waits before it looks for new requests again. Each look is a query
# (~0.5 ms of CPU): at 20 ms a lane left idle beside one long reading cost more CPU than the
# 30 ms it could save a new request's pickup (docs/benchmarks.md).
IDLE_POLL_SECONDS = 0.05


def generations_speak(*, first: JobRun) -> None:
    """Speak `first` and every generation that waits meanwhile, a sentence at a time, in as
    many lanes as the settings give."""
    shared = _Shared(streams=[_stream(first)])
    every = settings.VOICEPORTAL_JOB_HEARTBEAT_SECONDS
    with Heartbeat(lambda: _beat(shared.streams), every=every):
        others = [
            threading.Thread(target=_other_lane, args=(shared,), name=f"speech-lane-{n}")
            for n in range(1, max(1, settings.VOICEPORTAL_SPEECH_LANES))
        ]
        for lane in others:
            lane.start()
        _lane(shared)
        for lane in others:
            lane.join()


@dataclass
class _Shared:
    """What the lanes share, behind one lock: the streams and whose turn is next."""

    streams: list[_Stream]
    turns: _Turns = field(default_factory=_Turns)
    changed: threading.Condition = field(default_factory=threading.Condition)


def _lane(shared: _Shared) -> None:
    """Speak the next sentence of whichever free stream's turn it is, until none is left."""
    while stream := _next_stream(shared):
        finished = _speak_one(stream)
        with shared.changed:
            stream.busy = False
            if finished:
                shared.streams.remove(stream)
            shared.changed.notify_all()


def _other_lane(shared: _Shared) -> None:
    try:
        _lane(shared)
    finally:
        close_old_connections()  # this thread's own database connection


def _next_stream(shared: _Shared) -> _Stream | None:
    """The stream this lane speaks next (marked busy), or None when every stream has ended."""
    with shared.changed:
        while True:
            streams = shared.streams
            streams.extend(_claim_waiting(MAX_ACTIVE - len(streams)))
            if not streams:
                return None
            if free := [s for s in streams if not s.busy]:
                stream = _cancelled(free) or shared.turns.pick(free)
                stream.busy = True
                return stream
            # Every stream is being spoken by another lane: wait for one, or for a new request.
            shared.changed.wait(IDLE_POLL_SECONDS)


def _cancelled(streams: list[_Stream]) -> _Stream | None:
    """A stream whose cancel was asked for, told so: it goes next and ends without speaking,
    rather than after a round of the others' sentences."""
    by_pk = {s.run.job.pk: s for s in streams}
    asked = Generation.objects.filter(pk__in=by_pk, cancel_requested=True)
    if pk := asked.values_list("pk", flat=True).first():
        by_pk[pk].run.cancelled = True
        return by_pk[pk]
    return None


def _stream(run: JobRun) -> _Stream:
    return _Stream(run=run, sentences=generation_sentences(run))


def _speak_one(stream: _Stream) -> bool:
    """Speak the stream's next sentence; True when the stream has ended (done or failed)."""
    try:
        next(stream.sentences)
        stream.spoken += 1
        return False
    except StopIteration:
        job_complete(stream.run)
    except Exception as exc:  # this generation fails; the others go on
        stream.sentences.close()
        job_failed(stream.run, exc)
    return True


def _claim_waiting(room: int) -> list[_Stream]:
    """Take queued generations (oldest first) for this worker. A claimed one's own task later
    finds it taken and does nothing."""
    if room <= 0:
        return []
    waiting = Generation.objects.filter(status=Generation.Status.QUEUED).order_by("created_at")
    claimed = []
    for pk in waiting.values_list("pk", flat=True)[:room]:
        if job_claim(Generation, pk):
            logger.info("Speaking generation %s in turn with the others", pk)
            claimed.append(_stream(JobRun(Generation.objects.get(pk=pk))))
    return claimed


def _beat(streams: list[_Stream]) -> None:
    for stream in list(streams):  # the list changes in the speaking thread
        stream.run.beat()
