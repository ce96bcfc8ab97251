"""A loopback HTTP server that speaks AssemblyAI's pre-recorded REST wire format, so backends are
tested through the real `assemblyai` SDK (see WIRE_FORMATS.md §3).

It answers POST /v2/upload, POST /v2/transcript, GET /v2/transcript/{id} (queued, then
processing, then completed over successive polls) and GET /v2/transcript/{id}/sentences and
/paragraphs; checks the raw `authorization` key; records every request; and can be scripted to
fail, hang, or finish a transcript with status "error":

    with FakeAssemblyAIServer() as server:
        client = aai.Client(settings=aai.Settings(api_key=server.api_key, base_url=server.url))
        server.script(status=429)                      # the next request is refused
        server.transcript_error = "Audio duration is too short."
        ...
        assert server.requests_to("/v2/transcript")[0].json["speaker_labels"] is True

What a completed transcript says comes from `server.recording`: FALCON (three speakers, from
the corpus' falcon_3spk reference) by default, or JFK (one speaker, real word times).
"""

import json
import re
import uuid
from dataclasses import dataclass
from pathlib import Path

from .server import FakeHTTPServer, RecordedRequest, Reply

SPEECH_MODELS = {"universal-3-5-pro", "universal-3-pro", "universal-2"}
DEFAULT_SPEECH_MODELS = ["universal-3-pro", "universal-2"]

# What the real API says for each failure.
_ERRORS = {
    400: "Bad request.",
    401: "Authentication error, API token missing/invalid.",
    404: "Not found.",
    429: "Too many requests, please slow down.",
    500: "Server error, developers have been alerted.",
    503: "Service unavailable, please try again later.",
}


@dataclass(frozen=True)
class Sentence:
    text: str
    sentiment: str = "NEUTRAL"
    confidence: float = 0.8


@dataclass(frozen=True)
class Turn:
    """One utterance. Its words are timed evenly across it unless `word_times` gives them."""

    speaker: str
    start: float
    end: float
    sentences: tuple[Sentence, ...]
    word_times: tuple[tuple[float, float], ...] = ()


@dataclass(frozen=True)
class Recording:
    """What AssemblyAI would make of one file. Entities and highlights are named by text; the
    server finds their times in the words."""

    turns: tuple[Turn, ...]
    audio_duration: int  # whole seconds, as the API reports it
    language_code: str = "en_us"
    language_confidence: float = 0.97
    chapters: tuple[dict, ...] = ()  # gist, headline, summary, start and end in seconds
    entities: tuple[tuple[str, str], ...] = ()  # (entity_type, text)
    summary: str = ""
    highlights: tuple[tuple[str, float], ...] = ()  # (phrase, rank)


# falcon_3spk.wav (18.58 s): the corpus reference text, formatted as AssemblyAI formats text,
# each speaker's turn placed where falcon_3spk.rttm has it.
FALCON = Recording(
    turns=(
        Turn("A", 1.70, 3.90, (Sentence("And so it begins.", "NEUTRAL", 0.83),)),
        Turn(
            "B",
            6.20,
            11.10,
            (
                Sentence("This is what a crocodile sounds like.", "NEUTRAL", 0.79),
                Sentence("It's like meditating in the water, and it's like...", "POSITIVE", 0.62),
            ),
        ),
        Turn(
            "C",
            12.80,
            18.00,
            (
                Sentence("Ladies and gentlemen, please fasten your seat belts.", "NEUTRAL", 0.74),
                Sentence("We are expecting some turbulence.", "NEGATIVE", 0.71),
                Sentence("Thank you.", "POSITIVE", 0.88),
            ),
        ),
    ),
    audio_duration=19,
    language_confidence=0.9731,
    chapters=(
        {
            "gist": "A meditating crocodile",
            "headline": "A crocodile sounds like it is meditating in the water.",
            "summary": "Someone starts a recording and describes what a crocodile sounds like.",
            "start": 1.70,
            "end": 11.10,
        },
        {
            "gist": "Turbulence ahead",
            "headline": "Passengers are asked to fasten their seat belts for turbulence.",
            "summary": "An announcement asks passengers to fasten their seat belts.",
            "start": 12.80,
            "end": 18.00,
        },
    ),
    summary="A speaker describes a crocodile's sound; an announcement warns of turbulence.",
    highlights=(("seat belts", 0.09), ("crocodile", 0.07)),
)

_JFK_WORDS = json.loads((Path(__file__).parent / "jfk_verbose.json").read_text())["words"]

# jfk.flac (11 s): one speaker, with the word times faster-whisper found.
JFK = Recording(
    turns=(
        Turn(
            "A",
            0.0,
            10.36,
            (
                Sentence(
                    "And so my fellow Americans, ask not what your country can do for you, "
                    "ask what you can do for your country.",
                    "POSITIVE",
                    0.77,
                ),
            ),
            word_times=tuple((w["start"], w["end"]) for w in _JFK_WORDS),
        ),
    ),
    audio_duration=11,
    language_confidence=0.9912,
    chapters=(
        {
            "gist": "Ask what you can do",
            "headline": "Americans are asked what they can do for their country.",
            "summary": "Kennedy asks his fellow Americans what they can do for their country.",
            "start": 0.0,
            "end": 10.36,
        },
    ),
    entities=(("nationality", "Americans"),),
    summary="Kennedy asks Americans what they can do for their country, not the reverse.",
    highlights=(("your country", 0.12),),
)


@dataclass
class _Job:
    id: str
    request: dict
    polls: int = 0
    error: str | None = None


class FakeAssemblyAIServer(FakeHTTPServer):
    """The fake API. Set `recording` for what transcripts say, `transcript_error` to end the
    next transcripts with status "error", `polls_until_done` for how many polls see it still
    working; `requests` holds what the SDK sent, `uploads` the size of each upload by URL."""

    def __init__(self, *, api_key: str = "aai-test-key"):
        super().__init__(api_key=api_key)
        self.recording = FALCON
        self.transcript_error: str | None = None
        self.polls_until_done = 2  # the first poll sees "queued", the next "processing"
        self.uploads: dict[str, int] = {}
        self.jobs: dict[str, _Job] = {}

    @staticmethod
    def transcript_id(number: int) -> str:
        """The id of the `number`th transcript requested (from 1), to script its paths."""
        return str(uuid.UUID(int=number))

    def authorized(self, request: RecordedRequest) -> bool:
        return request.headers.get("authorization") == self.api_key

    def error(self, status: int, message: str = "", headers: dict | None = None) -> Reply:
        """AssemblyAI's error shape, whose message the SDK puts in its TranscriptError."""
        return Reply.json({"error": message or _ERRORS.get(status, "Error.")}, status, headers)

    def route(self, request: RecordedRequest) -> Reply:
        if (request.method, request.path) == ("POST", "/v2/upload"):
            return self._upload(request)
        if (request.method, request.path) == ("POST", "/v2/transcript"):
            return self._create(request)
        match = re.fullmatch(r"/v2/transcript/([^/]+)(?:/(sentences|paragraphs))?", request.path)
        if request.method == "GET" and match:
            job = self.jobs.get(match[1])
            if job is None:
                return self.error(400, "Transcript lookup error, transcript id not found")
            return self._blocks(job, match[2]) if match[2] else self._poll(job)
        return self.error(404, "Not found.")

    # --- Endpoints -------------------------------------------------------------------------

    def _upload(self, request: RecordedRequest) -> Reply:
        size = int(request.headers.get("content-length", "0"))
        if not size and request.headers.get("transfer-encoding") != "chunked":
            return self.error(400, "Upload failed: the request body is empty.")
        url = f"https://cdn.assemblyai.com/upload/{uuid.uuid4()}"
        self.uploads[url] = size
        return Reply.json({"upload_url": url})

    def _create(self, request: RecordedRequest) -> Reply:
        body = request.json or {}
        problem = _request_problem(body)
        if problem:
            return self.error(400, problem)
        job = _Job(self.transcript_id(len(self.jobs) + 1), body, error=self.transcript_error)
        if body["audio_url"] not in self.uploads and job.error is None:
            job.error = (
                f"Download error, unable to download {body['audio_url']}. Please make sure the "
                "file exists and is accessible from the internet."
            )
        self.jobs[job.id] = job
        return Reply.json(self._transcript(job, "queued"))

    def _poll(self, job: _Job) -> Reply:
        job.polls += 1
        if job.polls <= self.polls_until_done:
            return Reply.json(self._transcript(job, "queued" if job.polls == 1 else "processing"))
        if job.error:
            return Reply.json(self._transcript(job, "error"))
        return Reply.json(self._transcript(job, "completed"))

    def _blocks(self, job: _Job, kind: str) -> Reply:
        if job.polls <= self.polls_until_done or job.error:
            return self.error(400, "Transcript is not completed.")
        speakers = bool(job.request.get("speaker_labels"))
        blocks = [
            _block(text, words, speakers)
            for text, words in (
                _sentences(self.recording) if kind == "sentences" else _turns(self.recording)
            )
        ]
        confidence = _mean(b["confidence"] for b in blocks)
        return Reply.json(
            {
                "id": job.id,
                "confidence": confidence,
                "audio_duration": self.recording.audio_duration,
                kind: blocks,
            }
        )

    # --- The transcript object ---------------------------------------------------------------

    def _transcript(self, job: _Job, status: str) -> dict:
        body = {
            "id": job.id,
            "status": status,
            "error": job.error if status == "error" else None,
            "punctuate": True,
            "format_text": True,
            "speech_models": DEFAULT_SPEECH_MODELS,
            **job.request,
            "text": None,
            "words": None,
            "utterances": None,
            "confidence": None,
            "audio_duration": None,
            "webhook_url": None,
        }
        if status == "completed":
            body |= _results(self.recording, job.request)
        return body


def _request_problem(body: dict) -> str | None:
    if not body.get("audio_url"):
        return "audio_url is required."
    unknown = set(body.get("speech_models") or []) - SPEECH_MODELS
    if unknown:
        return f"Invalid speech_models: {', '.join(sorted(unknown))}."
    if body.get("auto_chapters") and body.get("summarization"):
        return "Only one of auto_chapters and summarization can be enabled."
    if body.get("language_code") and body.get("language_detection"):
        return "language_code and language_detection cannot be used together."
    return None


def _results(recording: Recording, request: dict) -> dict:
    speakers = bool(request.get("speaker_labels"))
    words = [w for _, turn_words in _turns(recording) for w in turn_words]
    results = {
        "text": " ".join(text for text, _ in _turns(recording)),
        "words": [_word(w, speakers) for w in words],
        "confidence": _mean(w["confidence"] for w in words),
        "audio_duration": recording.audio_duration,
        "speech_model_used": (request.get("speech_models") or DEFAULT_SPEECH_MODELS)[0],
    }
    if request.get("language_detection"):
        results["language_code"] = recording.language_code
        results["language_confidence"] = recording.language_confidence
    if speakers:
        results["utterances"] = [_block(t, w, True) for t, w in _turns(recording)]
    if request.get("auto_chapters"):
        results["chapters"] = [
            {**c, "start": _ms(c["start"]), "end": _ms(c["end"])} for c in recording.chapters
        ]
    if request.get("entity_detection"):
        results["entities"] = [_entity(recording, kind, text) for kind, text in recording.entities]
    if request.get("sentiment_analysis"):
        results["sentiment_analysis_results"] = _sentiments(recording, speakers)
    if request.get("summarization"):
        results["summary"] = recording.summary
    if request.get("auto_highlights"):
        results["auto_highlights_result"] = {
            "status": "success",
            "results": [
                _highlight(recording, phrase, rank) for phrase, rank in recording.highlights
            ],
        }
    return results


# --- Words, utterances and sentences, with AssemblyAI's integer milliseconds ------------------


def _ms(seconds: float) -> int:
    return round(seconds * 1000)


def _mean(values) -> float:
    values = list(values)
    return round(sum(values) / len(values), 4) if values else 0.0


def _turn_words(turn: Turn) -> list[dict]:
    texts = [t for sentence in turn.sentences for t in sentence.text.split()]
    times = turn.word_times
    if not times:
        step = (turn.end - turn.start) / len(texts)
        times = tuple(
            (turn.start + i * step, turn.start + (i + 1) * step - 0.04) for i in range(len(texts))
        )
    return [
        {
            "text": text,
            "start": _ms(start),
            "end": _ms(end),
            # A steady spread of confidences, as real words have.
            "confidence": round(0.86 + (index * 7 % 13) / 100, 2),
            "speaker": turn.speaker,
        }
        for index, (text, (start, end)) in enumerate(zip(texts, times, strict=True))
    ]


def _turns(recording: Recording) -> list[tuple[str, list[dict]]]:
    return [
        (" ".join(s.text for s in turn.sentences), _turn_words(turn)) for turn in recording.turns
    ]


def _sentences(recording: Recording) -> list[tuple[str, list[dict]]]:
    out = []
    for turn in recording.turns:
        words = _turn_words(turn)
        for sentence in turn.sentences:
            count = len(sentence.text.split())
            out.append((sentence.text, words[:count]))
            words = words[count:]
    return out


def _word(word: dict, speakers: bool) -> dict:
    return {**word, "speaker": word["speaker"] if speakers else None, "channel": None}


def _block(text: str, words: list[dict], speakers: bool) -> dict:
    return {
        "text": text,
        "start": words[0]["start"],
        "end": words[-1]["end"],
        "confidence": _mean(w["confidence"] for w in words),
        "speaker": words[0]["speaker"] if speakers else None,
        "channel": None,
        "words": [_word(w, speakers) for w in words],
    }


def _sentiments(recording: Recording, speakers: bool) -> list[dict]:
    sentiments = [s for turn in recording.turns for s in turn.sentences]
    return [
        {
            **_block(text, words, speakers),
            "sentiment": sentence.sentiment,
            "confidence": sentence.confidence,
        }
        for (text, words), sentence in zip(_sentences(recording), sentiments, strict=True)
    ]


def _find(recording: Recording, phrase: str) -> list[tuple[int, int]]:
    """(start, end) in ms of each place the words say `phrase`, punctuation aside."""
    words = [w for _, turn_words in _turns(recording) for w in turn_words]
    plain = [re.sub(r"[^\w']", "", w["text"]).lower() for w in words]
    wanted = phrase.lower().split()
    return [
        (words[i]["start"], words[i + len(wanted) - 1]["end"])
        for i in range(len(words) - len(wanted) + 1)
        if plain[i : i + len(wanted)] == wanted
    ]


def _entity(recording: Recording, kind: str, text: str) -> dict:
    start, end = _find(recording, text)[0]
    return {"entity_type": kind, "text": text, "start": start, "end": end}


def _highlight(recording: Recording, phrase: str, rank: float) -> dict:
    places = _find(recording, phrase)
    return {
        "text": phrase,
        "count": len(places),
        "rank": rank,
        "timestamps": [{"start": s, "end": e} for s, e in places],
    }
