"""The OpenAI speech-to-text backend, driven through the real `openai` SDK against a loopback
server that speaks OpenAI's wire format."""

import socket

import pytest

from apps.engines.checks import check_engines
from apps.engines.errors import ErrorKind, ProviderError
from apps.engines.stt import stt_backends
from apps.engines.stt.base import LanguageDetected, Segment, TranscriptionRequest
from apps.engines.stt.openai import OpenAISpeechToText
from tests.fakes.openai_server import JFK_VERBOSE, verbose_payload

# OpenAI deprecated the translations endpoint (shutdown announced for 2027-02-26); the SDK warns.
translations_deprecated = pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")
TRANSCRIPTIONS = "/v1/audio/transcriptions"
TRANSLATIONS = "/v1/audio/translations"


def make_backend(server, **options) -> OpenAISpeechToText:
    options = {
        "api_key": server.api_key,
        "base_url": server.url,
        "timeout": 5.0,
        "max_retries": 0,
        **options,
    }
    return OpenAISpeechToText(alias="openai", **options)


def transcribe(backend, audio, **fields) -> tuple[LanguageDetected, list[Segment]]:
    events = list(backend.transcribe(TranscriptionRequest(audio_path=audio, **fields)))
    assert isinstance(events[0], LanguageDetected)
    assert all(isinstance(e, Segment) for e in events[1:])
    return events[0], events[1:]


def failure(backend, audio, **fields) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        transcribe(backend, audio, **fields)
    return caught.value


@pytest.fixture
def jfk(corpus):
    return corpus / "jfk.flac"


def test_it_maps_verbose_json_to_language_and_segments(fake_openai, jfk):
    language, segments = transcribe(make_backend(fake_openai), jfk)

    assert (language.language, language.duration) == ("en", 11.0)
    assert [(s.start, s.end) for s in segments] == [(0.0, 7.6), (7.6, 10.36)]
    assert "".join(s.text for s in segments).strip() == (
        "And so my fellow Americans, ask not what your country can do for you, "
        "ask what you can do for your country."
    )
    first = JFK_VERBOSE["segments"][0]
    assert segments[0].tokens == tuple(first["tokens"])
    assert (segments[0].avg_logprob, segments[0].no_speech_prob) == (-0.2936, 0.0847)


def test_it_maps_words_to_segments(fake_openai, jfk):
    _, segments = transcribe(make_backend(fake_openai), jfk)

    assert [w.word for w in segments[0].words] == [
        "And",
        "so",
        "my",
        "fellow",
        "Americans",
        "ask",
        "not",
        "what",
        "your",
        "country",
        "can",
        "do",
        "for",
        "you",
    ]
    assert [w.word for w in segments[1].words] == [
        "ask",
        "what",
        "you",
        "can",
        "do",
        "for",
        "your",
        "country",
    ]
    assert (segments[1].words[0].start, segments[1].words[0].end) == (7.78, 8.48)
    assert sum(len(s.words) for s in segments) == len(JFK_VERBOSE["words"])


def test_it_gives_a_word_between_segments_to_the_nearest_one(fake_openai, jfk):
    payload = verbose_payload("One two. Three four.", 4.0)
    payload["segments"][0]["end"] = 1.5  # leaves a gap from 1.5 to 2.0
    payload["words"][1] = {"word": "two", "start": 1.45, "end": 1.65}  # nearer segment 0
    payload["words"][2] = {"word": "Three", "start": 1.8, "end": 1.98}  # nearer segment 1
    fake_openai.transcript = payload

    _, segments = transcribe(make_backend(fake_openai), jfk)

    assert [[w.word for w in s.words] for s in segments] == [["One", "two"], ["Three", "four"]]


def test_it_asks_whisper_1_for_words_and_segments(fake_openai, jfk):
    transcribe(make_backend(fake_openai), jfk)

    [sent] = fake_openai.requests_to(TRANSCRIPTIONS)
    assert sent.headers["authorization"] == f"Bearer {fake_openai.api_key}"
    assert sent.value("model") == "whisper-1"
    assert sent.value("response_format") == "verbose_json"
    assert sent.fields["timestamp_granularities[]"] == ["word", "segment"]
    assert "prompt" not in sent.fields and "language" not in sent.fields
    upload = sent.files["file"]
    assert upload.filename == "jfk.flac"
    assert upload.data == jfk.read_bytes()


def test_it_sends_prompt_language_and_temperature(fake_openai, jfk):
    transcribe(
        make_backend(fake_openai), jfk, prompt="Names: Kennedy", language="en", temperature=0.4
    )

    [sent] = fake_openai.requests
    assert sent.value("prompt") == "Names: Kennedy"
    assert sent.value("language") == "en"
    assert float(sent.value("temperature")) == 0.4


def test_it_asks_only_for_segments_without_word_timestamps(fake_openai, jfk):
    _, segments = transcribe(make_backend(fake_openai), jfk, word_timestamps=False)

    assert fake_openai.requests[0].fields["timestamp_granularities[]"] == ["segment"]
    assert len(segments) == 2
    assert all(s.words == () for s in segments)


@pytest.mark.parametrize("model", ["gpt-4o-transcribe", "gpt-4o-mini-transcribe"])
def test_it_transcribes_with_json_only_models(fake_openai, jfk, model):
    language, segments = transcribe(make_backend(fake_openai), jfk, model=model)

    [sent] = fake_openai.requests
    assert sent.value("model") == model
    assert sent.value("response_format", "json") == "json"
    assert "timestamp_granularities[]" not in sent.fields
    # The json format reports no language or duration: the duration is the file's own.
    assert (language.language, language.probability, language.duration) == ("", 0.0, 11.0)
    [segment] = segments
    assert (segment.start, segment.end, segment.words) == (0.0, 11.0, ())
    assert segment.text.strip().startswith("And so my fellow Americans")


def test_it_keeps_the_language_the_user_named_for_json_only_models(fake_openai, jfk):
    language, _ = transcribe(
        make_backend(fake_openai), jfk, model="gpt-4o-transcribe", language="en"
    )

    assert (language.language, language.probability) == ("en", 1.0)
    assert fake_openai.requests[0].value("language") == "en"


def test_it_says_which_models_have_word_timestamps(fake_openai):
    backend = make_backend(fake_openai)

    assert backend.default_model == "whisper-1"
    assert backend.streams_segments is False
    assert backend.resolve_model("whisper-1").word_timestamps is True
    assert backend.resolve_model("gpt-4o-transcribe").word_timestamps is False
    assert backend.resolve_model("gpt-4o-mini-transcribe").translation is False


@translations_deprecated
def test_it_translates_with_whisper_1(fake_openai, corpus):
    english = (corpus / "cheetah_fr.en.txt").read_text()
    fake_openai.translation = verbose_payload(english, 5.04)

    language, segments = transcribe(
        make_backend(fake_openai), corpus / "cheetah_fr.wav", task="translate", prompt="Geography."
    )

    [sent] = fake_openai.requests
    assert sent.path == TRANSLATIONS
    assert (sent.value("model"), sent.value("prompt")) == ("whisper-1", "Geography.")
    assert sent.value("response_format") == "verbose_json"
    assert "timestamp_granularities[]" not in sent.fields
    assert language.duration == 5.04
    assert "".join(s.text for s in segments).strip() == english.strip()


@translations_deprecated
def test_it_reports_the_named_source_language_of_a_translation(fake_openai, corpus):
    language, _ = transcribe(
        make_backend(fake_openai), corpus / "cheetah_fr.wav", task="translate", language="fr"
    )

    assert language.language == "fr"
    assert "language" not in fake_openai.requests[0].fields


def test_it_refuses_to_translate_with_json_only_models(fake_openai, jfk):
    error = failure(make_backend(fake_openai), jfk, model="gpt-4o-transcribe", task="translate")

    assert error.kind == ErrorKind.INVALID_INPUT
    assert fake_openai.requests == []


def test_it_skips_segments_that_end_before_start_at(fake_openai, jfk):
    _, segments = transcribe(make_backend(fake_openai), jfk, start_at=8.0)

    assert [s.start for s in segments] == [7.6]


def test_it_stops_when_asked(fake_openai, jfk):
    _, segments = transcribe(make_backend(fake_openai), jfk, should_stop=lambda: True)

    assert len(segments) == 1


def test_it_raises_authentication_for_a_wrong_key(fake_openai, jfk):
    error = failure(make_backend(fake_openai, api_key="sk-wrong"), jfk)

    assert error.kind == ErrorKind.AUTHENTICATION
    assert error.permanent is True
    assert "Incorrect API key provided" in error.message


def test_it_raises_rate_limited_for_429(fake_openai, jfk):
    fake_openai.script(
        status=429, message="Rate limit reached for whisper-1.", headers={"retry-after": "1"}
    )

    error = failure(make_backend(fake_openai), jfk)

    assert error.kind == ErrorKind.RATE_LIMITED
    assert error.permanent is False
    assert error.message == "OpenAI: Rate limit reached for whisper-1."


def test_it_retries_a_rate_limit_when_configured_to(fake_openai, jfk):
    fake_openai.script(status=429, headers={"retry-after-ms": "10"})

    _, segments = transcribe(make_backend(fake_openai, max_retries=1), jfk)

    assert len(segments) == 2
    assert len(fake_openai.requests) == 2


@pytest.mark.parametrize("status", [500, 503])
def test_it_raises_unavailable_for_server_errors(fake_openai, jfk, status):
    fake_openai.script(status=status)

    error = failure(make_backend(fake_openai), jfk)

    assert (error.kind, error.permanent) == (ErrorKind.UNAVAILABLE, False)


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (403, ErrorKind.AUTHENTICATION),
        (404, ErrorKind.INVALID_INPUT),
        (409, ErrorKind.UNAVAILABLE),
        (413, ErrorKind.INVALID_INPUT),
        (422, ErrorKind.INVALID_INPUT),
    ],
)
def test_it_classifies_other_statuses(fake_openai, jfk, status, kind):
    fake_openai.script(status=status, message="Provider says no.")

    error = failure(make_backend(fake_openai), jfk)

    assert (error.kind, error.message) == (kind, "OpenAI: Provider says no.")


def test_it_raises_invalid_input_for_a_rejected_file(fake_openai, jfk):
    fake_openai.script(status=400, message="Audio file might be corrupted or unsupported")

    error = failure(make_backend(fake_openai), jfk)

    assert (error.kind, error.permanent) == (ErrorKind.INVALID_INPUT, True)
    assert "corrupted or unsupported" in error.message


def test_it_raises_timeout_when_the_server_hangs(fake_openai, jfk):
    fake_openai.script(delay=5.0)

    error = failure(make_backend(fake_openai, timeout=0.5), jfk)

    assert (error.kind, error.permanent) == (ErrorKind.TIMEOUT, False)


def test_it_raises_unavailable_when_the_connection_is_refused(jfk):
    with socket.socket() as probe:  # a port that was free a moment ago has no listener
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    backend = OpenAISpeechToText(
        alias="openai", api_key="sk-test", base_url=f"http://127.0.0.1:{port}/v1", max_retries=0
    )

    error = failure(backend, jfk)

    assert (error.kind, error.permanent) == (ErrorKind.UNAVAILABLE, False)


def test_it_refuses_files_over_25_mb_before_uploading(fake_openai, tmp_path):
    big = tmp_path / "long.flac"
    with big.open("wb") as file:
        file.truncate(25 * 1024 * 1024 + 1)

    error = failure(make_backend(fake_openai), big)

    assert error.kind == ErrorKind.INVALID_INPUT
    assert fake_openai.requests == []


def test_it_reports_a_configuration_problem_without_a_key(fake_openai, jfk):
    backend = make_backend(fake_openai, api_key="")

    assert "OPENAI_API_KEY" in backend.configuration_problem()
    assert failure(backend, jfk).kind == ErrorKind.AUTHENTICATION
    assert fake_openai.requests == []
    assert make_backend(fake_openai).configuration_problem() is None


def test_it_warns_in_the_system_check_without_a_key(settings):
    settings.SPEECH_TO_TEXT = {
        "openai": {"BACKEND": "apps.engines.stt.openai.OpenAISpeechToText", "OPTIONS": {}}
    }

    [warning] = [m for m in check_engines() if "SPEECH_TO_TEXT" in m.msg]

    assert warning.id == "engines.W001"
    assert "OPENAI_API_KEY" in warning.msg


def test_it_builds_the_client_once(fake_openai, jfk):
    backend = make_backend(fake_openai)
    transcribe(backend, jfk)
    client = backend.client

    transcribe(backend, jfk)

    assert backend.client is client
    assert len(fake_openai.requests) == 2


def test_it_is_loaded_from_settings(fake_openai, jfk, settings):
    settings.SPEECH_TO_TEXT = {
        "openai": {
            "BACKEND": "apps.engines.stt.openai.OpenAISpeechToText",
            "OPTIONS": {
                "api_key": fake_openai.api_key,
                "base_url": fake_openai.url,
                "timeout": 5.0,
                "max_retries": 0,
            },
        }
    }

    backend = stt_backends["openai"]
    _, segments = transcribe(backend, jfk)

    assert isinstance(backend, OpenAISpeechToText)
    assert len(segments) == 2
