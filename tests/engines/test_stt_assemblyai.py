"""The AssemblyAI speech-to-text backend, driven through the real `assemblyai` SDK against a
loopback server that speaks AssemblyAI's wire format."""

import socket
from dataclasses import replace

import assemblyai as aai
import pytest
from django.core.exceptions import ImproperlyConfigured

from apps.engines.checks import check_engines
from apps.engines.errors import ErrorKind, ProviderError
from apps.engines.stt import stt_backends
from apps.engines.stt.assemblyai import AssemblyAISpeechToText
from apps.engines.stt.base import (
    LanguageDetected,
    ProviderAnalyses,
    Segment,
    TranscriptionRequest,
)
from tests.fakes.assemblyai_server import JFK, FakeAssemblyAIServer

UPLOAD = "/v2/upload"
CREATE = "/v2/transcript"


def make_backend(server, **options) -> AssemblyAISpeechToText:
    options = {
        "api_key": server.api_key,
        "base_url": server.url,
        "timeout": 5.0,
        "polling_interval": 0.05,
        **options,
    }
    return AssemblyAISpeechToText(alias="assemblyai", **options)


def transcribe(backend, audio, **fields):
    """The language event, the segments and the analyses, checked to come in that order."""
    events = list(backend.transcribe(TranscriptionRequest(audio_path=audio, **fields)))
    assert isinstance(events[0], LanguageDetected)
    assert isinstance(events[-1], ProviderAnalyses)
    assert all(isinstance(e, Segment) for e in events[1:-1])
    return events[0], events[1:-1], events[-1]


def failure(backend, audio, **fields) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        list(backend.transcribe(TranscriptionRequest(audio_path=audio, **fields)))
    return caught.value


def sent_options(server) -> dict:
    [create] = server.requests_to(CREATE)
    return create.json


def polls(server, number: int = 1) -> list:
    return server.requests_to(f"{CREATE}/{server.transcript_id(number)}")


@pytest.fixture
def falcon(corpus):
    return corpus / "falcon_3spk.wav"


@pytest.fixture
def jfk(corpus, fake_assemblyai):
    fake_assemblyai.recording = JFK
    return corpus / "jfk.flac"


# --- Transcript ----------------------------------------------------------------------------


def test_it_maps_utterances_to_segments(fake_assemblyai, falcon):
    language, segments, _ = transcribe(make_backend(fake_assemblyai), falcon)

    assert (language.language, language.probability, language.duration) == ("en", 0.9731, 19.0)
    assert [(s.start, s.end) for s in segments] == [(1.7, 3.86), (6.2, 11.06), (12.8, 17.96)]
    assert segments[0].text == " And so it begins."
    assert segments[2].text == (
        " Ladies and gentlemen, please fasten your seat belts. We are expecting some turbulence."
        " Thank you."
    )


def test_it_maps_words_from_milliseconds_to_seconds(fake_assemblyai, jfk):
    _, [segment], _ = transcribe(make_backend(fake_assemblyai), jfk)

    assert len(segment.words) == 22
    first, fifth = segment.words[0], segment.words[4]
    assert (first.word, first.start, first.end, first.probability) == ("And", 0.0, 0.52, 0.86)
    assert (fifth.word, fifth.start, fifth.end) == ("Americans,", 1.58, 2.1)
    assert -0.2 < segment.avg_logprob < 0


def test_it_uploads_the_file_then_polls_until_completed(fake_assemblyai, falcon):
    transcribe(make_backend(fake_assemblyai), falcon)

    [upload] = fake_assemblyai.requests_to(UPLOAD)
    assert upload.headers["authorization"] == fake_assemblyai.api_key
    assert int(upload.headers["content-length"]) == falcon.stat().st_size
    assert "content-type" not in upload.headers
    assert sent_options(fake_assemblyai)["audio_url"] in fake_assemblyai.uploads
    assert len(polls(fake_assemblyai)) == 3  # queued, processing, completed


def test_it_keeps_polling_while_the_transcript_is_processing(fake_assemblyai, falcon):
    fake_assemblyai.polls_until_done = 5

    _, segments, _ = transcribe(make_backend(fake_assemblyai), falcon)

    assert len(polls(fake_assemblyai)) == 6
    assert len(segments) == 3


def test_it_asks_for_every_analysis_and_language_detection(fake_assemblyai, falcon):
    transcribe(make_backend(fake_assemblyai), falcon)

    sent = sent_options(fake_assemblyai)
    assert sent["speech_models"] == ["universal-3-pro", "universal-2"]
    assert sent["language_detection"] is True
    assert "language_code" not in sent and "speech_model" not in sent
    for feature in ("speaker_labels", "auto_chapters", "entity_detection", "sentiment_analysis"):
        assert sent[feature] is True
    assert "speakers_expected" not in sent and "summarization" not in sent


def test_it_sends_the_language_the_user_named(fake_assemblyai, falcon):
    language, _, _ = transcribe(make_backend(fake_assemblyai), falcon, language="en")

    sent = sent_options(fake_assemblyai)
    assert sent["language_code"] == "en"
    assert "language_detection" not in sent
    assert (language.language, language.probability) == ("en", 1.0)


def test_it_sends_the_expected_number_of_speakers(fake_assemblyai, falcon):
    transcribe(make_backend(fake_assemblyai, speakers_expected=3), falcon)

    assert sent_options(fake_assemblyai)["speakers_expected"] == 3


def test_it_puts_the_chosen_model_first_and_keeps_the_others_as_fallbacks(fake_assemblyai, falcon):
    backend = make_backend(fake_assemblyai)

    transcribe(backend, falcon, model="universal-2")

    assert sent_options(fake_assemblyai)["speech_models"] == ["universal-2", "universal-3-pro"]
    assert backend.default_model == "universal-3-pro"
    assert [m.name for m in backend.models()] == ["universal-3-pro", "universal-2"]
    assert backend.streams_segments is False


def test_it_uses_sentences_as_segments_without_speaker_labels(fake_assemblyai, falcon):
    backend = make_backend(
        fake_assemblyai,
        speaker_labels=False,
        speakers_expected=3,
        auto_chapters=False,
        entity_detection=False,
        sentiment_analysis=False,
    )

    _, segments, analyses = transcribe(backend, falcon)

    sent = sent_options(fake_assemblyai)
    for feature in ("speaker_labels", "auto_chapters", "entity_detection", "sentiment_analysis"):
        assert not sent.get(feature)  # the SDK sends some as false, leaves others out
    assert "speakers_expected" not in sent
    assert fake_assemblyai.requests[-1].path.endswith("/sentences")
    assert [s.text for s in segments[:2]] == [
        " And so it begins.",
        " This is what a crocodile sounds like.",
    ]
    assert len(segments) == 6
    assert analyses == ProviderAnalyses()


def test_it_skips_segments_that_end_before_start_at(fake_assemblyai, falcon):
    _, segments, analyses = transcribe(make_backend(fake_assemblyai), falcon, start_at=11.06)

    assert [s.start for s in segments] == [12.8]
    assert len(analyses.diarization.segments) == 3  # the analyses cover the whole file


# --- Analyses ------------------------------------------------------------------------------


def test_it_reports_the_speakers(fake_assemblyai, falcon):
    _, segments, analyses = transcribe(make_backend(fake_assemblyai), falcon)

    diarization = analyses.diarization
    assert [(s.label, s.talk_time, s.words) for s in diarization.speakers] == [
        ("SPEAKER_00", 2.16, 4),
        ("SPEAKER_01", 4.86, 16),
        ("SPEAKER_02", 5.16, 15),
    ]
    assert all(s.embedding == () for s in diarization.speakers)
    assert diarization.speakers[0].words_per_minute == 111.1
    assert [(t.speaker, t.start, t.end) for t in diarization.turns] == [
        ("SPEAKER_00", 1.7, 3.86),
        ("SPEAKER_01", 6.2, 11.06),
        ("SPEAKER_02", 12.8, 17.96),
    ]
    assert [s.segment for s in diarization.segments] == segments


def test_it_reports_chapters(fake_assemblyai, falcon):
    _, _, analyses = transcribe(make_backend(fake_assemblyai), falcon)

    first, second = analyses.chapters
    assert (first.start, first.end, first.gist) == (1.7, 11.1, "A meditating crocodile")
    assert first.headline == "A crocodile sounds like it is meditating in the water."
    assert (second.start, second.end, second.gist) == (12.8, 18.0, "Turbulence ahead")


def test_it_reports_sentence_sentiment(fake_assemblyai, falcon):
    _, segments, analyses = transcribe(make_backend(fake_assemblyai), falcon)

    assert [(s.label, s.confidence) for s in analyses.sentiment] == [
        ("neutral", 0.83),
        ("neutral", 0.79),
        ("positive", 0.62),
        ("neutral", 0.74),
        ("negative", 0.71),
        ("positive", 0.88),
    ]
    turbulence = analyses.sentiment[4]
    assert turbulence.text == "We are expecting some turbulence."
    words = segments[2].words
    assert (turbulence.start, turbulence.end) == (words[8].start, words[12].end)
    assert (words[8].word, words[12].word) == ("We", "turbulence.")


def test_it_reports_entities_with_their_ontonotes_type_and_place(fake_assemblyai, jfk):
    _, [segment], analyses = transcribe(make_backend(fake_assemblyai), jfk)

    [entity] = analyses.entities
    assert (entity.text, entity.type, entity.start, entity.end) == ("Americans", "NORP", 1.58, 2.1)
    text = segment.text.strip()
    assert text[entity.start_char : entity.end_char] == "Americans"


def test_it_leaves_out_entity_types_without_an_ontonotes_label(fake_assemblyai, jfk):
    fake_assemblyai.recording = replace(
        JFK, entities=(("occupation", "fellow"), ("location_country", "country"))
    )

    _, _, analyses = transcribe(make_backend(fake_assemblyai), jfk)

    [entity] = analyses.entities
    assert (entity.type, entity.start) == ("GPE", 5.76)  # the first "country", said then


def test_it_returns_a_summary_and_keywords_when_asked(fake_assemblyai, jfk):
    backend = make_backend(
        fake_assemblyai, auto_chapters=False, summarization=True, auto_highlights=True
    )

    _, _, analyses = transcribe(backend, jfk)

    sent = sent_options(fake_assemblyai)
    assert (sent["summarization"], sent["summary_type"], sent["auto_highlights"]) == (
        True,
        "paragraph",
        True,
    )
    assert analyses.summary.text == JFK.summary
    assert (analyses.summary.method, analyses.summary.model) == (
        "abstractive",
        "assemblyai/informative",
    )
    [keyword] = analyses.keywords.keywords
    assert (keyword.text, keyword.count, keyword.score) == ("your country", 2, 0.12)
    assert keyword.timestamps == ((5.52, 6.22), (9.78, 10.36))
    assert analyses.chapters == ()


def test_it_refuses_chapters_and_summary_together():
    with pytest.raises(ImproperlyConfigured):
        AssemblyAISpeechToText(alias="assemblyai", api_key="k", summarization=True)


# --- Stopping and refusing -----------------------------------------------------------------


def stop_after(answers: int):
    """A should_stop that says no `answers` times, then yes."""
    asked = []

    def should_stop() -> bool:
        asked.append(True)
        return len(asked) > answers

    return should_stop


def test_it_stops_polling_when_asked(fake_assemblyai, falcon):
    backend = make_backend(fake_assemblyai)

    events = list(
        backend.transcribe(TranscriptionRequest(audio_path=falcon, should_stop=stop_after(1)))
    )

    assert events == []
    assert len(polls(fake_assemblyai)) == 1


def test_it_stops_between_segments_when_asked(fake_assemblyai, falcon):
    fake_assemblyai.polls_until_done = 0  # the first poll finds it completed
    backend = make_backend(fake_assemblyai)

    events = list(
        backend.transcribe(TranscriptionRequest(audio_path=falcon, should_stop=stop_after(1)))
    )

    assert [type(e) for e in events] == [LanguageDetected, Segment]


def test_it_refuses_to_translate(fake_assemblyai, falcon):
    error = failure(make_backend(fake_assemblyai), falcon, task="translate")

    assert error.kind == ErrorKind.INVALID_INPUT
    assert fake_assemblyai.requests == []


def test_it_refuses_an_unknown_model(fake_assemblyai, falcon):
    error = failure(make_backend(fake_assemblyai), falcon, model="whisper-1")

    assert error.kind == ErrorKind.INVALID_INPUT
    assert fake_assemblyai.requests == []


# --- Errors --------------------------------------------------------------------------------


def test_it_raises_authentication_for_a_wrong_key(fake_assemblyai, falcon):
    error = failure(make_backend(fake_assemblyai, api_key="aai-wrong"), falcon)

    assert (error.kind, error.permanent) == (ErrorKind.AUTHENTICATION, True)
    assert "API token missing/invalid" in error.message


def test_it_raises_rate_limited_for_429(fake_assemblyai, falcon):
    fake_assemblyai.script(status=429, path=CREATE)

    error = failure(make_backend(fake_assemblyai), falcon)

    assert (error.kind, error.permanent) == (ErrorKind.RATE_LIMITED, False)
    assert error.message.startswith("AssemblyAI: ")


@pytest.mark.parametrize("status", [500, 503])
def test_it_raises_unavailable_for_server_errors(fake_assemblyai, falcon, status):
    fake_assemblyai.script(status=status, path=UPLOAD)

    error = failure(make_backend(fake_assemblyai), falcon)

    assert (error.kind, error.permanent) == (ErrorKind.UNAVAILABLE, False)


def test_it_raises_unavailable_for_a_server_error_while_polling(fake_assemblyai, falcon):
    fake_assemblyai.script(status=500, path=f"{CREATE}/{fake_assemblyai.transcript_id(1)}")

    error = failure(make_backend(fake_assemblyai), falcon)

    assert error.kind == ErrorKind.UNAVAILABLE
    assert "Server error, developers have been alerted." in error.message


def test_it_raises_invalid_input_for_a_rejected_request(fake_assemblyai, falcon):
    error = failure(make_backend(fake_assemblyai, speech_models=["nano"]), falcon, model="nano")

    assert (error.kind, error.permanent) == (ErrorKind.INVALID_INPUT, True)
    assert "Invalid speech_models: nano" in error.message


@pytest.mark.parametrize(
    "message",
    [
        "Audio duration is too short.",
        "Transcoding failed. File does not appear to contain audio.",
        "language_detection cannot be performed on files with no spoken audio.",
    ],
)
def test_it_raises_invalid_input_when_the_audio_cannot_be_transcribed(
    fake_assemblyai, falcon, message
):
    fake_assemblyai.transcript_error = message

    error = failure(make_backend(fake_assemblyai), falcon)

    assert (error.kind, error.permanent) == (ErrorKind.INVALID_INPUT, True)
    assert message in error.message


def test_it_raises_unavailable_when_a_transcript_fails_on_their_side(fake_assemblyai, falcon):
    fake_assemblyai.transcript_error = "Internal server error, our team has been notified."

    error = failure(make_backend(fake_assemblyai), falcon)

    assert (error.kind, error.permanent) == (ErrorKind.UNAVAILABLE, False)


def test_it_raises_internal_for_a_reply_the_sdk_cannot_read(fake_assemblyai, jfk):
    # The SDK's EntityType is a closed enum: a type AssemblyAI adds later fails the whole reply.
    fake_assemblyai.recording = replace(JFK, entities=(("spaceship_name", "Americans"),))

    error = failure(make_backend(fake_assemblyai), jfk)

    assert (error.kind, error.permanent) == (ErrorKind.INTERNAL, False)


def test_it_raises_timeout_when_the_transcript_takes_too_long(fake_assemblyai, falcon):
    fake_assemblyai.polls_until_done = 10_000

    error = failure(make_backend(fake_assemblyai, poll_timeout=0.3), falcon)

    assert (error.kind, error.permanent) == (ErrorKind.TIMEOUT, False)
    assert fake_assemblyai.transcript_id(1) in error.message


def test_it_raises_timeout_when_the_server_hangs(fake_assemblyai, falcon):
    fake_assemblyai.script(delay=5.0, path=CREATE)

    error = failure(make_backend(fake_assemblyai, timeout=0.5), falcon)

    assert (error.kind, error.permanent) == (ErrorKind.TIMEOUT, False)


def test_it_raises_unavailable_when_the_connection_is_refused(falcon):
    with socket.socket() as probe:  # a port that was free a moment ago has no listener
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    backend = AssemblyAISpeechToText(
        alias="assemblyai", api_key="aai-test", base_url=f"http://127.0.0.1:{port}"
    )

    error = failure(backend, falcon)

    assert (error.kind, error.permanent) == (ErrorKind.UNAVAILABLE, False)


# --- Configuration -------------------------------------------------------------------------


def test_it_reports_a_configuration_problem_without_a_key(fake_assemblyai, falcon):
    backend = make_backend(fake_assemblyai, api_key="")

    assert "ASSEMBLYAI_API_KEY" in backend.configuration_problem()
    assert failure(backend, falcon).kind == ErrorKind.AUTHENTICATION
    assert fake_assemblyai.requests == []
    assert make_backend(fake_assemblyai).configuration_problem() is None


def test_it_warns_in_the_system_check_without_a_key(settings):
    settings.SPEECH_TO_TEXT = {
        "assemblyai": {
            "BACKEND": "apps.engines.stt.assemblyai.AssemblyAISpeechToText",
            "OPTIONS": {},
        }
    }

    [warning] = [m for m in check_engines() if "SPEECH_TO_TEXT" in m.msg]

    assert warning.id == "engines.W001"
    assert "ASSEMBLYAI_API_KEY" in warning.msg


def test_two_backends_keep_their_own_keys(falcon):
    global_settings = aai.settings.copy()
    with (
        FakeAssemblyAIServer(api_key="aai-key-one") as one,
        FakeAssemblyAIServer(api_key="aai-key-two") as two,
    ):
        first, second = make_backend(one), make_backend(two)

        transcribe(first, falcon)
        transcribe(second, falcon)
        transcribe(first, falcon)

    assert {r.headers["authorization"] for r in one.requests} == {"aai-key-one"}
    assert {r.headers["authorization"] for r in two.requests} == {"aai-key-two"}
    assert len(one.requests_to(UPLOAD)) == 2
    assert aai.settings == global_settings  # the SDK's global settings were never touched


def test_it_builds_the_client_once(fake_assemblyai, falcon):
    backend = make_backend(fake_assemblyai)
    transcribe(backend, falcon)
    client = backend.client

    transcribe(backend, falcon)

    assert backend.client is client
    assert len(fake_assemblyai.requests_to(UPLOAD)) == 2


def test_it_is_loaded_from_settings(fake_assemblyai, falcon, settings):
    settings.SPEECH_TO_TEXT = {
        "assemblyai": {
            "BACKEND": "apps.engines.stt.assemblyai.AssemblyAISpeechToText",
            "OPTIONS": {
                "api_key": fake_assemblyai.api_key,
                "base_url": fake_assemblyai.url,
                "polling_interval": 0.05,
                "speakers_expected": 3,
            },
        }
    }

    backend = stt_backends["assemblyai"]
    _, segments, _ = transcribe(backend, falcon)

    assert isinstance(backend, AssemblyAISpeechToText)
    assert len(segments) == 3
    assert sent_options(fake_assemblyai)["speakers_expected"] == 3
