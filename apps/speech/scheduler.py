"""Speech scheduled by sentence, not by request. The speech worker that runs one generation also
takes every other generation waiting in the queue and speaks them in turn: the first sentence of
each waiting request before the second sentence of any, users in turn before requests, so the
eighth listener does not wait for seven whole texts and a long reading cannot starve short ones.
Each generation's audio stays in order in its own file; cancel still stops it at its next
sentence; each one ends (done, cancelled, failed) as soon as its own text is spoken."""

import logging
from dataclasses import dataclass, field
from itertools import count

from django.conf import settings

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


def generations_speak(*, first: JobRun) -> None:
    """Speak `first` and every generation that waits meanwhile, a sentence at a time."""
    streams = [_stream(first)]
    turns = _Turns()
    with Heartbeat(lambda: _beat(streams), every=settings.VOICEPORTAL_JOB_HEARTBEAT_SECONDS):
        while streams:
            streams.extend(_claim_waiting(MAX_ACTIVE - len(streams)))
            _speak_one(turns.pick(streams), streams)


def _stream(run: JobRun) -> _Stream:
    return _Stream(run=run, sentences=generation_sentences(run))


def _speak_one(stream: _Stream, streams: list[_Stream]) -> None:
    try:
        next(stream.sentences)
        stream.spoken += 1
    except StopIteration:
        streams.remove(stream)
        job_complete(stream.run)
    except Exception as exc:  # this generation fails; the others go on
        streams.remove(stream)
        stream.sentences.close()
        job_failed(stream.run, exc)


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
