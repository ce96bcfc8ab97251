"""A loopback HTTP server that speaks OpenAI's REST wire format, so backends are tested through
the real `openai` SDK (which uses httpx2, out of respx's reach).

It answers /v1/audio/transcriptions, /v1/audio/translations, /v1/audio/speech,
/v1/chat/completions and /v1/models as the API does (see WIRE_FORMATS.md §1), checks the Bearer
key, records every request, and can be scripted to fail or hang:

    with FakeOpenAIServer() as server:
        client = OpenAI(api_key=server.api_key, base_url=server.url, max_retries=0)
        server.script(status=429, headers={"retry-after": "0"})
        ...
        assert server.requests[-1].fields["model"] == ["whisper-1"]
"""

import copy
import io
import json
import math
import re
import time
import wave
from pathlib import Path

from .server import FakeHTTPServer, RecordedRequest, Reply

# faster-whisper (base) on the corpus' jfk.flac, split at "you," into two segments as whisper-1
# does; words without punctuation, as whisper-1 returns them.
JFK_VERBOSE = json.loads((Path(__file__).parent / "jfk_verbose.json").read_text())

TRANSCRIBE_MODELS = {
    "whisper-1",
    "gpt-4o-transcribe",
    "gpt-4o-mini-transcribe",
    "gpt-4o-mini-transcribe-2025-12-15",
    "gpt-transcribe",
}
SPEECH_MODELS = {"tts-1", "tts-1-hd", "gpt-4o-mini-tts", "gpt-4o-mini-tts-2025-12-15"}
CHAT_MODELS = {"gpt-4o-mini", "gpt-4o", "gpt-4.1-mini"}

# What the real API says for each failure (type, code, message).
_ERRORS = {
    400: ("invalid_request_error", None, "Invalid request."),
    401: (
        "invalid_request_error",
        "invalid_api_key",
        "Incorrect API key provided. You can find your API key at "
        "https://platform.openai.com/account/api-keys.",
    ),
    404: ("invalid_request_error", "model_not_found", "The model does not exist."),
    429: ("requests", "rate_limit_exceeded", "Rate limit reached for requests."),
    500: (
        "server_error",
        None,
        "The server had an error while processing your request. Sorry about that!",
    ),
    503: ("server_error", None, "The engine is currently overloaded, please try again later"),
}


def verbose_payload(text: str, duration: float, *, language: str = "english") -> dict:
    """A verbose_json payload for `text`: one segment per sentence, words evenly timed."""
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]
    words = [w for s in sentences for w in s.split()]
    step = duration / max(1, len(words))
    payload = {"language": language, "duration": duration, "segments": [], "words": []}
    index = 0
    for number, sentence in enumerate(sentences):
        first = index
        for word in sentence.split():
            payload["words"].append(
                {
                    "word": word.strip(",.!?;:"),
                    "start": round(index * step, 2),
                    "end": round((index + 1) * step, 2),
                }
            )
            index += 1
        payload["segments"].append(
            {
                "id": number,
                "seek": 0,
                "start": round(first * step, 2),
                "end": round(index * step, 2),
                "text": " " + sentence,
                "tokens": [],
                "temperature": 0.0,
                "avg_logprob": -0.3,
                "compression_ratio": 1.2,
                "no_speech_prob": 0.01,
            }
        )
    return payload


class FakeOpenAIServer(FakeHTTPServer):
    """The fake API. Set `transcript`, `translation` (verbose_json payloads), `chat_reply` or
    `models` to change what it answers; `requests` holds what the SDK sent."""

    base_path = "/v1"

    def __init__(self, *, api_key: str = "sk-test-123"):
        super().__init__(api_key=api_key)
        self.transcript = copy.deepcopy(JFK_VERBOSE)
        self.translation = copy.deepcopy(JFK_VERBOSE)
        self.chat_reply = "Two people greet each other; Paris is mentioned."
        self.models = sorted(TRANSCRIBE_MODELS | SPEECH_MODELS | CHAT_MODELS)
        # Above 0, speech audio goes out in `speech_pieces` pieces with this many seconds before
        # each, as a model that is still speaking sends it.
        self.speech_chunk_delay = 0.0
        self.speech_pieces = 8

    def authorized(self, request: RecordedRequest) -> bool:
        return request.headers.get("authorization") == f"Bearer {self.api_key}"

    def route(self, request: RecordedRequest) -> Reply:
        endpoint = _ROUTES.get((request.method, request.path))
        if endpoint is None and request.method == "GET" and request.path.startswith("/v1/models/"):
            endpoint = _model
        return endpoint(self, request) if endpoint else self.error(404, "Unknown request URL.")

    def error(self, status: int, message: str = "", headers: dict | None = None) -> Reply:
        """OpenAI's error shape, which the SDK reads into its exception."""
        kind, code, default = _ERRORS.get(status, ("invalid_request_error", None, "Error."))
        error = {"message": message or default, "type": kind, "param": None, "code": code}
        return Reply.json({"error": error}, status, headers)


# --- Endpoints -----------------------------------------------------------------------------


def _transcriptions(server: FakeOpenAIServer, request: RecordedRequest) -> Reply:
    return _audio_text(server, request, server.transcript, task="transcribe")


def _translations(server: FakeOpenAIServer, request: RecordedRequest) -> Reply:
    return _audio_text(server, request, server.translation, task="translate")


def _audio_text(
    server: FakeOpenAIServer, request: RecordedRequest, payload: dict, *, task: str
) -> Reply:
    model = request.value("model")
    response_format = request.value("response_format", "json")
    granularities = request.fields.get("timestamp_granularities[]", [])
    problem = _audio_problem(request, model, response_format, granularities, task)
    if problem:
        return server.error(400, problem)
    if request.value("stream") == "true" and model != "whisper-1":
        return _transcription_stream(_text(payload))
    return _transcription_body(payload, model, response_format, granularities, task)


def _audio_problem(request, model, response_format, granularities, task) -> str | None:
    if "file" not in request.files or not request.files["file"].size:
        return "Could not parse multipart form: a non-empty 'file' is required."
    allowed = {"whisper-1"} if task == "translate" else TRANSCRIBE_MODELS
    if model not in allowed:
        return f"Invalid model {model!r} for {task}."
    if response_format not in ("json", "text") and model != "whisper-1":
        return (
            f"response_format '{response_format}' is not compatible with model '{model}'. "
            "Use 'json' or 'text' instead."
        )
    if granularities and response_format != "verbose_json":
        return "timestamp_granularities requires response_format=verbose_json."
    return None


def _text(payload: dict) -> str:
    return "".join(s["text"] for s in payload["segments"]).strip()


def _transcription_body(payload, model, response_format, granularities, task) -> Reply:
    text = _text(payload)
    if response_format == "text":
        return Reply(body=(text + "\n").encode(), content_type="text/plain")
    if response_format in ("srt", "vtt"):
        return Reply(body=_subtitles(payload, response_format).encode(), content_type="text/plain")
    if response_format == "json":
        return Reply.json({"text": text, "usage": _usage(model, payload, text)})
    body = {
        "task": task,
        "language": "english" if task == "translate" else payload["language"],
        "duration": payload["duration"],
        "text": text,
    }
    if task == "translate" or "segment" in granularities or not granularities:
        body["segments"] = payload["segments"]
    if task == "transcribe" and "word" in granularities:
        body["words"] = payload["words"]
    body["usage"] = _usage(model, payload, text)
    return Reply.json(body)


def _usage(model: str, payload: dict, text: str) -> dict:
    if model == "whisper-1":
        return {"type": "duration", "seconds": math.ceil(payload["duration"])}
    audio_tokens = round(payload["duration"] * 10)
    output_tokens = len(text.split())
    return {
        "type": "tokens",
        "input_tokens": audio_tokens,
        "output_tokens": output_tokens,
        "total_tokens": audio_tokens + output_tokens,
        "input_token_details": {"text_tokens": 0, "audio_tokens": audio_tokens},
    }


def _subtitles(payload: dict, response_format: str) -> str:
    separator = "," if response_format == "srt" else "."

    def stamp(seconds: float) -> str:
        millis = round(seconds * 1000)
        return (
            f"{millis // 3_600_000:02d}:{millis // 60_000 % 60:02d}:"
            f"{millis // 1000 % 60:02d}{separator}{millis % 1000:03d}"
        )

    cues = [
        f"{stamp(s['start'])} --> {stamp(s['end'])}\n{s['text'].strip()}\n"
        for s in payload["segments"]
    ]
    if response_format == "vtt":
        return "WEBVTT\n\n" + "\n".join(cues)
    return "\n".join(f"{n}\n{cue}" for n, cue in enumerate(cues, start=1))


def _transcription_stream(text: str) -> Reply:
    events = [
        {"type": "transcript.text.delta", "delta": word} for word in re.findall(r"\s*\S+", text)
    ]
    events.append({"type": "transcript.text.done", "text": text})
    return Reply.sse(events)


def _chat(server: FakeOpenAIServer, request: RecordedRequest) -> Reply:
    body = request.json or {}
    if body.get("model") not in CHAT_MODELS or not body.get("messages"):
        return server.error(400, "A known 'model' and non-empty 'messages' are required.")
    base = {"id": "chatcmpl-fake1", "created": int(time.time()), "model": body["model"]}
    usage = {
        "prompt_tokens": 25,
        "completion_tokens": len(server.chat_reply.split()),
        "total_tokens": 25 + len(server.chat_reply.split()),
    }
    if body.get("stream"):
        return Reply.sse(_chat_chunks(base, server.chat_reply, usage, body))
    message = {
        "role": "assistant",
        "content": server.chat_reply,
        "refusal": None,
        "annotations": [],
    }
    return Reply.json(
        {
            **base,
            "object": "chat.completion",
            "usage": usage,
            "choices": [
                {"index": 0, "message": message, "logprobs": None, "finish_reason": "stop"}
            ],
        }
    )


def _chat_chunks(base: dict, reply: str, usage: dict, body: dict) -> list[dict | str]:
    def chunk(delta: dict, finish: str | None = None) -> dict:
        return {
            **base,
            "object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }

    chunks = [chunk({"role": "assistant", "content": ""})]
    chunks += [chunk({"content": piece}) for piece in re.findall(r"\s*\S+", reply)]
    chunks.append(chunk({}, "stop"))
    if (body.get("stream_options") or {}).get("include_usage"):
        chunks.append({**base, "object": "chat.completion.chunk", "choices": [], "usage": usage})
    return [*chunks, "[DONE]"]


_SPEECH_TYPES = {
    "mp3": "audio/mpeg",
    "opus": "audio/ogg",
    "aac": "audio/aac",
    "flac": "audio/flac",
    "wav": "audio/wav",
    "pcm": "audio/pcm",
}


def _speech(server: FakeOpenAIServer, request: RecordedRequest) -> Reply:
    body = request.json or {}
    response_format = body.get("response_format", "mp3")
    if body.get("model") not in SPEECH_MODELS or not body.get("input") or not body.get("voice"):
        return server.error(400, "'model', 'input' and 'voice' are required.")
    if response_format not in _SPEECH_TYPES:
        return server.error(400, f"Invalid response_format {response_format!r}.")
    # About a word every 0.3 s, so longer input gives longer audio, as real speech would.
    seconds = min(5.0, 0.3 * len(body["input"].split()) / float(body.get("speed", 1.0)))
    audio = silence(response_format, max(seconds, 0.3))
    if server.speech_chunk_delay:
        return Reply(chunks=_paced(audio, server), content_type=_SPEECH_TYPES[response_format])
    return Reply(body=audio, content_type=_SPEECH_TYPES[response_format])


def _paced(audio: bytes, server: FakeOpenAIServer):
    size = -(-len(audio) // server.speech_pieces)
    for start in range(0, len(audio), size):
        time.sleep(server.speech_chunk_delay)
        yield audio[start : start + size]


def silence(response_format: str, seconds: float, rate: int = 24_000) -> bytes:
    """Silent mono audio in one of the speech API's formats (pcm: raw 24 kHz s16le)."""
    samples = int(seconds * rate)
    if response_format == "pcm":
        return bytes(2 * samples)
    if response_format == "wav":
        out = io.BytesIO()
        with wave.open(out, "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(rate)
            wav.writeframes(bytes(2 * samples))
        return out.getvalue()
    return _encoded_silence(response_format, seconds)


def _encoded_silence(response_format: str, seconds: float) -> bytes:
    import av
    import numpy as np

    container, codec, rate = {
        "mp3": ("mp3", "libmp3lame", 24_000),
        "opus": ("ogg", "libopus", 48_000),  # opus knows no 24 kHz
        "aac": ("adts", "aac", 24_000),
        "flac": ("flac", "flac", 24_000),
    }[response_format]
    out = io.BytesIO()
    with av.open(out, "w", format=container) as media:
        stream = media.add_stream(codec, rate=rate, layout="mono")
        frame = av.AudioFrame.from_ndarray(
            np.zeros((1, int(seconds * rate)), dtype=np.int16), format="s16", layout="mono"
        )
        frame.sample_rate = rate
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            media.mux(packet)
    return out.getvalue()


def _model_object(name: str) -> dict:
    return {"id": name, "object": "model", "created": 1698785189, "owned_by": "system"}


def _models(server: FakeOpenAIServer, request: RecordedRequest) -> Reply:
    return Reply.json({"object": "list", "data": [_model_object(m) for m in server.models]})


def _model(server: FakeOpenAIServer, request: RecordedRequest) -> Reply:
    name = request.path.removeprefix("/v1/models/")
    if name not in server.models:
        return server.error(404, f"The model '{name}' does not exist")
    return Reply.json(_model_object(name))


_ROUTES = {
    ("POST", "/v1/audio/transcriptions"): _transcriptions,
    ("POST", "/v1/audio/translations"): _translations,
    ("POST", "/v1/audio/speech"): _speech,
    ("POST", "/v1/chat/completions"): _chat,
    ("GET", "/v1/models"): _models,
}
