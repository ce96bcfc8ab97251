"""Abstractive summaries through the official openai SDK against the local fake API, and the
extractive fallback when no LLM is configured."""

import pytest

from apps.engines.analysis.base import Transcript
from apps.engines.analysis.local import LocalAnalysisBackend
from apps.engines.errors import ErrorKind, ProviderError
from apps.engines.stt.base import Segment

TRANSCRIPT = Transcript(
    (
        Segment(0.0, 4.0, " Hello, welcome to the meeting."),
        Segment(4.0, 9.0, " We will fly to Paris next week to meet the new client."),
        Segment(9.0, 12.0, " Great, I will book the tickets."),
    )
)


def llm_backend(server, **llm):
    config = {
        "model": "gpt-4o-mini",
        "base_url": server.url,
        "api_key": server.api_key,
        "max_retries": 0,
        "timeout": 5.0,
        **llm,
    }
    return LocalAnalysisBackend(alias="local", llm=config)


def test_it_summarises_through_the_llm(fake_openai):
    backend = llm_backend(fake_openai)
    assert backend.supports_abstractive_summary
    summary = backend.summarize(TRANSCRIPT)
    assert (summary.text, summary.method, summary.model) == (
        fake_openai.chat_reply,
        "abstractive",
        "gpt-4o-mini",
    )
    (request,) = fake_openai.requests_to("/v1/chat/completions")
    system, user = request.json["messages"]
    assert system["role"] == "system" and "summary" in system["content"]
    assert "Paris next week" in user["content"]


def test_it_still_gives_the_extractive_summary_when_asked(fake_openai):
    summary = llm_backend(fake_openai).summarize(TRANSCRIPT, method="extractive")
    assert summary.method == "extractive"
    assert not fake_openai.requests_to("/v1/chat/completions")


def test_it_sends_only_key_sentences_of_a_long_transcript(fake_openai):
    backend = llm_backend(fake_openai, max_input_chars=80)
    backend.summarize(TRANSCRIPT)
    (request,) = fake_openai.requests_to("/v1/chat/completions")
    assert request.json["messages"][1]["content"].startswith("Key sentences")


@pytest.mark.parametrize(
    ("status", "kind", "permanent"),
    [
        (401, ErrorKind.AUTHENTICATION, True),
        (429, ErrorKind.RATE_LIMITED, False),
        (500, ErrorKind.UNAVAILABLE, False),
    ],
)
def test_it_classifies_llm_failures(fake_openai, status, kind, permanent):
    fake_openai.script(status=status, path="/v1/chat/completions")
    with pytest.raises(ProviderError) as caught:
        llm_backend(fake_openai).summarize(TRANSCRIPT)
    assert (caught.value.kind, caught.value.permanent) == (kind, permanent)


def test_it_reports_a_timeout(fake_openai):
    fake_openai.script(delay=2.0, path="/v1/chat/completions")
    with pytest.raises(ProviderError) as caught:
        llm_backend(fake_openai, timeout=0.3).summarize(TRANSCRIPT)
    assert caught.value.kind == ErrorKind.TIMEOUT


def test_it_refuses_an_abstractive_summary_without_an_llm():
    backend = LocalAnalysisBackend(alias="local", llm={"model": "", "base_url": ""})
    assert not backend.supports_abstractive_summary
    assert backend.summarize(TRANSCRIPT).method == "extractive"
    with pytest.raises(ProviderError) as caught:
        backend.summarize(TRANSCRIPT, method="abstractive")
    assert caught.value.http_status == 400


def test_a_language_model_engine_can_write_the_summary(fake_openai, settings):
    settings.LANGUAGE_MODELS = {"remote": {
        "BACKEND": "apps.engines.llm.openai_compatible.OpenAICompatibleLanguageModel",
        "OPTIONS": {"model": "gpt-4o-mini", "base_url": fake_openai.url,
                    "api_key": fake_openai.api_key, "max_retries": 0},
    }}  # fmt: skip
    backend = LocalAnalysisBackend(alias="local", llm={"engine": "remote"})
    summary = backend.summarize(TRANSCRIPT)
    assert (summary.text, summary.method, summary.model) == (
        fake_openai.chat_reply, "abstractive", "remote")  # fmt: skip
    (request,) = fake_openai.requests_to("/v1/chat/completions")
    assert "Paris next week" in request.json["messages"][1]["content"]
